/* SPDX-License-Identifier: MIT */
/* monitor_summary: the closing table and its JSON twin. */
#include "monitor_summary.h"

#include <string.h>

#include <jansson.h>

#include "monitor_progress.h"

static uint64_t ms_alerts(const uint64_t counts[MON_CLASS_COUNT])
{
	uint64_t n = 0;
	for (int c = 0; c < MON_CLASS_COUNT; c++)
		if (mon_class_alert((mon_class)c))
			n += counts[c];
	return n;
}

static double ms_rate(const mon_summary *s)
{
	return s->seconds > 0 ? (double)s->done_this_run / s->seconds : 0;
}

void mon_summary_print(FILE *f, const mon_summary *s)
{
	const mon_tally *t = s->tally;
	char a[32], b[32], c[32];
	uint64_t done = t->households;
	mon_thousands(s->households, a, sizeof a);
	mon_thousands(done, b, sizeof b);
	fprintf(f, "动态监测 monitoring run %s: %s\n", s->run_id, s->state);
	fprintf(f, "  roster households %s, done %s", a, b);
	mon_thousands(s->done_this_run, a, sizeof a);
	mon_thousands(s->done_before, c, sizeof c);
	fprintf(f, " (this run %s, earlier runs %s)\n", a, c);
	fprintf(
	    f, "  time %.1f s, %.1f households/s\n\n", s->seconds, ms_rate(s));
	fprintf(f, "  %-20s %12s %7s\n", "class", "households", "share");
	for (int k = 0; k < MON_CLASS_COUNT; k++) {
		mon_thousands(t->total[k], a, sizeof a);
		double share =
		    done ? 100.0 * (double)t->total[k] / (double)done : 0;
		fprintf(f, "  %-20s %12s %6.1f%%  %s\n",
		    mon_class_name((mon_class)k), a, share,
		    mon_class_label((mon_class)k));
	}
	uint64_t alerts = ms_alerts(t->total);
	mon_thousands(alerts, a, sizeof a);
	fprintf(f, "  %-20s %12s %6.1f%%  %s\n", "alerts", a,
	    done ? 100.0 * (double)alerts / (double)done : 0.0,
	    "需处理 (预警)");
	/* In the alerts too, whatever their class. */
	mon_thousands(t->consent_expiring, a, sizeof a);
	fprintf(f, "  %-20s %12s %6.1f%%  %s\n\n", "consent_expiring", a,
	    done ? 100.0 * (double)t->consent_expiring / (double)done : 0.0,
	    "授权即将到期");
	fprintf(f, "  %-8s", "county");
	for (int k = 0; k < MON_CLASS_COUNT; k++)
		fprintf(f, " %18s", mon_class_name((mon_class)k));
	fprintf(f, " %10s\n", "alerts");
	for (size_t i = 0; i < t->n; i++) {
		const mon_county *cy = &t->counties[i];
		fprintf(f, "  %-8s", cy->code[0] ? cy->code : "unknown");
		for (int k = 0; k < MON_CLASS_COUNT; k++) {
			mon_thousands(cy->counts[k], a, sizeof a);
			fprintf(f, " %18s", a);
		}
		mon_thousands(ms_alerts(cy->counts), a, sizeof a);
		fprintf(f, " %10s\n", a);
	}
	if (strcmp(s->state, "complete") == 0)
		fprintf(f,
		    "\n  alerts (预警): %s/alerts.csv, %s/alerts.jsonl\n"
		    "  results: %s/results.jsonl\n",
		    s->dir, s->dir, s->dir);
	else
		fprintf(f,
		    "\n  not finished: run the same command again to go on "
		    "(nothing done is sent twice);\n  the alerts are "
		    "written when every household is done.\n");
}

static json_t *ms_counts(const uint64_t counts[MON_CLASS_COUNT])
{
	json_t *o = json_object();
	for (int k = 0; k < MON_CLASS_COUNT; k++)
		json_object_set_new(o, mon_class_name((mon_class)k),
		    json_integer((json_int_t)counts[k]));
	json_object_set_new(
	    o, "alerts", json_integer((json_int_t)ms_alerts(counts)));
	return o;
}

static json_t *ms_json(const mon_summary *s)
{
	const mon_tally *t = s->tally;
	json_t *counties = json_array();
	for (size_t i = 0; i < t->n; i++) {
		json_t *o = ms_counts(t->counties[i].counts);
		json_object_set_new(
		    o, "county", json_string(t->counties[i].code));
		json_array_append_new(counties, o);
	}
	json_t *root = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f}",
	    "run_id", s->run_id, "state", s->state, "households",
	    (json_int_t)s->households, "done", (json_int_t)t->households,
	    "done_this_run", (json_int_t)s->done_this_run, "done_before",
	    (json_int_t)s->done_before, "seconds", s->seconds,
	    "households_per_second", ms_rate(s));
	json_object_set_new(root, "classes", ms_counts(t->total));
	json_object_set_new(root, "consent_expiring",
	    json_integer((json_int_t)t->consent_expiring));
	json_object_set_new(root, "counties", counties);
	json_object_set_new(root, "exit_status", json_integer(s->exit_status));
	return root;
}

void mon_summary_json(FILE *f, const mon_summary *s)
{
	json_t *root = ms_json(s);
	json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	fputc('\n', f);
	json_decref(root);
}
