/* SPDX-License-Identifier: MIT */
#include "store_url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

store_url_kind store_url_kind_of(const char *path)
{
	if (path == NULL)
		return STORE_URL_SQLITE;
	if (strncasecmp(path, "postgresql://", 13) == 0 ||
	    strncasecmp(path, "postgres://", 11) == 0)
		return STORE_URL_POSTGRESQL;
	/* A scheme is letters, digits, '+', '-' or '.' before "://". */
	const char *p = path;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (p != path && strncmp(p, "://", 3) == 0)
		return STORE_URL_UNKNOWN;
	return STORE_URL_SQLITE;
}

/* Appends n bytes of s to out (at *len, within cap). */
static void su_put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *len + 1 < cap; i++)
		out[(*len)++] = s[i];
	out[*len] = '\0';
}

void store_url_mask(const char *path, char *out, size_t cap)
{
	size_t len = 0;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (path == NULL)
		return;
	if (store_url_kind_of(path) == STORE_URL_SQLITE) {
		snprintf(out, cap, "%s", path);
		return;
	}
	/* userinfo: between "://" and the last '@' before the path. */
	const char *auth = strstr(path, "://") + 3;
	const char *end = auth + strcspn(auth, "/?");
	const char *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *colon = NULL;
	if (at != NULL)
		colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon != NULL) {
		su_put(out, cap, &len, path, (size_t)(colon + 1 - path));
		su_put(out, cap, &len, "***", 3);
		su_put(out, cap, &len, at, (size_t)(end - at));
	} else {
		su_put(out, cap, &len, path, (size_t)(end - path));
	}
	/* The database, then the query: password=... (any case) masked,
	 * other parameters kept. */
	const char *q = end + strcspn(end, "?");
	su_put(out, cap, &len, end, (size_t)(q - end));
	while (*q != '\0') {
		size_t seg = strcspn(q + 1, "&");
		const char *name = q + 1;
		su_put(out, cap, &len, q, 1);
		if (strncasecmp(name, "password=", 9) == 0) {
			su_put(out, cap, &len, name, 9);
			su_put(out, cap, &len, "***", 3);
		} else {
			su_put(out, cap, &len, name, seg);
		}
		q = name + seg;
	}
}

/* Replaces each occurrence of secret[0..n) in text by "***" (by as many
 * '*' when shorter: the text never grows). */
static void su_redact_one(const char *secret, size_t n, char *text)
{
	if (n == 0)
		return;
	size_t stars = n < 3 ? n : 3;
	for (char *p = text; *p != '\0';) {
		if (strncmp(p, secret, n) == 0) {
			memmove(p + stars, p + n, strlen(p + n) + 1);
			memset(p, '*', stars);
			p += stars;
		} else {
			p++;
		}
	}
}

void store_url_redact(const char *url, char *text, size_t cap)
{
	(void)cap; /* text only shrinks */
	if (url == NULL || text == NULL ||
	    store_url_kind_of(url) == STORE_URL_SQLITE)
		return;
	const char *auth = strstr(url, "://");
	if (auth == NULL)
		return;
	auth += 3;
	const char *end = auth + strcspn(auth, "/?");
	const char *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *colon =
	    at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL)
		su_redact_one(colon + 1, (size_t)(at - colon - 1), text);
	for (const char *q = strchr(end, '?'); q != NULL;
	     q = strchr(q + 1, '&')) {
		if (strncasecmp(q + 1, "password=", 9) == 0)
			su_redact_one(q + 10, strcspn(q + 10, "&"), text);
	}
}
