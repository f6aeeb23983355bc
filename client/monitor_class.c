/* SPDX-License-Identifier: MIT */
/* monitor_class: the classes of docs/MONITORING.md, in the order they are
 * decided there. */
#include "monitor_class.h"

#include <string.h>

static const struct {
	const char *name, *label;
} mc_names[MON_CLASS_COUNT] = {
    [MON_UNCHANGED] = {"unchanged", "无变化"},
    [MON_BENEFIT_CHANGED] = {"benefit_changed", "待遇变化"},
    [MON_GRADUAL_EXIT] = {"gradual_exit", "启动渐退"},
    [MON_NO_LONGER_ELIGIBLE] = {"no_longer_eligible", "不再符合"},
    [MON_NEEDS_REVIEW] = {"needs_review", "需人工复核"},
    [MON_REFUSED] = {"refused", "核对被拒"},
};

const char *mon_class_name(mon_class c)
{
	return (unsigned)c < MON_CLASS_COUNT ? mc_names[c].name : "unknown";
}

const char *mon_class_label(mon_class c)
{
	return (unsigned)c < MON_CLASS_COUNT ? mc_names[c].label : "未知";
}

bool mon_class_parse(const char *name, mon_class *out)
{
	for (int i = 0; i < MON_CLASS_COUNT; i++)
		if (strcmp(name, mc_names[i].name) == 0) {
			*out = (mon_class)i;
			return true;
		}
	return false;
}

bool mon_class_alert(mon_class c)
{
	return c != MON_UNCHANGED;
}

bool mon_category_has_amount(const char *category)
{
	return strcmp(category, "dibao") == 0 ||
	       strcmp(category, "single_person") == 0 ||
	       strcmp(category, "tekun") == 0;
}

mon_class mon_classify(const roster_enrollment *e, const mon_verdict *v)
{
	if (v == NULL)
		return MON_REFUSED;
	/* A gap in the data that arrived without anything failing: only a
	 * person can finish the check (docs/RULES.md, incomplete data). */
	if (strcmp(v->conclusion, "needs_review") == 0)
		return MON_NEEDS_REVIEW;
	/* does_not_meet, with or without SOURCE_INCOMPLETE: what arrived
	 * already fails, and more data only adds income and assets. */
	if (strcmp(v->conclusion, "meets") != 0)
		return MON_NO_LONGER_ELIGIBLE;
	bool exiting = strcmp(v->category, "gradual_exit") == 0;
	bool was_exiting = strcmp(e->category, "gradual_exit") == 0;
	if (exiting && !was_exiting)
		return MON_GRADUAL_EXIT;
	if (strcmp(v->category, e->category) != 0)
		return MON_BENEFIT_CHANGED;
	/* The same category: compare amounts only where the verdict
	 * estimates one; marginal, hardship and a gradual exit already
	 * under way estimate none (0), whatever the office pays. */
	if (mon_category_has_amount(v->category) &&
	    v->estimated_monthly_benefit_fen != e->monthly_benefit_fen)
		return MON_BENEFIT_CHANGED;
	return MON_UNCHANGED;
}
