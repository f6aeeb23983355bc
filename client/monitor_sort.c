/* SPDX-License-Identifier: MIT */
/* monitor_sort: an external merge sort of record lines by roster line. */
#include "monitor_sort.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS_LINE_MAX 8192

typedef struct ms_item {
	uint64_t key;
	size_t off, len;
} ms_item;

/* The roster line of a record line: our records start {"line":N. */
static bool ms_key(const char *s, size_t len, uint64_t *key)
{
	static const char prefix[] = "{\"line\":";
	if (len < sizeof prefix || memcmp(s, prefix, sizeof prefix - 1) != 0)
		return false;
	uint64_t v = 0;
	size_t i = sizeof prefix - 1;
	if (s[i] < '0' || s[i] > '9')
		return false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*key = v;
	return true;
}

static int ms_cmp(const void *a, const void *b)
{
	const ms_item *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

typedef struct ms_run {
	FILE *f;
	char line[MS_LINE_MAX + 2];
	size_t len;
	uint64_t key;
	bool live;
} ms_run;

static hd_err ms_next(ms_run *r)
{
	r->live = false;
	if (fgets(r->line, sizeof r->line, r->f) == NULL)
		return ferror(r->f) ? HD_EIO : HD_OK;
	r->len = strlen(r->line);
	if (!ms_key(r->line, r->len, &r->key))
		return HD_EINVAL;
	r->live = true;
	return HD_OK;
}

static void ms_run_path(const char *tmpdir, size_t i, char *out, size_t cap)
{
	snprintf(out, cap, "%s/run-%zu", tmpdir, i);
}

/* Merges runs 0..n-1 into emit. */
static hd_err ms_merge(const char *tmpdir, size_t n,
    hd_err (*emit)(const char *, size_t, void *), void *arg)
{
	ms_run *runs = calloc(n, sizeof *runs);
	hd_err e = runs == NULL ? HD_ENOMEM : HD_OK;
	for (size_t i = 0; e == HD_OK && i < n; i++) {
		char path[4200];
		ms_run_path(tmpdir, i, path, sizeof path);
		runs[i].f = fopen(path, "rb");
		e = runs[i].f == NULL ? HD_EIO : ms_next(&runs[i]);
	}
	while (e == HD_OK) {
		ms_run *min = NULL;
		/* A few dozen runs for a million lines: a scan will do. */
		for (size_t i = 0; i < n; i++)
			if (runs[i].live &&
			    (min == NULL || runs[i].key < min->key))
				min = &runs[i];
		if (min == NULL)
			break;
		e = emit(min->line, min->len, arg);
		if (e == HD_OK)
			e = ms_next(min);
	}
	for (size_t i = 0; runs != NULL && i < n; i++) {
		char path[4200];
		if (runs[i].f != NULL)
			fclose(runs[i].f);
		ms_run_path(tmpdir, i, path, sizeof path);
		unlink(path);
	}
	free(runs);
	return e;
}

hd_err mon_sort_lines(const char *path, const char *tmpdir, size_t budget,
    hd_err (*emit)(const char *line, size_t len, void *arg), void *arg)
{
	FILE *in = fopen(path, "rb");
	if (in == NULL)
		return HD_EIO;
	size_t cap_items = budget / 64 + 16;
	char *text = malloc(budget + MS_LINE_MAX + 2);
	ms_item *items = malloc(cap_items * sizeof *items);
	hd_err e = text == NULL || items == NULL ? HD_ENOMEM : HD_OK;
	size_t runs = 0;
	bool eof = false;
	while (e == HD_OK && !eof) {
		size_t used = 0, n = 0;
		/* Fill one run. */
		while (used < budget && n < cap_items) {
			char *at = text + used;
			if (fgets(at, MS_LINE_MAX + 2, in) == NULL) {
				eof = true;
				break;
			}
			size_t len = strlen(at);
			if (len == 0 || at[len - 1] != '\n' ||
			    !ms_key(at, len, &items[n].key)) {
				e = HD_EINVAL;
				break;
			}
			items[n].off = used;
			items[n].len = len;
			used += len;
			n++;
		}
		if (e != HD_OK)
			break;
		if (ferror(in)) {
			e = HD_EIO;
			break;
		}
		qsort(items, n, sizeof *items, ms_cmp);
		if (eof && runs == 0) {
			/* All of it fitted: no files. */
			for (size_t i = 0; e == HD_OK && i < n; i++)
				e = emit(
				    text + items[i].off, items[i].len, arg);
			goto out;
		}
		char rp[4200];
		ms_run_path(tmpdir, runs++, rp, sizeof rp);
		FILE *rf = fopen(rp, "wb");
		if (rf == NULL) {
			e = HD_EIO;
			break;
		}
		for (size_t i = 0; i < n; i++)
			fwrite(text + items[i].off, 1, items[i].len, rf);
		if (fclose(rf) != 0)
			e = HD_EIO;
	}
	free(text);
	text = NULL;
	if (e == HD_OK)
		e = ms_merge(tmpdir, runs, emit, arg);
	else
		for (size_t i = 0; i < runs; i++) {
			char rp[4200];
			ms_run_path(tmpdir, i, rp, sizeof rp);
			unlink(rp);
		}
out:
	free(text);
	free(items);
	fclose(in);
	return e;
}
