/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "hedui";
static log_level log_min = LOG_LVL_INFO;
static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_set_program(const char *prog)
{
	if (prog != NULL)
		log_prog = prog;
}

void log_set_level(log_level level)
{
	log_min = level;
}

bool log_enabled(log_level level)
{
	return level >= log_min;
}

bool log_level_parse(const char *text, log_level *out)
{
	for (unsigned i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (text != NULL && strcmp(text, log_names[i]) == 0) {
			*out = (log_level)i;
			return true;
		}
	}
	return false;
}

void log_event(log_level level, const char *event, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;

	/* Built in one buffer and written with one call so that lines from
	 * concurrent threads never interleave. */
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line,
	    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s prog=%s "
	    "event=%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_names[level],
	    log_prog, event);
	if (n < 0)
		return;
	if (fmt != NULL && fmt[0] != '\0' && (size_t)n < sizeof line - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	/* Values come from requests too: a newline or an escape sequence in
	 * one must not forge a line or reach a terminal. One event, one
	 * line. */
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}
