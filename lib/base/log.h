/* SPDX-License-Identifier: MIT */
/*
 * log: one line per event on stderr, key=value, with a level.
 *
 *   ts=2026-11-23T09:10:11.123Z level=info prog=heduid event=rpc.listen
 * url=...
 *
 * Callers pass further key=value pairs as a printf format. Never pass an ID
 * number (use idnum_mask), a name or a balance: logs leave the secure zone.
 */
#ifndef HEDUI_LOG_H
#define HEDUI_LOG_H

#include <stdbool.h>

#include <hedui/log.h>

/* The public levels (include/hedui/log.h) under the names the tree uses. */
typedef hedui_log_level log_level;
#define LOG_LVL_DEBUG HEDUI_LOG_DEBUG
#define LOG_LVL_INFO HEDUI_LOG_INFO
#define LOG_LVL_WARN HEDUI_LOG_WARN
#define LOG_LVL_ERROR HEDUI_LOG_ERROR

void log_set_program(const char *prog);
void log_set_level(log_level level);
bool log_enabled(log_level level);
/* "debug" | "info" | "warn" | "error"; false when the text is none of them. */
bool log_level_parse(const char *text, log_level *out);

void log_event(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_event(LOG_LVL_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_LVL_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_LVL_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_LVL_ERROR, ev, __VA_ARGS__)

#endif
