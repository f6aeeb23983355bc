/* SPDX-License-Identifier: MIT */
/*
 * hedui stats' output of an answer: the table, CSV and JSON carry the
 * counts; what a service sends in its keys cannot move the officer's
 * terminal (no control byte is printed) nor split a CSV field.
 */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_print.h"

typedef struct answer {
	Hedui__V1__StatsResponse r;
	Hedui__V1__CountyStats c, *cp;
	Hedui__V1__StatsCount k[3], *kp[3];
} answer;

static void answer_init(answer *a, const char *reason)
{
	hedui__v1__stats_response__init(&a->r);
	hedui__v1__county_stats__init(&a->c);
	a->r.from = "2026-01-01";
	a->r.to = "2026-01-31";
	a->r.region_prefix = "33";
	a->r.checks = 7;
	a->c.region_code = "330106";
	a->c.program = "dibao";
	a->c.checks = 7;
	for (int i = 0; i < 3; i++) {
		hedui__v1__stats_count__init(&a->k[i]);
		a->kp[i] = &a->k[i];
	}
	a->k[0].key = "meets";
	a->k[0].count = 5;
	a->k[1].key = "does_not_meet";
	a->k[1].count = 2;
	a->k[2].key = (char *)reason;
	a->k[2].count = 2;
	a->c.conclusions = a->kp;
	a->c.n_conclusions = 2;
	a->c.reasons = &a->kp[2];
	a->c.n_reasons = 1;
	a->cp = &a->c;
	a->r.counties = &a->cp;
	a->r.n_counties = 1;
}

static char *print(answer *a, int how)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (how == 0)
		stats_print_table(f, &a->r);
	else if (how == 1)
		stats_print_csv(f, &a->r);
	else
		assert_true(stats_print_json(f, &a->r));
	fclose(f);
	return buf;
}

static void counts_in_each_format(void **state)
{
	(void)state;
	answer a;
	answer_init(&a, "INCOME_ABOVE_STANDARD");
	char *t = print(&a, 0);
	assert_non_null(strstr(t, "330106   dibao"));
	assert_non_null(strstr(t, "INCOME_ABOVE_STANDARD 2"));
	free(t);
	t = print(&a, 1);
	assert_non_null(strstr(t, "330106,dibao,checks,,7\n"));
	assert_non_null(strstr(t, "330106,dibao,conclusion,meets,5\n"));
	assert_non_null(
	    strstr(t, "330106,dibao,reason,INCOME_ABOVE_STANDARD,2\n"));
	free(t);
	t = print(&a, 2);
	assert_non_null(strstr(t, "\"INCOME_ABOVE_STANDARD\": 2"));
	assert_non_null(strstr(t, "\"checks\": 7"));
	free(t);
}

static void hostile_keys_are_neutralised(void **state)
{
	(void)state;
	answer a;
	answer_init(&a, "X\x1b[2J\r,evil\"\x9b");
	for (int how = 0; how < 2; how++) {
		char *t = print(&a, how);
		for (const unsigned char *p = (const unsigned char *)t; *p;
		     p++)
			assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
		if (how == 1) {
			/* Every line has its five fields. */
			for (char *line = strtok(t, "\n"); line != NULL;
			     line = strtok(NULL, "\n")) {
				int commas = 0;
				for (char *p = line; *p; p++)
					commas += *p == ',';
				assert_int_equal(commas, 4);
			}
		}
		free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(counts_in_each_format),
	    cmocka_unit_test(hostile_keys_are_neutralised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
