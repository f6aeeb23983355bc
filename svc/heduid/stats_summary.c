/* SPDX-License-Identifier: MIT */
#include "stats_summary.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Appends item to a comma-separated list unless it is there already or
 * would not fit (a list cut short would count a code that is not one). */
static void stats_list_add(char *list, size_t cap, const char *item)
{
	size_t il = strlen(item), ll = strlen(list);
	if (il == 0 || strchr(item, ',') != NULL)
		return;
	for (const char *p = list; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == il && memcmp(p, item, il) == 0)
			return;
		p += len + (end != NULL);
	}
	if (ll + (ll > 0) + il + 1 > cap)
		return;
	snprintf(list + ll, cap - ll, "%s%s", ll > 0 ? "," : "", item);
}

void stats_summary_of(const Hedui__V1__Verdict *v, store_summary *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->program, sizeof s->program, "%s", v->program);
	snprintf(s->conclusion, sizeof s->conclusion, "%s", v->conclusion);
	snprintf(s->category, sizeof s->category, "%s", v->category);
	for (size_t i = 0; i < v->n_reasons; i++)
		stats_list_add(
		    s->reasons, sizeof s->reasons, v->reasons[i]->code);
	for (size_t i = 0; i < v->n_sources; i++) {
		const Hedui__V1__SourceSummary *src = v->sources[i];
		char item[48];
		if (strcmp(src->status, "ok") == 0 || src->status[0] == '\0')
			continue;
		snprintf(item, sizeof item, "%.20s:%.20s", src->source,
		    src->status);
		stats_list_add(
		    s->source_failures, sizeof s->source_failures, item);
	}
}

void stats_conclude(const uint8_t *report, size_t len, char *out, size_t cap)
{
	Hedui__V1__Verdict *v = hedui__v1__verdict__unpack(NULL, len, report);
	snprintf(out, cap, "%s", v != NULL ? v->conclusion : "");
	if (v != NULL)
		hedui__v1__verdict__free_unpacked(v, NULL);
}

bool stats_summarize(const uint8_t *report, size_t len, store_summary *out)
{
	Hedui__V1__Verdict *v = hedui__v1__verdict__unpack(NULL, len, report);
	if (v == NULL)
		return false;
	stats_summary_of(v, out);
	hedui__v1__verdict__free_unpacked(v, NULL);
	return true;
}
