/* SPDX-License-Identifier: MIT */
#include "pb_strcheck.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Repeated fields get an index in the path when they are among the first
 * this many of their message's descriptor (all of ours are). */
#define PB_STRCHECK_COUNTED 64

static bool pb_fail(pb_strcheck_problem *p, const char *reason)
{
	p->reason = reason;
	return false;
}

/* A base-128 varint at buf[*pos]; false when cut short or over 10
 * bytes. */
static bool pb_varint(
    const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (*pos >= len)
			return false;
		uint8_t b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* The fields from the outer message in to the one at fault: the path is
 * formatted only when something is wrong (formatting it for every field
 * walked was most of the check's cost). */
typedef struct pb_frame {
	const ProtobufCFieldDescriptor *f;
	long idx; /* -1: not repeated */
} pb_frame;

/* p->field = the path of frames[0..n), cut (never overflowing) when it is
 * too long; then the reason. */
static bool pb_fail_at(pb_strcheck_problem *p, const pb_frame *frames,
    size_t n, const char *reason)
{
	size_t cap = sizeof p->field, at = 0;
	p->field[0] = '\0';
	for (size_t i = 0; i < n && at + 1 < cap; i++) {
		const char *dot = at > 0 ? "." : "";
		int w = frames[i].idx >= 0
		            ? snprintf(p->field + at, cap - at, "%s%s[%ld]",
		                  dot, frames[i].f->name, frames[i].idx)
		            : snprintf(p->field + at, cap - at, "%s%s", dot,
		                  frames[i].f->name);
		if (w < 0)
			break;
		at = at + (size_t)w < cap ? at + (size_t)w : cap - 1;
	}
	return pb_fail(p, reason);
}

/* One encoded message of type d, reached through frames[0..depth). */
static bool pb_walk(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
    size_t len, unsigned depth, pb_frame *frames, pb_strcheck_problem *p)
{
	uint32_t seen[PB_STRCHECK_COUNTED] = {0};
	size_t pos = 0;
	while (pos < len) {
		uint64_t tag, n;
		if (!pb_varint(buf, len, &pos, &tag) || (tag >> 3) == 0 ||
		    (tag >> 3) > 0x1fffffff)
			return pb_fail_at(p, frames, depth, "does not decode");
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(
		        d, (unsigned)(tag >> 3));
		switch (tag & 7) {
		case PROTOBUF_C_WIRE_TYPE_VARINT:
			if (!pb_varint(buf, len, &pos, &n))
				return pb_fail_at(
				    p, frames, depth, "does not decode");
			continue;
		case PROTOBUF_C_WIRE_TYPE_64BIT:
		case PROTOBUF_C_WIRE_TYPE_32BIT: {
			size_t w =
			    (tag & 7) == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
			if (len - pos < w)
				return pb_fail_at(
				    p, frames, depth, "does not decode");
			pos += w;
			continue;
		}
		case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
			break;
		default:
			/* Groups (3, 4) do not exist in proto3; 6 and 7 in no
			 * protobuf at all. */
			return pb_fail_at(p, frames, depth, "does not decode");
		}
		if (!pb_varint(buf, len, &pos, &n) || n > len - pos)
			return pb_fail_at(p, frames, depth, "does not decode");
		const uint8_t *v = buf + pos;
		pos += (size_t)n;
		if (f == NULL || (f->type != PROTOBUF_C_TYPE_STRING &&
		                     f->type != PROTOBUF_C_TYPE_MESSAGE))
			continue;
		long idx = -1;
		size_t k = (size_t)(f - d->fields);
		if (f->label == PROTOBUF_C_LABEL_REPEATED &&
		    k < PB_STRCHECK_COUNTED)
			idx = (long)seen[k]++;
		frames[depth] = (pb_frame){f, idx};
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			/* What protobuf-c would cut at. */
			if (memchr(v, '\0', (size_t)n) != NULL)
				return pb_fail_at(
				    p, frames, depth + 1, "holds a NUL byte");
			if (!utf8_valid((const char *)v, (size_t)n))
				return pb_fail_at(p, frames, depth + 1,
				    "is not valid UTF-8");
		} else {
			if (depth + 1 >= PB_STRCHECK_MAX_DEPTH)
				return pb_fail_at(p, frames, depth + 1,
				    "nests messages too deep");
			if (!pb_walk(f->descriptor, v, (size_t)n, depth + 1,
			        frames, p))
				return false;
		}
	}
	return true;
}

bool pb_strcheck_message(const ProtobufCMessageDescriptor *d,
    const uint8_t *buf, size_t len, pb_strcheck_problem *p)
{
	pb_frame frames[PB_STRCHECK_MAX_DEPTH];
	p->field[0] = '\0';
	p->reason = "";
	if (len > 0 && buf == NULL)
		return pb_fail(p, "does not decode");
	return pb_walk(d, buf, len, 0, frames, p);
}
