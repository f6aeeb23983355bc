/* SPDX-License-Identifier: MIT */
/*
 * monitor_class: what a re-check means for an enrolled household
 * (docs/MONITORING.md, "Classes"). Pure: the enrollment and the verdict's
 * fields in, a class out.
 */
#ifndef HEDUI_MONITOR_CLASS_H
#define HEDUI_MONITOR_CLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "roster.h"

typedef enum mon_class {
	MON_UNCHANGED,          /* 无变化: nothing to do */
	MON_BENEFIT_CHANGED,    /* 待遇变化: still meets, paid otherwise */
	MON_GRADUAL_EXIT,       /* 启动渐退: meets only as gradual_exit */
	MON_NO_LONGER_ELIGIBLE, /* 不再符合: does_not_meet */
	MON_NEEDS_REVIEW,       /* 需人工复核: a source gap */
	MON_REFUSED,            /* 核对被拒: no verdict (status and why) */
	MON_CLASS_COUNT
} mon_class;

/* The verdict's fields the classes depend on (docs/RULES.md's names). */
typedef struct mon_verdict {
	const char *conclusion; /* meets | does_not_meet | needs_review */
	const char *category;
	int64_t estimated_monthly_benefit_fen;
	int32_t gradual_exit_months;
} mon_verdict;

/* v NULL: the household was refused (no verdict). */
mon_class mon_classify(const roster_enrollment *e, const mon_verdict *v);

/* "unchanged", "benefit_changed", ... and the Chinese labels. */
const char *mon_class_name(mon_class c);
const char *mon_class_label(mon_class c);
bool mon_class_parse(const char *name, mon_class *out);
/* Every class but unchanged needs an officer: it goes to the alerts. */
bool mon_class_alert(mon_class c);
/* Whether the verdict estimates an amount for the category (docs/RULES.md:
 * dibao, single_person, tekun; every other category estimates 0). */
bool mon_category_has_amount(const char *category);

#endif
