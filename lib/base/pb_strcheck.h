/* SPDX-License-Identifier: MIT */
/*
 * pb_strcheck: what protobuf-c does not check in the string fields of
 * bytes from outside, read from the wire format itself.
 *
 * protobuf-c hands a string field over as a C string, so an embedded NUL
 * cuts it: "330106197803150013\0junk" reaches our checks as a valid
 * 18-character ID number, and what was cut off is silently lost (the
 * length is gone once decoded). It does not check UTF-8 either. This walks
 * the encoded message, guided by the message's descriptor, and looks at
 * every occurrence of every string field, in nested messages too (to a
 * bounded depth): each must be valid UTF-8 without a NUL byte. Fields the
 * descriptor does not know, and bytes fields, are skipped as they are.
 *
 * Run it on the same bytes protobuf-c decodes, before trusting the
 * decoded strings.
 */
#ifndef HEDUI_PB_STRCHECK_H
#define HEDUI_PB_STRCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Nested messages deeper than this are refused (ours nest 3 deep). */
#define PB_STRCHECK_MAX_DEPTH 16

typedef struct pb_strcheck_problem {
	/* The field as a path, "members[2].id_number" (a repeated field's
	 * index counts its occurrences); "" for the message itself. */
	char field[128];
	/* "holds a NUL byte", "is not valid UTF-8", ...: safe to show, it
	 * never quotes the field's content. */
	const char *reason;
} pb_strcheck_problem;

/*
 * True when every string field of the message d encoded in buf[0..len),
 * and of the messages inside it, is valid UTF-8 without a NUL byte. On
 * false, *p says which field and why (also for bytes that are not a
 * well-formed protobuf encoding, or nest too deep).
 */
bool pb_strcheck_message(const ProtobufCMessageDescriptor *d,
    const uint8_t *buf, size_t len, pb_strcheck_problem *p);

#endif
