/* SPDX-License-Identifier: MIT */
#include "log_mask.h"

#include <stdbool.h>
#include <string.h>

/* Bytes of the digit-like character at s (0-9, X, x, and their
 * full-width forms U+FF10-FF19, U+FF38, U+FF58), 0 for anything else. */
static size_t log_mask_digit(const unsigned char *s)
{
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == 'X' || s[0] == 'x')
		return 1;
	if (s[0] != 0xef)
		return 0;
	if (s[1] == 0xbc && ((s[2] >= 0x90 && s[2] <= 0x99) || s[2] == 0xb8))
		return 3;
	if (s[1] == 0xbd && s[2] == 0x98)
		return 3;
	return 0;
}

/* Bytes of the character at s as its lead byte says, cut at a NUL. */
static size_t log_mask_seq(const unsigned char *s)
{
	size_t n = s[0] < 0xc0 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '\0')
			return i;
	return n;
}

char *log_mask_client(const char *in, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)(in != NULL ? in : "");
	size_t o = 0;
	bool full = false;
	while (*s != '\0' && !full) {
		size_t w = log_mask_digit(s);
		if (w == 0) {
			size_t n = log_mask_seq(s);
			if (o + n >= cap)
				break;
			if (n == 1 && (*s == '"' || *s == '\\'))
				out[o] = '?';
			else
				memcpy(out + o, s, n);
			o += n;
			s += n;
			continue;
		}
		size_t chars = 0;
		for (const unsigned char *r = s; (w = log_mask_digit(r)) > 0;
		     r += w)
			chars++;
		for (size_t i = 0; i < chars; i++) {
			w = log_mask_digit(s);
			bool keep = chars < LOG_MASK_MIN_RUN || i < 6 ||
			            i >= chars - 4;
			size_t n = keep ? w : 1;
			if (o + n >= cap) {
				full = true;
				break;
			}
			if (keep)
				memcpy(out + o, s, w);
			else
				out[o] = '*';
			o += n;
			s += w;
		}
	}
	out[o] = '\0';
	return out;
}
