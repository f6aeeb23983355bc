/* SPDX-License-Identifier: MIT */
/* popgen: who lives together, where, born when, with which ID number. The
 * facts are in popgen_facts.c, the writing in popgen_run.c. */
#include "popgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "popgen_facts.h"
#include "popgen_rng.h"

/* Real county-level codes (GB/T 2260): city districts and rural counties,
 * with a weight for how many households each gets. */
typedef struct pg_region {
	const char *code;
	bool county; /* a county: most households are rural */
	int weight;
} pg_region;

static const pg_region pg_regions[] = {
    {"110101", false, 3}, /* 北京 东城区 */
    {"110102", false, 4}, /* 北京 西城区 */
    {"110105", false, 8}, /* 北京 朝阳区 */
    {"110106", false, 5}, /* 北京 丰台区 */
    {"110108", false, 7}, /* 北京 海淀区 */
    {"120101", false, 3}, /* 天津 和平区 */
    {"120104", false, 4}, /* 天津 南开区 */
    {"130102", false, 4}, /* 石家庄 长安区 */
    {"130425", true, 6},  /* 邯郸 大名县 */
    {"140105", false, 4}, /* 太原 小店区 */
    {"210102", false, 4}, /* 沈阳 和平区 */
    {"220102", false, 3}, /* 长春 南关区 */
    {"230102", false, 4}, /* 哈尔滨 道里区 */
    {"310101", false, 4}, /* 上海 黄浦区 */
    {"310104", false, 5}, /* 上海 徐汇区 */
    {"310115", false, 9}, /* 上海 浦东新区 */
    {"320102", false, 4}, /* 南京 玄武区 */
    {"320506", false, 5}, /* 苏州 吴中区 */
    {"330102", false, 4}, /* 杭州 上城区 */
    {"330106", false, 6}, /* 杭州 西湖区 */
    {"330110", false, 6}, /* 杭州 余杭区 */
    {"330212", false, 5}, /* 宁波 鄞州区 */
    {"340104", false, 4}, /* 合肥 蜀山区 */
    {"341221", true, 7},  /* 阜阳 临泉县 */
    {"350102", false, 4}, /* 福州 鼓楼区 */
    {"360102", false, 3}, /* 南昌 东湖区 */
    {"370102", false, 4}, /* 济南 历下区 */
    {"371122", true, 6},  /* 日照 莒县 */
    {"410105", false, 6}, /* 郑州 金水区 */
    {"411522", true, 6},  /* 信阳 光山县 */
    {"420106", false, 5}, /* 武汉 武昌区 */
    {"421126", true, 6},  /* 黄冈 蕲春县 */
    {"430104", false, 4}, /* 长沙 岳麓区 */
    {"440106", false, 7}, /* 广州 天河区 */
    {"440304", false, 6}, /* 深圳 福田区 */
    {"450103", false, 3}, /* 南宁 青秀区 */
    {"500103", false, 4}, /* 重庆 渝中区 */
    {"510104", false, 5}, /* 成都 锦江区 */
    {"510107", false, 5}, /* 成都 武侯区 */
    {"530102", false, 3}, /* 昆明 五华区 */
    {"610113", false, 5}, /* 西安 雁塔区 */
    {"620102", false, 3}, /* 兰州 城关区 */
    {"650102", false, 3}, /* 乌鲁木齐 天山区 */
};
#define PG_NREGIONS (sizeof pg_regions / sizeof pg_regions[0])

static const char *const pg_surnames[] = {"王", "李", "张", "刘", "陈", "杨",
    "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
    "罗", "高", "郑", "梁", "谢", "宋", "唐"};
static const char *const pg_given[] = {"伟", "芳", "娜", "敏", "静", "丽",
    "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀",
    "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "文", "辉", "建", "国",
    "红", "云", "鹏", "飞", "宇", "浩", "欣", "怡", "婷", "雪"};
#define PG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ID numbers made so far, as the number of their first 17 digits, in an
 * open-addressing set (0 is never a key: region codes start at 11). */
typedef struct pg_idset {
	uint64_t *slot;
	size_t mask;
} pg_idset;

struct popgen {
	pg_rng rng;
	long long size, made, households;
	int region_total;
	const char *region_prefix; /* NULL: every county */
	pg_idset ids;
};

static bool pg_region_in(const popgen *g, const pg_region *r)
{
	return g->region_prefix == NULL || strncmp(r->code, g->region_prefix,
	                                       strlen(g->region_prefix)) == 0;
}

bool popgen_set_region(popgen *g, const char *prefix)
{
	g->region_prefix = prefix;
	g->region_total = 0;
	for (size_t i = 0; i < PG_NREGIONS; i++)
		if (pg_region_in(g, &pg_regions[i]))
			g->region_total += pg_regions[i].weight;
	return g->region_total > 0;
}

pg_rng *popgen_rng(popgen *g)
{
	return &g->rng;
}

static bool pg_idset_add(pg_idset *set, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;
	for (size_t i = (size_t)(h >> 20) & set->mask;;
	     i = (i + 1) & set->mask) {
		if (set->slot[i] == key)
			return false;
		if (set->slot[i] == 0) {
			set->slot[i] = key;
			return true;
		}
	}
}

popgen *popgen_alloc(uint64_t seed, long long size)
{
	if (size < 1 || size > 100000000LL)
		return NULL;
	popgen *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	size_t cap = 1024;
	while (cap < (size_t)size * 2)
		cap <<= 1;
	g->ids.slot = calloc(cap, sizeof *g->ids.slot);
	if (g->ids.slot == NULL) {
		free(g);
		return NULL;
	}
	g->ids.mask = cap - 1;
	g->size = size;
	pg_seed(&g->rng, seed);
	for (size_t i = 0; i < PG_NREGIONS; i++)
		g->region_total += pg_regions[i].weight;
	return g;
}

void popgen_free(popgen *g)
{
	if (g == NULL)
		return;
	free(g->ids.slot);
	free(g);
}

static const pg_region *pg_pick_region(popgen *g)
{
	int x = (int)pg_below(&g->rng, (uint64_t)g->region_total);
	for (size_t i = 0; i < PG_NREGIONS; i++) {
		if (!pg_region_in(g, &pg_regions[i]))
			continue;
		if (x < pg_regions[i].weight)
			return &pg_regions[i];
		x -= pg_regions[i].weight;
	}
	return &pg_regions[0];
}

static int pg_days_in(int year, int month)
{
	static const int d[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return d[month - 1] + (month == 2 && leap ? 1 : 0);
}

/* A birth date for someone of about this age, within 1930-2024. */
static int pg_birth_date(popgen *g, int age)
{
	int year = POPGEN_REFERENCE_DATE / 10000 - age;
	if (year < 1930)
		year = 1930;
	if (year > 2024)
		year = 2024;
	int month = (int)pg_range(&g->rng, 1, 12);
	int day = (int)pg_range(&g->rng, 1, pg_days_in(year, month));
	return year * 10000 + month * 100 + day;
}

/* A fresh ID number: region, birth date, a sequence whose parity is the
 * sex (odd for men), and the check character. */
static void pg_make_id(
    popgen *g, const char *region, int age, bool male, char out[IDNUM_LEN + 1])
{
	int date = pg_birth_date(g, age);
	int seq = (int)pg_below(&g->rng, 500) * 2 + (male ? 1 : 0);
	for (int tries = 0;; tries++) {
		if (tries == 500) {
			/* Every number of that sex, place and day is taken:
			 * move to the next day. */
			int y = date / 10000, m = date / 100 % 100;
			int d = date % 100 + 1;
			if (d > pg_days_in(y, m)) {
				d = 1;
				m = m % 12 + 1;
			}
			date = y * 10000 + m * 100 + d;
			tries = 0;
		}
		snprintf(out, IDNUM_LEN + 1, "%s%08d%03d", region, date, seq);
		uint64_t key = strtoull(out, NULL, 10);
		if (pg_idset_add(&g->ids, key))
			break;
		seq = (seq + 2) % 1000;
	}
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}

static void pg_name(popgen *g, const char *surname, char *out, size_t len)
{
	const char *a = pg_given[pg_below(&g->rng, PG_COUNT(pg_given))];
	const char *b = pg_given[pg_below(&g->rng, PG_COUNT(pg_given))];
	if (pg_chance(&g->rng, 300))
		snprintf(out, len, "%s%s", surname, a);
	else
		snprintf(out, len, "%s%s%s", surname, a, b);
}

static int pg_household_size(popgen *g)
{
	static const int permille[6] = {250, 300, 250, 120, 60, 20};
	int x = (int)pg_below(&g->rng, 1000);
	for (int i = 0; i < 6; i++) {
		if (x < permille[i])
			return i + 1;
		x -= permille[i];
	}
	return 1;
}

typedef struct pg_member_plan {
	const char *relation;
	int age;
	bool male;
	const char *surname;
} pg_member_plan;

/* Who the household is: an applicant, maybe a spouse, then children, or a
 * parent when the applicant is young or by chance. */
static void pg_plan(popgen *g, int size, pg_member_plan *plan)
{
	const char *head_surname =
	    pg_surnames[pg_below(&g->rng, PG_COUNT(pg_surnames))];
	int head_age;
	if (size == 1) {
		static const pg_bracket ages[] = {
		    {200, 18, 30}, {400, 31, 59}, {400, 60, 95}};
		int64_t a;
		pg_pick(&g->rng, ages, 3, &a);
		head_age = (int)a;
	} else {
		head_age = (int)pg_range(&g->rng, 22, 80);
	}
	bool head_male = pg_chance(&g->rng, 550);
	plan[0] =
	    (pg_member_plan){"applicant", head_age, head_male, head_surname};
	int i = 1;
	int mother_age = head_male ? 0 : head_age;
	if (size >= 2 && pg_chance(&g->rng, 850)) {
		int age = head_age + (int)pg_range(&g->rng, -5, 5);
		if (age < 20)
			age = 20;
		plan[i++] = (pg_member_plan){"spouse", age, !head_male,
		    pg_surnames[pg_below(&g->rng, PG_COUNT(pg_surnames))]};
		mother_age = head_male ? age : head_age;
	}
	if (mother_age == 0)
		mother_age = head_age;
	bool parent_done = false;
	for (; i < size; i++) {
		bool young = mother_age < 24;
		if (!parent_done && (young || pg_chance(&g->rng, 150)) &&
		    head_age <= 65) {
			int age = head_age + (int)pg_range(&g->rng, 22, 34);
			plan[i] = (pg_member_plan){"parent", age,
			    pg_chance(&g->rng, 450), head_surname};
			parent_done = true;
			continue;
		}
		int age = mother_age - (int)pg_range(&g->rng, 20, 38);
		if (age < 2)
			age = (int)pg_range(&g->rng, 2, 6);
		plan[i] = (pg_member_plan){
		    "child", age, pg_chance(&g->rng, 510), head_surname};
	}
}

bool popgen_next(popgen *g, popgen_household *h)
{
	if (g->made >= g->size)
		return false;
	memset(h, 0, sizeof *h);
	h->index = g->households;
	const pg_region *home = pg_pick_region(g);
	snprintf(h->region_code, sizeof h->region_code, "%s", home->code);
	h->rural = pg_chance(&g->rng, home->county ? 850 : 120);

	int size = pg_household_size(g);
	if (size > g->size - g->made)
		size = (int)(g->size - g->made);
	pg_member_plan plan[POPGEN_MAX_MEMBERS];
	pg_plan(g, size, plan);

	int ages[POPGEN_MAX_MEMBERS];
	for (int i = 0; i < size; i++) {
		popgen_person *p = &h->members[i];
		/* Most were registered where they live; some moved. */
		const char *region = pg_chance(&g->rng, 800)
		                         ? home->code
		                         : pg_pick_region(g)->code;
		pg_make_id(g, region, plan[i].age, plan[i].male, p->id_number);
		pg_name(g, plan[i].surname, p->name, sizeof p->name);
		p->relation = plan[i].relation;
		ages[i] = idnum_age(p->id_number, POPGEN_REFERENCE_DATE);
		p->severe_disability = pg_chance(&g->rng, 20);
		p->severe_illness = pg_chance(&g->rng, 20);
	}
	h->n = size;
	for (int i = 0; i < size; i++)
		popgen_facts_person(
		    &g->rng, &h->members[i], ages[i], h->rural);
	popgen_facts_property(&g->rng, h);
	for (int i = 0; i < size; i++)
		popgen_facts_finish(&h->members[i]);
	g->made += size;
	g->households++;
	return true;
}
