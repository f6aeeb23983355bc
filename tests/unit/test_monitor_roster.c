/* SPDX-License-Identifier: MIT */
/* The monitoring roster (docs/MONITORING.md, "The roster"): each line's
 * rules, every way a line can be wrong (named, never echoed), and the
 * line reader (physical line numbers, blank lines, CRLF, a byte-order
 * mark, no final line break, over-long lines, the digest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roster.h"

#define AS_OF 20261101
#define ID0 "11010519491231002X"

#define MEMBERS                                                               \
	"\"members\":[{\"id_number\":\"" ID0 "\",\"name\":\"张三\","        \
	"\"relation\":\"applicant\",\"consent_ref\":\"SQ-1\"}]"
#define ENROLL(p, c, b, s)                                                    \
	"\"enrollment\":{\"program\":\"" p "\",\"category\":\"" c             \
	"\",\"monthly_benefit_fen\":" b ",\"since\":\"" s "\"}"
#define LINE(extra, enroll)                                                   \
	"{\"case_id\":\"C-1\",\"region_code\":\"330106\",\"area\":"           \
	"\"urban\"," extra MEMBERS "," enroll "}"
#define GOOD_ENROLL ENROLL("dibao", "dibao", "123400", "2024-03-01")

static hd_err parse(const char *text, roster_entry *e, char *err, size_t n)
{
	return roster_parse_line(text, strlen(text), AS_OF, e, err, n);
}

static void good_line(void **state)
{
	(void)state;
	roster_entry e;
	char err[256];
	assert_int_equal(
	    parse(LINE("", GOOD_ENROLL), &e, err, sizeof err), HD_OK);
	assert_string_equal(e.enrollment.program, "dibao");
	assert_string_equal(e.enrollment.category, "dibao");
	assert_int_equal(e.enrollment.monthly_benefit_fen, 123400);
	assert_int_equal(e.enrollment.since, 20240301);
	/* As sent: the enrollment's program, enrolled, the run's as_of,
	 * and no request id yet. */
	assert_string_equal(e.household->program, "dibao");
	assert_true(e.household->currently_enrolled);
	assert_string_equal(e.household->as_of, "2026-11-01");
	assert_string_equal(e.household->request_id, "");
	assert_int_equal(e.household->n_members, 1);
	roster_entry_clear(&e);

	/* The line's own as_of and a program that agrees are kept. */
	assert_int_equal(
	    parse(LINE("\"program\":\"tekun\",\"as_of\":"
	               "\"2026-10-15\",\"currently_enrolled\":"
	               "false,",
	              ENROLL("tekun", "tekun", "0", "2026-10-15")),
	        &e, err, sizeof err),
	    HD_OK);
	assert_string_equal(e.household->as_of, "2026-10-15");
	assert_string_equal(e.household->program, "tekun");
	assert_false(e.household->currently_enrolled); /* not dibao */
	roster_entry_clear(&e);
}

/* Every program with each category it can pay, and some it cannot. */
static void categories_by_program(void **state)
{
	(void)state;
	assert_true(roster_category_fits("dibao", "dibao"));
	assert_true(roster_category_fits("dibao", "gradual_exit"));
	assert_true(roster_category_fits("dibao", "single_person"));
	assert_true(roster_category_fits("marginal", "marginal"));
	assert_true(roster_category_fits("marginal", "dibao"));
	assert_true(roster_category_fits("tekun", "tekun"));
	assert_true(roster_category_fits("hardship", "hardship"));
	assert_false(roster_category_fits("dibao", "marginal"));
	assert_false(roster_category_fits("tekun", "dibao"));
	assert_false(roster_category_fits("hardship", "none"));
	assert_false(roster_category_fits("other", "dibao"));
}

typedef struct bad_case {
	const char *line;
	const char *says; /* a part of the error */
} bad_case;

static void bad_lines(void **state)
{
	(void)state;
	static const bad_case cases[] = {
	    {"{\"case_id\": " ID0, "invalid JSON"},
	    {"[1,2]", "must be a JSON object"},
	    {LINE("", "\"x\":1"), "enrollment is required"},
	    {LINE("", "\"enrollment\":[]"), "enrollment must be an object"},
	    {LINE("", ENROLL("dibaoo", "dibao", "1", "2024-01-01")),
	        "enrollment.program must be"},
	    {LINE("", ENROLL("dibao", "none", "1", "2024-01-01")),
	        "enrollment.category must be"},
	    {LINE("", ENROLL("tekun", "dibao", "1", "2024-01-01")),
	        "cannot be paid under"},
	    {LINE("", ENROLL("dibao", "dibao", "1234.5", "2024-01-01")),
	        "not a decimal"},
	    {LINE("", ENROLL("dibao", "dibao", "-1", "2024-01-01")),
	        "0 or more"},
	    {LINE("", ENROLL("dibao", "dibao", "\"100\"", "2024-01-01")),
	        "whole number of fen"},
	    {LINE("", ENROLL("dibao", "dibao", "1", "2024-02-30")),
	        "enrollment.since must be a date"},
	    {LINE("", ENROLL("dibao", "dibao", "1", "2026-11-02")),
	        "after the household's as_of"},
	    {LINE("\"as_of\":\"2025-01-01\",",
	         ENROLL("dibao", "dibao", "1", "2025-06-01")),
	        "after the household's as_of"},
	    {LINE("", "\"enrollment\":{\"program\":\"dibao\",\"category\":"
	              "\"dibao\",\"monthly_benefit_fen\":1,\"since\":"
	              "\"2024-01-01\",\"" ID0 "\":1}"),
	        "not part of the format"},
	    {LINE("\"request_id\":\"r1\",", GOOD_ENROLL),
	        "request_id must not be given"},
	    {LINE("\"currently_enrolled\":false,", GOOD_ENROLL),
	        "currently_enrolled must be absent or true"},
	    {LINE("\"currently_enrolled\":true,",
	         ENROLL("dibao", "single_person", "1", "2024-01-01")),
	        "currently_enrolled must be absent or false"},
	    {LINE("\"program\":\"tekun\",", GOOD_ENROLL),
	        "program differs from enrollment.program"},
	    {LINE("\"sever_disability\":true,", GOOD_ENROLL),
	        "is not a known field"},
	    {LINE("\"" ID0 "\":true,", GOOD_ENROLL), "not part of the format"},
	    {LINE("\"monthly_rigid_expense_fen\":1.5,", GOOD_ENROLL),
	        "not a decimal"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		roster_entry e;
		char err[256];
		hd_err rc = parse(cases[i].line, &e, err, sizeof err);
		if (rc != HD_EINVAL || strstr(err, cases[i].says) == NULL) {
			print_error("case %zu: rc %d, \"%s\"\n", i, rc, err);
			fail();
		}
		/* Never the content: no ID number, no name. */
		assert_null(strstr(err, "1101051949"));
		assert_null(strstr(err, "张三"));
		assert_null(e.household);
	}
}

/* --- the reader -----------------------------------------------------------
 */

static char path[64];

static void write_roster(const char *bytes, size_t n)
{
	snprintf(path, sizeof path, "/tmp/hedui-roster-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
}

static void reader_lines(void **state)
{
	(void)state;
	static const char text[] = "\xef\xbb\xbf{\"a\":1}\r\n"
	                           "\n"
	                           "   \t\r\n"
	                           "{\"b\":2}\n"
	                           "{\"c\":3}"; /* no final line break */
	write_roster(text, sizeof text - 1);
	char err[128];
	roster_reader *r = roster_reader_open(path, err, sizeof err);
	assert_non_null(r);
	roster_text t;
	assert_int_equal(roster_reader_next(r, &t), HD_OK);
	assert_int_equal(t.number, 1);
	assert_int_equal(t.len, 7); /* no BOM, no CR */
	assert_memory_equal(t.text, "{\"a\":1}", 7);
	assert_int_equal(roster_reader_next(r, &t), HD_OK);
	assert_int_equal(t.number, 4); /* blank lines counted, skipped */
	assert_memory_equal(t.text, "{\"b\":2}", 7);
	assert_int_equal(roster_reader_next(r, &t), HD_OK);
	assert_int_equal(t.number, 5);
	assert_int_equal(t.len, 7);
	assert_int_equal(roster_reader_next(r, &t), HD_ENOTFOUND);
	assert_int_equal(roster_reader_next(r, &t), HD_ENOTFOUND);
	uint8_t got[32], want[32];
	roster_reader_digest(r, got);
	SHA256((const unsigned char *)text, sizeof text - 1, want);
	assert_memory_equal(got, want, 32);
	roster_reader_close(r);
	unlink(path);
}

static void reader_too_long(void **state)
{
	(void)state;
	size_t big = ROSTER_LINE_MAX + 10;
	char *text = malloc(big + 32);
	assert_non_null(text);
	memcpy(text, "{\"x\":1}\n", 8);
	memset(text + 8, 'a', big);
	memcpy(text + 8 + big, "\n{\"y\":2}\n", 9);
	write_roster(text, 8 + big + 9);
	free(text);
	char err[128];
	roster_reader *r = roster_reader_open(path, err, sizeof err);
	assert_non_null(r);
	roster_text t;
	assert_int_equal(roster_reader_next(r, &t), HD_OK);
	assert_int_equal(roster_reader_next(r, &t), HD_ETOOBIG);
	assert_int_equal(t.number, 2);
	assert_int_equal(roster_reader_next(r, &t), HD_OK);
	assert_int_equal(t.number, 3);
	assert_memory_equal(t.text, "{\"y\":2}", 7);
	assert_int_equal(roster_reader_next(r, &t), HD_ENOTFOUND);
	roster_reader_close(r);
	unlink(path);
}

static void reader_refuses(void **state)
{
	(void)state;
	char err[128];
	assert_null(roster_reader_open("-", err, sizeof err));
	assert_non_null(strstr(err, "must be a file"));
	assert_null(
	    roster_reader_open("/nonexistent/r.jsonl", err, sizeof err));
	assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_line),
	    cmocka_unit_test(categories_by_program),
	    cmocka_unit_test(bad_lines),
	    cmocka_unit_test(reader_lines),
	    cmocka_unit_test(reader_too_long),
	    cmocka_unit_test(reader_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
