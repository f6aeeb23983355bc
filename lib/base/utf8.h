/* SPDX-License-Identifier: MIT */
/*
 * utf8: the checks that keep protobuf string fields valid UTF-8.
 *
 * proto3 requires string fields to hold UTF-8 and Google's decoders (Python,
 * Java, Go) refuse a message that breaks the rule, but protobuf-c neither
 * checks it when decoding nor when encoding. A request's bytes echoed into
 * a reply (request_id, a method name in an error message) would otherwise
 * make our reply undecodable for those clients.
 */
#ifndef HEDUI_UTF8_H
#define HEDUI_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);

/* True when every string field of m and of the messages inside it is
 * well-formed UTF-8; on false, *field names the first bad field. */
bool utf8_message_valid(const ProtobufCMessage *m, const char **field);

/*
 * Copies s into out (outlen > 0), always NUL-terminated, replacing each
 * byte that is not part of a well-formed sequence by '?' and cutting only
 * at a character boundary. With ctrl set, control characters (C0, DEL,
 * C1) and bidirectional formatting characters (U+061C, U+200E/F,
 * U+202A-202E, U+2066-2069) become one '?' each as well. Returns out.
 */
char *utf8_sanitize(const char *s, char *out, size_t outlen, bool ctrl);

#endif
