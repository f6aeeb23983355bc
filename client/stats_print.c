/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "stats_print.h"

/* What the service sent, as the table and CSV show it: codes, words and
 * digits pass; anything else (a control character, a comma, a quote)
 * becomes '?', so that no answer can move the officer's terminal or
 * split a CSV field. */
static const char *stats_safe(const char *in, char *out, size_t cap)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < cap; i++) {
		char c = in[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == ':' ||
		          c == '-' || c == '.';
		out[i] = ok ? c : '?';
	}
	out[i] = '\0';
	return out;
}

static uint64_t stats_of(
    Hedui__V1__StatsCount *const *list, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i]->key, key) == 0)
			return list[i]->count;
	return 0;
}

static void stats_list_line(
    FILE *f, const char *title, Hedui__V1__StatsCount *const *list, size_t n)
{
	char k[64];
	if (n == 0)
		return;
	fprintf(f, "    %-17s", title);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s %llu", i > 0 ? ", " : "",
		    stats_safe(list[i]->key, k, sizeof k),
		    (unsigned long long)list[i]->count);
	fputc('\n', f);
}

void stats_print_table(FILE *f, const Hedui__V1__StatsResponse *r)
{
	char a[16], b[16], p[32];
	fprintf(f, "Checks from %s to %s, region prefix %s: %llu\n\n",
	    stats_safe(r->from, a, sizeof a), stats_safe(r->to, b, sizeof b),
	    stats_safe(r->region_prefix, p, sizeof p),
	    (unsigned long long)r->checks);
	if (r->n_counties == 0) {
		fprintf(f, "(no checks in the period)\n");
		return;
	}
	fprintf(f, "%-8s %-10s %8s %8s %14s %13s\n", "COUNTY", "PROGRAM",
	    "CHECKS", "MEETS", "DOES_NOT_MEET", "NEEDS_REVIEW");
	for (size_t i = 0; i < r->n_counties; i++) {
		const Hedui__V1__CountyStats *c = r->counties[i];
		fprintf(f, "%-8s %-10s %8llu %8llu %14llu %13llu\n",
		    stats_safe(c->region_code, a, sizeof a),
		    stats_safe(c->program, p, sizeof p),
		    (unsigned long long)c->checks,
		    (unsigned long long)stats_of(
		        c->conclusions, c->n_conclusions, "meets"),
		    (unsigned long long)stats_of(
		        c->conclusions, c->n_conclusions, "does_not_meet"),
		    (unsigned long long)stats_of(
		        c->conclusions, c->n_conclusions, "needs_review"));
		stats_list_line(
		    f, "categories:", c->categories, c->n_categories);
		stats_list_line(f, "reasons:", c->reasons, c->n_reasons);
		stats_list_line(f, "source failures:", c->source_failures,
		    c->n_source_failures);
	}
}

/* Keys pass stats_safe: nothing a CSV field must quote. */
static void stats_csv_list(FILE *f, const Hedui__V1__CountyStats *c,
    const char *dim, Hedui__V1__StatsCount *const *list, size_t n)
{
	char r[16], p[32], k[64];
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s,%s,%s,%s,%llu\n",
		    stats_safe(c->region_code, r, sizeof r),
		    stats_safe(c->program, p, sizeof p), dim,
		    stats_safe(list[i]->key, k, sizeof k),
		    (unsigned long long)list[i]->count);
}

void stats_print_csv(FILE *f, const Hedui__V1__StatsResponse *r)
{
	char rc[16], p[32];
	fprintf(f, "region_code,program,dimension,key,count\n");
	for (size_t i = 0; i < r->n_counties; i++) {
		const Hedui__V1__CountyStats *c = r->counties[i];
		fprintf(f, "%s,%s,checks,,%llu\n",
		    stats_safe(c->region_code, rc, sizeof rc),
		    stats_safe(c->program, p, sizeof p),
		    (unsigned long long)c->checks);
		stats_csv_list(
		    f, c, "conclusion", c->conclusions, c->n_conclusions);
		stats_csv_list(
		    f, c, "category", c->categories, c->n_categories);
		stats_csv_list(f, c, "reason", c->reasons, c->n_reasons);
		stats_csv_list(f, c, "source_failure", c->source_failures,
		    c->n_source_failures);
	}
}

static json_t *stats_json_list(Hedui__V1__StatsCount *const *list, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < n; i++)
		json_object_set_new(
		    o, list[i]->key, json_integer((json_int_t)list[i]->count));
	return o;
}

bool stats_print_json(FILE *f, const Hedui__V1__StatsResponse *r)
{
	json_t *root = json_object(), *arr = json_array();
	if (root == NULL || arr == NULL) {
		json_decref(root);
		json_decref(arr);
		return false;
	}
	json_object_set_new(root, "from", json_string(r->from));
	json_object_set_new(root, "to", json_string(r->to));
	json_object_set_new(
	    root, "region_prefix", json_string(r->region_prefix));
	json_object_set_new(
	    root, "checks", json_integer((json_int_t)r->checks));
	for (size_t i = 0; i < r->n_counties; i++) {
		const Hedui__V1__CountyStats *c = r->counties[i];
		json_t *o = json_object();
		json_object_set_new(
		    o, "region_code", json_string(c->region_code));
		json_object_set_new(o, "program", json_string(c->program));
		json_object_set_new(
		    o, "checks", json_integer((json_int_t)c->checks));
		json_object_set_new(o, "conclusions",
		    stats_json_list(c->conclusions, c->n_conclusions));
		json_object_set_new(o, "categories",
		    stats_json_list(c->categories, c->n_categories));
		json_object_set_new(
		    o, "reasons", stats_json_list(c->reasons, c->n_reasons));
		json_object_set_new(o, "source_failures",
		    stats_json_list(c->source_failures, c->n_source_failures));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "counties", arr);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return rc == 0;
}
