/* SPDX-License-Identifier: MIT */
/*
 * hedui/log.h: libhedui's own log lines.
 *
 * libhedui writes one line per event on stderr (key=value, with a level:
 * a connection lost, a certificate refused). It never writes an ID
 * number, a name or a figure. These set the program name on those lines
 * and the least level written.
 */
#ifndef HEDUI_PUBLIC_LOG_H
#define HEDUI_PUBLIC_LOG_H

#include <hedui/export.h>

typedef enum hedui_log_level {
	HEDUI_LOG_DEBUG = 0,
	HEDUI_LOG_INFO,
	HEDUI_LOG_WARN,
	HEDUI_LOG_ERROR,
} hedui_log_level;

/* The prog= of every line; the string must outlive every later line (a
 * literal, or argv[0]). Call before any client exists: it is not
 * synchronised with the threads that log. */
HEDUI_EXPORT void hedui_log_set_program(const char *prog);
/* Lines below level are not written; default HEDUI_LOG_INFO. Also before
 * any client exists, for the same reason. */
HEDUI_EXPORT void hedui_log_set_level(hedui_log_level level);

#endif
