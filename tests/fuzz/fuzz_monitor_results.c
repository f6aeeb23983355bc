/* SPDX-License-Identifier: MIT */
/*
 * The results file of a monitoring run as a resumed run reads it back
 * (mon_results_open): the bytes are the file. Its first line, when it is
 * a header, is taken as the run's own, so that the records behind it are
 * read as on a real resume. Whatever the bytes, the open either refuses
 * with a reason or leaves a file whose every line is whole, and records
 * that parse format back to the same record.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"

#include "monitor_record.h"
#include "monitor_results.h"

static int fuzz_fd = -1;
static char fuzz_file[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_fd = memfd_create("results", 0);
	if (fuzz_fd < 0)
		abort();
	snprintf(fuzz_file, sizeof fuzz_file, "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

/* Every line on its own: a record that parses formats back to itself. */
static void fuzz_lines(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		mon_record r, back;
		if (mon_record_parse(p, len, &r) == HD_OK) {
			char buf[8192];
			size_t n = mon_record_format(&r, buf, sizeof buf);
			FUZZ_ASSERT(n > 0);
			FUZZ_ASSERT(
			    mon_record_parse(buf, n - 1, &back) == HD_OK);
			FUZZ_ASSERT(memcmp(&r, &back, sizeof r) == 0);
		}
		mon_header h;
		(void)mon_header_parse(p, len, &h);
		p += len + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(data, size);
	if (ftruncate(fuzz_fd, 0) != 0 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	mon_header want;
	memset(&want, 0, sizeof want);
	const char *nl = memchr(data, '\n', size);
	if (nl == NULL ||
	    mon_header_parse((const char *)data,
	        (size_t)(nl - (const char *)data), &want) != HD_OK) {
		memset(&want, 0, sizeof want);
		snprintf(want.run_id, sizeof want.run_id, "fuzz");
		want.as_of = 20261101;
		want.households = want.last_line = 8;
	}
	bool resumed;
	mon_results *r = NULL;
	char err[256];
	hd_err e =
	    mon_results_open(fuzz_file, &want, &resumed, &r, err, sizeof err);
	if (e != HD_OK) {
		FUZZ_ASSERT(r == NULL && err[0] != '\0');
		return 0;
	}
	/* What is left ends with a line break: no torn line survives. */
	off_t len = lseek(fuzz_fd, 0, SEEK_END);
	FUZZ_ASSERT(len > 0);
	char last;
	FUZZ_ASSERT(pread(fuzz_fd, &last, 1, len - 1) == 1 && last == '\n');
	FUZZ_ASSERT(mon_results_count(r) <= want.last_line);
	FUZZ_ASSERT(mon_results_close(r) == HD_OK);
	return 0;
}
