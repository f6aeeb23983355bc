/* SPDX-License-Identifier: MIT */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed sequence at s (at most len bytes), 0 if the
 * bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static bool utf8_str_ok(const char *s)
{
	return s == NULL || utf8_valid(s, strlen(s));
}

bool utf8_message_valid(const ProtobufCMessage *m, const char **field)
{
	if (m == NULL)
		return true;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const void *at = base + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
			    *(const size_t *)(base + f->quantifier_offset);
			void *const *arr = *(void *const *const *)at;
			for (size_t k = 0; k < n; k++) {
				bool ok =
				    f->type == PROTOBUF_C_TYPE_STRING
				        ? utf8_str_ok(arr[k])
				        : utf8_message_valid(arr[k], field);
				if (!ok) {
					if (f->type == PROTOBUF_C_TYPE_STRING)
						*field = f->name;
					return false;
				}
			}
			continue;
		}
		const void *v = *(const void *const *)at;
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			if (!utf8_str_ok(v)) {
				*field = f->name;
				return false;
			}
		} else if (!utf8_message_valid(v, field)) {
			return false;
		}
	}
	return true;
}

/* Bidirectional formatting characters reorder what a terminal shows
 * ("Trojan Source"): a status message could make a refusal read like an
 * approval. U+061C, U+200E-200F, U+202A-202E, U+2066-2069. */
static bool utf8_is_bidi(const unsigned char *c, size_t n)
{
	if (n == 2)
		return c[0] == 0xd8 && c[1] == 0x9c;
	if (n != 3 || c[0] != 0xe2)
		return false;
	if (c[1] == 0x80)
		return c[2] == 0x8e || c[2] == 0x8f ||
		       (c[2] >= 0xaa && c[2] <= 0xae);
	return c[1] == 0x81 && c[2] >= 0xa6 && c[2] <= 0xa9;
}

char *utf8_sanitize(const char *s, char *out, size_t outlen, bool ctrl)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p);
	size_t i = 0, o = 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		/* C0, DEL, and C1 (U+0080..U+009F: U+009B is an 8-bit CSI
		 * to some terminals). */
		bool is_ctrl = (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		               (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) ||
		               utf8_is_bidi(p + i, n);
		if (n == 0 || (ctrl && is_ctrl)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}
