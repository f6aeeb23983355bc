/* SPDX-License-Identifier: MIT */
/*
 * stats_print: a StatsResponse as hedui stats prints it: a table for
 * people, --csv (one count a line: region, program, dimension, key,
 * count) for spreadsheets, --json for programs.
 */
#ifndef HEDUI_STATS_PRINT_H
#define HEDUI_STATS_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "hedui/v1/stats.pb-c.h"

void stats_print_table(FILE *f, const Hedui__V1__StatsResponse *r);
void stats_print_csv(FILE *f, const Hedui__V1__StatsResponse *r);
/* false when out of memory. */
bool stats_print_json(FILE *f, const Hedui__V1__StatsResponse *r);

#endif
