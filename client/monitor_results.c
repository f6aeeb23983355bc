/* SPDX-License-Identifier: MIT */
/* monitor_results: the results file, append-only, resumable. */
#include "monitor_results.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record is well under 2 KB; anything longer is damage. */
#define MR_LINE_MAX 8192
/* Queued records are written once this much is waiting. */
#define MR_QUEUE_MAX (256 * 1024)

struct mon_results {
	int fd;
	uint8_t *done; /* one bit per roster line, 1..last_line */
	uint64_t last_line;
	uint64_t count;
	uint64_t classes[MON_CLASS_COUNT];
	char *queue;
	size_t queued;
};

static hd_err mr_fail(char *err, size_t errlen, hd_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hd_err mr_fail(char *err, size_t errlen, hd_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

static bool mr_bit(const mon_results *r, uint64_t line)
{
	return line >= 1 && line <= r->last_line &&
	       (r->done[line / 8] & (1u << (line % 8))) != 0;
}

static void mr_set(mon_results *r, uint64_t line)
{
	r->done[line / 8] |= (uint8_t)(1u << (line % 8));
}

static hd_err mr_write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return HD_EIO;
		buf += w;
		n -= (size_t)w;
	}
	return HD_OK;
}

/* A new file's name must survive a crash too: sync its directory. */
static void mr_sync_dir(const char *path)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", path);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

static bool mr_same_run(
    const mon_header *want, const mon_header *got, char *err, size_t errlen)
{
	if (memcmp(want->roster_sha256, got->roster_sha256, 32) != 0 ||
	    want->households != got->households ||
	    want->last_line != got->last_line) {
		mr_fail(err, errlen, HD_EINVAL,
		    "it belongs to a run over another roster (the roster "
		    "changed since the run began): restore that roster, or "
		    "start a new run with another --out");
		return false;
	}
	if (memcmp(want->agency_sha256, got->agency_sha256, 32) != 0) {
		mr_fail(err, errlen, HD_EINVAL,
		    "it belongs to a run made with another agency "
		    "certificate, whose reports heduid keeps apart: resume "
		    "with that certificate (--cert, --key)");
		return false;
	}
	if (want->run_id[0] != '\0' &&
	    strcmp(want->run_id, got->run_id) != 0) {
		mr_fail(err, errlen, HD_EINVAL,
		    "it belongs to run %s, not the --run-id given",
		    got->run_id);
		return false;
	}
	return true;
}

/*
 * Reads the existing file: header, records, a torn last line. Fills r and
 * *got; *end is the length of the file's complete lines.
 */
static hd_err mr_load(mon_results *r, FILE *f, const mon_header *want,
    mon_header *got, off_t *end, char *err, size_t errlen)
{
	char *line = malloc(MR_LINE_MAX + 2);
	hd_err e = HD_OK;
	uint64_t number = 0;
	*end = 0;
	if (line == NULL)
		return mr_fail(err, errlen, HD_ENOMEM, "out of memory");
	while (fgets(line, MR_LINE_MAX + 2, f) != NULL) {
		size_t n = strlen(line);
		number++;
		if (n == 0 || line[n - 1] != '\n') {
			/* No line break: the last line, torn by a crash, or
			 * a line too long (damage). */
			int c = fgetc(f);
			if (c == EOF && n <= MR_LINE_MAX)
				break;
			e = mr_fail(err, errlen, HD_EINVAL,
			    "line %llu is damaged (too long)",
			    (unsigned long long)number);
			goto out;
		}
		if (number == 1) {
			if (mon_header_parse(line, n - 1, got) != HD_OK) {
				e = mr_fail(err, errlen, HD_EINVAL,
				    "it is not a hedui monitor results file "
				    "(its first line is not a run header)");
				goto out;
			}
			if (!mr_same_run(want, got, err, errlen)) {
				e = HD_EINVAL;
				goto out;
			}
			r->last_line = got->last_line;
			r->done = calloc(r->last_line / 8 + 1, 1);
			if (r->done == NULL) {
				e = mr_fail(
				    err, errlen, HD_ENOMEM, "out of memory");
				goto out;
			}
		} else {
			mon_record rec;
			if (mon_record_parse(line, n - 1, &rec) != HD_OK) {
				e = mr_fail(err, errlen, HD_EINVAL,
				    "line %llu is damaged (not a record)",
				    (unsigned long long)number);
				goto out;
			}
			if (rec.line > r->last_line) {
				e = mr_fail(err, errlen, HD_EINVAL,
				    "line %llu is about roster line %llu, "
				    "which the roster does not have",
				    (unsigned long long)number,
				    (unsigned long long)rec.line);
				goto out;
			}
			if (mr_bit(r, rec.line)) {
				e = mr_fail(err, errlen, HD_EINVAL,
				    "line %llu repeats roster line %llu",
				    (unsigned long long)number,
				    (unsigned long long)rec.line);
				goto out;
			}
			mr_set(r, rec.line);
			r->count++;
			r->classes[rec.cls]++;
		}
		*end += (off_t)n;
	}
	if (ferror(f))
		e = mr_fail(
		    err, errlen, HD_EIO, "cannot read: %s", strerror(errno));
out:
	free(line);
	return e;
}

static hd_err mr_new_header(mon_results *r, const mon_header *want,
    const char *path, char *err, size_t errlen)
{
	char buf[1024];
	size_t n = mon_header_format(want, buf, sizeof buf);
	if (n == 0)
		return mr_fail(
		    err, errlen, HD_EINTERNAL, "cannot format the header");
	r->last_line = want->last_line;
	r->done = calloc(r->last_line / 8 + 1, 1);
	if (r->done == NULL)
		return mr_fail(err, errlen, HD_ENOMEM, "out of memory");
	if (ftruncate(r->fd, 0) != 0 || mr_write_all(r->fd, buf, n) != HD_OK ||
	    fdatasync(r->fd) != 0)
		return mr_fail(
		    err, errlen, HD_EIO, "cannot write: %s", strerror(errno));
	mr_sync_dir(path);
	return HD_OK;
}

hd_err mon_results_open(const char *path, mon_header *want, bool *resumed,
    mon_results **out, char *err, size_t errlen)
{
	*out = NULL;
	*resumed = false;
	mon_results *r = calloc(1, sizeof *r);
	if (r == NULL || (r->queue = malloc(MR_QUEUE_MAX + 4096)) == NULL) {
		free(r);
		return mr_fail(err, errlen, HD_ENOMEM, "out of memory");
	}
	hd_err e;
	r->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		e = mr_fail(
		    err, errlen, HD_EIO, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (flock(r->fd, LOCK_EX | LOCK_NB) != 0) {
		e = mr_fail(err, errlen, HD_EBUSY,
		    "another hedui monitor is writing it");
		goto fail;
	}
	int fd2 = dup(r->fd);
	FILE *f = fd2 >= 0 ? fdopen(fd2, "r") : NULL;
	if (f == NULL) {
		if (fd2 >= 0)
			close(fd2);
		e = mr_fail(
		    err, errlen, HD_EIO, "cannot read: %s", strerror(errno));
		goto fail;
	}
	mon_header got;
	off_t end = 0;
	memset(&got, 0, sizeof got);
	e = mr_load(r, f, want, &got, &end, err, errlen);
	fclose(f);
	if (e != HD_OK)
		goto fail;
	if (end == 0) {
		/* Empty, or only a torn header: a fresh start. */
		free(r->done);
		r->done = NULL;
		r->count = 0;
		if (want->run_id[0] == '\0') {
			e = mr_fail(err, errlen, HD_EINTERNAL,
			    "no run id for a new run");
			goto fail;
		}
		if ((e = mr_new_header(r, want, path, err, errlen)) != HD_OK)
			goto fail;
	} else {
		struct stat st;
		if (fstat(r->fd, &st) != 0) {
			e = mr_fail(err, errlen, HD_EIO, "cannot stat: %s",
			    strerror(errno));
			goto fail;
		}
		/* A torn last line: cut it; its household is sent again and
		 * gets its same report back. */
		if (st.st_size > end &&
		    (ftruncate(r->fd, end) != 0 || fdatasync(r->fd) != 0)) {
			e = mr_fail(err, errlen, HD_EIO,
			    "cannot cut its torn last line: %s",
			    strerror(errno));
			goto fail;
		}
		*want = got;
		*resumed = true;
	}
	*out = r;
	return HD_OK;
fail:
	if (r->fd >= 0)
		close(r->fd);
	free(r->done);
	free(r->queue);
	free(r);
	return e;
}

bool mon_results_done(const mon_results *r, uint64_t line)
{
	return mr_bit(r, line);
}

uint64_t mon_results_count(const mon_results *r)
{
	return r->count;
}

void mon_results_classes(const mon_results *r, uint64_t out[MON_CLASS_COUNT])
{
	memcpy(out, r->classes, sizeof r->classes);
}

hd_err mon_results_add(mon_results *r, const mon_record *rec)
{
	if (rec->line < 1 || rec->line > r->last_line)
		return HD_EINVAL;
	if (mr_bit(r, rec->line))
		return HD_EEXIST;
	if (r->queued > MR_QUEUE_MAX) {
		hd_err e = mon_results_flush(r, false);
		if (e != HD_OK)
			return e;
	}
	size_t n = mon_record_format(rec, r->queue + r->queued, 4096);
	if (n == 0)
		return HD_EINTERNAL;
	r->queued += n;
	mr_set(r, rec->line);
	r->count++;
	r->classes[rec->cls]++;
	return HD_OK;
}

hd_err mon_results_flush(mon_results *r, bool sync)
{
	if (r->queued > 0) {
		/* One write: a crash of this process leaves whole lines, a
		 * crash of the machine at worst a torn last one. */
		hd_err e = mr_write_all(r->fd, r->queue, r->queued);
		r->queued = 0;
		if (e != HD_OK)
			return e;
	}
	if (sync && fdatasync(r->fd) != 0)
		return HD_EIO;
	return HD_OK;
}

hd_err mon_results_close(mon_results *r)
{
	if (r == NULL)
		return HD_OK;
	hd_err e = mon_results_flush(r, true);
	close(r->fd);
	free(r->done);
	free(r->queue);
	free(r);
	return e;
}
