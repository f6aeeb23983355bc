/* SPDX-License-Identifier: MIT */
/*
 * The monitoring roster (hedui monitor ROSTER), as the CLI reads it: the
 * bytes as a file, split into lines by roster_reader, each line through
 * roster_parse_line. A line that parses holds an enrollment its program
 * can pay and a household that encodes, decodes and passes or fails the
 * service's own checks cleanly; an error always says something.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"

#include "household.h"
#include "roster.h"

static int fuzz_fd = -1;
static char fuzz_file[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_fd = memfd_create("roster", 0);
	if (fuzz_fd < 0)
		abort();
	snprintf(fuzz_file, sizeof fuzz_file, "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

static void fuzz_line(const char *text, size_t len)
{
	roster_entry e;
	char err[256];
	if (roster_parse_line(text, len, 20261101, &e, err, sizeof err) !=
	    HD_OK) {
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(e.household == NULL);
		return;
	}
	FUZZ_ASSERT(
	    roster_category_fits(e.enrollment.program, e.enrollment.category));
	FUZZ_ASSERT(e.enrollment.monthly_benefit_fen >= 0);
	FUZZ_ASSERT(strcmp(e.household->program, e.enrollment.program) == 0);
	FUZZ_ASSERT(e.household->request_id[0] == '\0');
	size_t n = hedui__v1__household__get_packed_size(e.household);
	uint8_t *buf = malloc(n + 1);
	if (buf == NULL)
		abort();
	hedui__v1__household__pack(e.household, buf);
	Hedui__V1__Household *back =
	    hedui__v1__household__unpack(NULL, n, buf);
	FUZZ_ASSERT(back != NULL);
	household_norm norm;
	household_problem prob;
	(void)household_check(back, 20270115, &norm, &prob);
	hedui__v1__household__free_unpacked(back, NULL);
	free(buf);
	roster_entry_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fuzz_fd, 0) != 0 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	char err[128];
	roster_reader *r = roster_reader_open(fuzz_file, err, sizeof err);
	FUZZ_ASSERT(r != NULL);
	roster_text t;
	hd_err e;
	uint64_t last = 0;
	while ((e = roster_reader_next(r, &t)) == HD_OK || e == HD_ETOOBIG) {
		FUZZ_ASSERT(t.number > last);
		last = t.number;
		if (e == HD_OK) {
			FUZZ_ASSERT(t.len <= ROSTER_LINE_MAX);
			FUZZ_ASSERT(memchr(t.text, '\n', t.len) == NULL);
			fuzz_line(t.text, t.len);
		}
	}
	FUZZ_ASSERT(e == HD_ENOTFOUND);
	uint8_t digest[32];
	roster_reader_digest(r, digest);
	roster_reader_close(r);
	return 0;
}
