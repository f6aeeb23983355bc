/* SPDX-License-Identifier: MIT */
/* monitor_alerts: alerts.csv and alerts.jsonl, grouped by county. */
#include "monitor_alerts.h"

#include "monitor_sort.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MA_LINE_MAX 8192
/* Spool files open at once; more counties reopen them in turn. */
#define MA_OPEN_MAX 32

static hd_err ma_fail(char *err, size_t errlen, hd_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hd_err ma_fail(char *err, size_t errlen, hd_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

/* --- counts per county -------------------------------------------------- */

/* "" (no valid region code) sorts after every county. */
static int ma_cmp(const char *a, const char *b)
{
	if (a[0] == '\0' || b[0] == '\0')
		return (a[0] == '\0') - (b[0] == '\0');
	return strcmp(a, b);
}

size_t mon_alerts_sort_budget = MON_SORT_BUDGET;

hd_err mon_tally_add(mon_tally *t, const char *county, mon_class c)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = ma_cmp(t->counties[mid].code, county);
		if (d == 0) {
			lo = mid;
			goto found;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		mon_county *n = realloc(t->counties, cap * sizeof *n);
		if (n == NULL)
			return HD_ENOMEM;
		t->counties = n;
		t->cap = cap;
	}
	memmove(&t->counties[lo + 1], &t->counties[lo],
	    (t->n - lo) * sizeof *t->counties);
	memset(&t->counties[lo], 0, sizeof *t->counties);
	snprintf(
	    t->counties[lo].code, sizeof t->counties[lo].code, "%s", county);
	t->n++;
found:
	t->counties[lo].counts[c]++;
	t->total[c]++;
	t->households++;
	return HD_OK;
}

void mon_tally_free(mon_tally *t)
{
	free(t->counties);
	memset(t, 0, sizeof *t);
}

/* --- CSV ---------------------------------------------------------------- */

static const char *ma_zh(const char *code)
{
	static const char *const names[][2] = {{"dibao", "低保"},
	    {"marginal", "低保边缘"}, {"gradual_exit", "渐退"},
	    {"single_person", "单人户"}, {"tekun", "特困"},
	    {"hardship", "刚性支出困难"}, {"none", "无"}, {"meets", "符合"},
	    {"does_not_meet", "不符合"}, {"needs_review", "需复核"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(code, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/*
 * One field, RFC 4180: quoted when it holds a comma, a quote, a line
 * break or spaces at its ends; quotes doubled. Text that came from outside
 * (outside: a case id, a server's message) and starts like a formula gets
 * a leading apostrophe, so that a spreadsheet shows it and runs nothing.
 */
static void ma_field(FILE *f, const char *s, bool outside, bool last)
{
	bool formula = outside && s[0] != '\0' && strchr("=+-@\t\r", s[0]);
	size_t n = strlen(s);
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL ||
	             (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *c = s; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	if (quote)
		fputc('"', f);
	fputs(last ? "\r\n" : ",", f);
}

static void ma_named(FILE *f, const char *code)
{
	char buf[64];
	const char *zh = ma_zh(code);
	if (zh != NULL && code[0] != '\0')
		snprintf(buf, sizeof buf, "%s(%s)", zh, code);
	else
		snprintf(buf, sizeof buf, "%s", code);
	ma_field(f, buf, false, false);
}

static const char *const ma_headers[] = {"区县代码(county)", "预警类别(alert)",
    "类别代码(class)", "名册行号(roster_line)", "案件编号(case_id)",
    "申请人身份证号(applicant_id)", "家庭人数(household_size)",
    "在保项目(program)", "在保类别(enrolled_category)",
    "在保月保障金额(元)(enrolled_benefit_yuan)", "纳入时间(enrolled_since)",
    "核对结论(conclusion)", "核对类别(category)",
    "测算月保障金额(元)(estimated_benefit_yuan)",
    "月保障金额变化(元)(benefit_change_yuan)", "渐退月数(gradual_exit_months)",
    "原因代码(reasons)", "拒绝状态(refused_status)", "说明(message)",
    "报告编号(report_id)", "授权到期日(consent_expires)"};
#define MA_NCOLS (sizeof ma_headers / sizeof ma_headers[0])

void mon_alerts_csv_header(FILE *f)
{
	/* The byte-order mark tells Excel the file is UTF-8. */
	fputs("\xef\xbb\xbf", f);
	for (size_t i = 0; i < MA_NCOLS; i++)
		ma_field(f, ma_headers[i], false, i + 1 == MA_NCOLS);
}

bool mon_record_alert(const mon_record *r)
{
	return mon_class_alert(r->cls) || r->consent_expires[0] != '\0';
}

void mon_alerts_csv_row(FILE *f, const mon_record *r)
{
	char buf[64];
	ma_field(f, r->county[0] ? r->county : "未知(unknown)", false, false);
	ma_field(f, mon_class_label(r->cls), false, false);
	ma_field(f, mon_class_name(r->cls), false, false);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->line);
	ma_field(f, buf, false, false);
	ma_field(f, r->case_id, true, false);
	ma_field(f, r->applicant, false, false);
	snprintf(buf, sizeof buf, "%d", r->household_size);
	ma_field(f, buf, false, false);
	ma_named(f, r->enrolled.program);
	ma_named(f, r->enrolled.category);
	mon_fen_yuan(r->enrolled.monthly_benefit_fen, buf, sizeof buf);
	ma_field(f, buf, false, false);
	snprintf(buf, sizeof buf, "%04d-%02d-%02d",
	    r->enrolled.since / 10000 % 10000, r->enrolled.since / 100 % 100,
	    r->enrolled.since % 100);
	ma_field(f, buf, false, false);
	if (r->has_verdict) {
		ma_named(f, r->conclusion);
		ma_named(f, r->category);
		mon_fen_yuan(r->benefit_fen, buf, sizeof buf);
		ma_field(f, buf, false, false);
		/* A change only where the verdict estimates an amount. */
		if (mon_category_has_amount(r->category))
			mon_fen_yuan(
			    r->benefit_fen - r->enrolled.monthly_benefit_fen,
			    buf, sizeof buf);
		else
			buf[0] = '\0';
		ma_field(f, buf, false, false);
		snprintf(buf, sizeof buf, "%d", (int)r->gradual_exit_months);
		ma_field(f, buf, false, false);
		ma_field(f, r->reasons, true, false);
		ma_field(f, "", false, false);
		ma_field(f, "", false, false);
		ma_field(f, r->report_id, true, false);
	} else {
		for (int i = 0; i < 6; i++)
			ma_field(f, "", false, false);
		ma_field(f, r->status, true, false);
		char msg[sizeof r->message + 32];
		snprintf(msg, sizeof msg, "%s%s",
		    strcmp(r->refused_by, "hedui") == 0 ? "(未发送 not sent) "
		                                        : "",
		    r->message);
		ma_field(f, msg, true, false);
		ma_field(f, "", false, false);
	}
	ma_field(f, r->consent_expires, false, true);
}

/* --- spooling by county -------------------------------------------------- */

typedef struct ma_spool {
	char dir[4096];
	size_t sort_budget;
	struct {
		char code[7];
		FILE *f;
		uint64_t used;
	} open[MA_OPEN_MAX];
	uint64_t clock;
} ma_spool;

static void ma_spool_path(
    const ma_spool *s, const char *code, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.jsonl", s->dir, code[0] ? code : "none");
}

static FILE *ma_spool_file(ma_spool *s, const char *code)
{
	int lru = 0;
	for (int i = 0; i < MA_OPEN_MAX; i++) {
		if (s->open[i].f != NULL &&
		    strcmp(s->open[i].code, code) == 0) {
			s->open[i].used = ++s->clock;
			return s->open[i].f;
		}
		if (s->open[i].used < s->open[lru].used)
			lru = i;
	}
	if (s->open[lru].f != NULL && fclose(s->open[lru].f) != 0)
		return NULL;
	char path[4200];
	ma_spool_path(s, code, path, sizeof path);
	s->open[lru].f = fopen(path, "ab");
	snprintf(s->open[lru].code, sizeof s->open[lru].code, "%s", code);
	s->open[lru].used = ++s->clock;
	return s->open[lru].f;
}

static bool ma_spool_close(ma_spool *s)
{
	bool ok = true;
	for (int i = 0; i < MA_OPEN_MAX; i++) {
		if (s->open[i].f != NULL && fclose(s->open[i].f) != 0)
			ok = false;
		s->open[i].f = NULL;
		s->open[i].used = 0;
	}
	return ok;
}

/* Empties and removes a directory of our own files (and its "runs"
 * directory of sorted runs, when a crash left one). */
static void ma_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		char path[4400];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (strcmp(e->d_name, "runs") == 0)
				ma_remove_dir(path);
			else
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void ma_spool_remove(const ma_spool *s)
{
	ma_remove_dir(s->dir);
}

/* Pass 1: the results into the tally and the spool. */
static hd_err ma_scan(
    FILE *in, ma_spool *s, mon_tally *t, char *err, size_t errlen)
{
	char *line = malloc(MA_LINE_MAX + 2);
	if (line == NULL)
		return ma_fail(err, errlen, HD_ENOMEM, "out of memory");
	hd_err e = HD_OK;
	uint64_t number = 0;
	while (fgets(line, MA_LINE_MAX + 2, in) != NULL) {
		size_t n = strlen(line);
		if (++number == 1)
			continue; /* the header */
		if (n == 0 || line[n - 1] != '\n') {
			e = ma_fail(err, errlen, HD_EINVAL,
			    "results line %llu is torn or too long",
			    (unsigned long long)number);
			break;
		}
		mon_record r;
		if (mon_record_parse(line, n - 1, &r) != HD_OK) {
			e = ma_fail(err, errlen, HD_EINVAL,
			    "results line %llu is damaged",
			    (unsigned long long)number);
			break;
		}
		if ((e = mon_tally_add(t, r.county, r.cls)) != HD_OK) {
			ma_fail(err, errlen, e, "out of memory");
			break;
		}
		if (r.consent_expires[0] != '\0')
			t->consent_expiring++;
		if (s == NULL || !mon_record_alert(&r))
			continue;
		FILE *f = ma_spool_file(s, r.county);
		if (f == NULL || fwrite(line, 1, n, f) != n) {
			e = ma_fail(err, errlen, HD_EIO,
			    "cannot write the alerts spool: %s",
			    strerror(errno));
			break;
		}
	}
	if (e == HD_OK && ferror(in))
		e = ma_fail(err, errlen, HD_EIO, "cannot read the results: %s",
		    strerror(errno));
	free(line);
	return e;
}

typedef struct ma_out {
	FILE *csv, *jsonl;
} ma_out;

static hd_err ma_emit(const char *line, size_t len, void *arg)
{
	ma_out *o = arg;
	mon_record r;
	if (mon_record_parse(line, len - 1, &r) != HD_OK)
		return HD_EINTERNAL;
	fwrite(line, 1, len, o->jsonl);
	mon_alerts_csv_row(o->csv, &r);
	return HD_OK;
}

/* Pass 2: each county's spool, in county order and within it in roster
 * order, into both files. */
static hd_err ma_join(const ma_spool *s, const mon_tally *t, FILE *csv,
    FILE *jsonl, char *err, size_t errlen)
{
	hd_err e = HD_OK;
	ma_out o = {csv, jsonl};
	char runs[4200];
	snprintf(runs, sizeof runs, "%s/runs", s->dir);
	if (mkdir(runs, 0700) != 0)
		return ma_fail(err, errlen, HD_EIO, "cannot create %s: %s",
		    runs, strerror(errno));
	mon_alerts_csv_header(csv);
	for (size_t i = 0; i < t->n && e == HD_OK; i++) {
		/* A county has a spool when it has an alert (of its class
		 * or of a consent expiring). */
		char path[4200];
		ma_spool_path(s, t->counties[i].code, path, sizeof path);
		if (access(path, F_OK) != 0)
			continue;
		e = mon_sort_lines(path, runs, s->sort_budget, ma_emit, &o);
		if (e != HD_OK)
			ma_fail(err, errlen, e, "cannot sort the alerts: %s",
			    hd_strerror(e));
	}
	rmdir(runs);
	return e;
}

/* The officer's working documents name households: 0600, like the
 * results. */
static FILE *ma_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "wb");
	if (f == NULL)
		close(fd);
	return f;
}

static hd_err ma_finish(FILE *f, const char *tmp, const char *final, hd_err e)
{
	bool ok = f != NULL && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (e == HD_OK && ok && rename(tmp, final) == 0)
		return HD_OK;
	unlink(tmp);
	return e != HD_OK ? e : HD_EIO;
}

hd_err mon_alerts_write(const char *results_path, const char *dir,
    mon_tally *tally, char *err, size_t errlen)
{
	ma_spool s;
	memset(&s, 0, sizeof s);
	snprintf(s.dir, sizeof s.dir, "%s/.alerts-spool", dir);
	s.sort_budget = mon_alerts_sort_budget;
	ma_spool_remove(&s); /* a spool left by a crash */
	if (mkdir(s.dir, 0700) != 0)
		return ma_fail(err, errlen, HD_EIO, "cannot create %s: %s",
		    s.dir, strerror(errno));
	hd_err e;
	FILE *in = fopen(results_path, "rb");
	if (in == NULL) {
		e = ma_fail(err, errlen, HD_EIO, "cannot read the results: %s",
		    strerror(errno));
		goto out;
	}
	e = ma_scan(in, &s, tally, err, errlen);
	fclose(in);
	if (!ma_spool_close(&s) && e == HD_OK)
		e = ma_fail(err, errlen, HD_EIO, "cannot write the spool");
	if (e != HD_OK)
		goto out;
	char csv_tmp[4200], csv[4200], js_tmp[4200], js[4200];
	snprintf(csv, sizeof csv, "%s/alerts.csv", dir);
	snprintf(csv_tmp, sizeof csv_tmp, "%s/.alerts.csv.tmp", dir);
	snprintf(js, sizeof js, "%s/alerts.jsonl", dir);
	snprintf(js_tmp, sizeof js_tmp, "%s/.alerts.jsonl.tmp", dir);
	FILE *fc = ma_create(csv_tmp);
	FILE *fj = ma_create(js_tmp);
	if (fc == NULL || fj == NULL)
		e = ma_fail(err, errlen, HD_EIO, "cannot write the alerts: %s",
		    strerror(errno));
	else
		e = ma_join(&s, tally, fc, fj, err, errlen);
	hd_err ec = ma_finish(fc, csv_tmp, csv, e);
	hd_err ej = ma_finish(fj, js_tmp, js, e);
	if (e == HD_OK && (ec != HD_OK || ej != HD_OK))
		e = ma_fail(err, errlen, HD_EIO, "cannot write the alerts: %s",
		    strerror(errno));
out:
	ma_spool_remove(&s);
	return e;
}

hd_err mon_tally_read(
    const char *results_path, mon_tally *tally, char *err, size_t errlen)
{
	FILE *in = fopen(results_path, "rb");
	if (in == NULL)
		return ma_fail(err, errlen, HD_EIO,
		    "cannot read the results: %s", strerror(errno));
	hd_err e = ma_scan(in, NULL, tally, err, errlen);
	fclose(in);
	return e;
}
