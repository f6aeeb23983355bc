/* SPDX-License-Identifier: MIT */
/*
 * log_mask: values a client chose (request ids, case ids and case_ref,
 * operator ids, report ids) as they may appear in a log line.
 *
 * Nothing stops a caller from putting an ID number in a request_id, and
 * logs leave the secure zone: whatever looks like one is masked the way
 * idnum_mask masks a real one. A "run" is a maximal sequence of digits
 * and X/x, half- or full-width (０-９, Ｘ, ｘ): one of 15 or more
 * characters (a first- or second-generation ID number, or several) keeps
 * its first 6 and last 4 characters, every other one becomes '*'. An ID
 * number written with separators inside ("330106-19780315-0013") is not
 * recognised: such values are the caller's to avoid (docs/ATTACKS.md).
 */
#ifndef HEDUI_LOG_MASK_H
#define HEDUI_LOG_MASK_H

#include <stddef.h>

/* Runs shorter than this are left alone. */
#define LOG_MASK_MIN_RUN 15

/*
 * Copies in (NULL: "") into out (cap > 0) masked as above, with '"' and
 * '\\' as '?' so that it stays inside a quoted log value; cut to at most
 * cap - 1 bytes, never inside a UTF-8 sequence. Control characters are
 * left to the logger (log.c writes them as '?'). Returns out.
 */
char *log_mask_client(const char *in, char *out, size_t cap);

#endif
