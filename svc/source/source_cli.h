/* SPDX-License-Identifier: MIT */
/*
 * source_cli: the hedui-source command line (main.c dispatches).
 *
 *   hedui-source [serve] --kind K ...   one source, in this process
 *   hedui-source all ...                the three sources, one process each
 *   hedui-source gen ... / load ...     make stores (main.c)
 *
 * Each returns the exit status: 0 done, 1 a runtime failure, 2 bad usage
 * or bad input.
 */
#ifndef HEDUI_SOURCE_CLI_H
#define HEDUI_SOURCE_CLI_H

#include <stdbool.h>

#include "srcdb.h"

#define SOURCE_VERSION "0.1.0"

/* The default listen address of each kind: 127.0.0.1:7451, 7452, 7453. */
#define SOURCE_BASE_PORT 7451

int source_serve_main(int argc, char **argv);
int source_all_main(int argc, char **argv);

/* A whole decimal number 0..max, nothing after it. */
bool source_cli_count(const char *s, long long max, long long *out);
/* Prints "hedui-source: <msg>" and the usage hint; returns 2. */
int source_cli_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
