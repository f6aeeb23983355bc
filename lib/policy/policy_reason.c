/* SPDX-License-Identifier: MIT */
/*
 * A verdict's reasons, which the asset rules (policy_assets.c) and the
 * rest of the verdict (policy_eval.c) both add: apart from both so that
 * policy_eval.c calls policy_assets.c and neither calls the other back.
 */
#include "policy_internal.h"

#include <stdarg.h>
#include <stdio.h>

void policy_reason_add(
    policy_verdict *v, policy_reason_code code, const char *fmt, ...)
{
	if (v->n_reasons >= POLICY_MAX_REASONS)
		return;
	policy_reason *r = &v->reasons[v->n_reasons++];
	r->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}
