/* SPDX-License-Identifier: MIT */
/* roster_reader: a roster a line at a time, in a buffer of fixed size,
 * hashing every byte on the way (the run's header keeps the digest, so
 * that a resumed run knows the roster has not changed). */
#include "roster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Room for the longest line allowed and a read's worth after it. */
#define RR_BUF (ROSTER_LINE_MAX + 65536)

struct roster_reader {
	FILE *f;
	EVP_MD_CTX *md;
	char *buf;
	size_t start, end; /* unread bytes are buf[start..end) */
	bool eof, first;
	uint64_t number;
};

roster_reader *roster_reader_open(const char *path, char *err, size_t errlen)
{
	if (strcmp(path, "-") == 0) {
		snprintf(err, errlen,
		    "a roster must be a file (it is read twice: once to "
		    "count and check, once to send)");
		return NULL;
	}
	roster_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		goto nomem;
	r->first = true;
	r->f = fopen(path, "rb");
	if (r->f == NULL) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		free(r);
		return NULL;
	}
	r->buf = malloc(RR_BUF);
	r->md = EVP_MD_CTX_new();
	if (r->buf == NULL || r->md == NULL ||
	    EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1) {
		roster_reader_close(r);
		goto nomem;
	}
	return r;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* More bytes at the end of the buffer; false at the end of the file or on
 * an error (r->eof set either way; ferror tells). */
static bool rr_fill(roster_reader *r)
{
	if (r->eof)
		return false;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == RR_BUF)
		return false;
	size_t got = fread(r->buf + r->end, 1, RR_BUF - r->end, r->f);
	if (got == 0) {
		r->eof = true;
		return false;
	}
	EVP_DigestUpdate(r->md, r->buf + r->end, got);
	r->end += got;
	return true;
}

static bool rr_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Skips the rest of an over-long line. */
static hd_err rr_skip_line(roster_reader *r)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			r->start = (size_t)(nl - r->buf) + 1;
			return HD_OK;
		}
		r->start = r->end;
		if (!rr_fill(r))
			return ferror(r->f) ? HD_EIO : HD_OK;
	}
}

hd_err roster_reader_next(roster_reader *r, roster_text *out)
{
	for (;;) {
		char *s = r->buf + r->start;
		char *nl = memchr(s, '\n', r->end - r->start);
		if (nl == NULL && r->end - r->start > ROSTER_LINE_MAX) {
			out->number = ++r->number;
			hd_err e = rr_skip_line(r);
			return e == HD_OK ? HD_ETOOBIG : e;
		}
		if (nl == NULL && rr_fill(r))
			continue;
		if (nl == NULL && ferror(r->f))
			return HD_EIO;
		if (nl == NULL && r->start == r->end)
			return HD_ENOTFOUND;
		/* The last line may lack its line break. */
		size_t len = nl != NULL ? (size_t)(nl - s) : r->end - r->start;
		r->start += len + (nl != NULL);
		r->number++;
		if (r->first) {
			r->first = false;
			if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
				s += 3;
				len -= 3;
			}
		}
		if (len > 0 && s[len - 1] == '\r')
			len--; /* exported on Windows */
		if (len > ROSTER_LINE_MAX) {
			out->number = r->number;
			return HD_ETOOBIG;
		}
		if (rr_blank(s, len))
			continue;
		out->number = r->number;
		out->text = s;
		out->len = len;
		return HD_OK;
	}
}

void roster_reader_digest(roster_reader *r, uint8_t out[32])
{
	unsigned int n = 32;
	EVP_DigestFinal_ex(r->md, out, &n);
}

void roster_reader_close(roster_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	EVP_MD_CTX_free(r->md);
	free(r->buf);
	free(r);
}
