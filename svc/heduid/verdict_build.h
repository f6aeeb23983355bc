/* SPDX-License-Identifier: MIT */
/*
 * verdict_build: a policy_verdict and the request it answers, as the
 * hedui.v1.Verdict of docs/RULES.md. ID numbers appear masked only.
 */
#ifndef HEDUI_VERDICT_BUILD_H
#define HEDUI_VERDICT_BUILD_H

#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "policy.h"

typedef struct verdict_context {
	const char *report_id;
	const char *case_id;
	const char *request_id;
	const char *region_code;
	const char *agency;         /* the certificate's CN */
	const char *agency_subject; /* its whole subject */
	const char *policy_version;
	idnum_date as_of;
	int64_t generated_at_ms; /* Unix milliseconds */
	/* The consent numbers used and how they were checked (Verdict
	 * fields 30, 31); NULL, 0, NULL: none. */
	const char *const *consents;
	size_t n_consents;
	const char *consent_check;
} verdict_context;

/* Owns every buffer the message points into: keep it alive while the
 * message is used. Large; allocate it. */
typedef struct verdict_doc {
	Hedui__V1__Verdict v;
	Hedui__V1__Reason reasons[POLICY_MAX_REASONS];
	Hedui__V1__Reason *reason_ptrs[POLICY_MAX_REASONS];
	Hedui__V1__SourceSummary sources[POLICY_SOURCE_COUNT];
	Hedui__V1__SourceSummary *source_ptrs[POLICY_SOURCE_COUNT];
	char *failed[POLICY_SOURCE_COUNT][POLICY_MAX_MEMBERS];
	Hedui__V1__MemberFigures members[POLICY_MAX_MEMBERS];
	Hedui__V1__MemberFigures *member_ptrs[POLICY_MAX_MEMBERS];
	char *single[POLICY_MAX_MEMBERS];
	char masked[POLICY_MAX_MEMBERS][IDNUM_MASKED_LEN + 1];
	char generated_at[32];
	char as_of[11];
} verdict_doc;

void verdict_build(verdict_doc *doc, const policy_household *h,
    const policy_verdict *pv, const verdict_context *ctx);

/* RFC 3339 UTC with milliseconds: "2026-11-23T09:10:11.123Z". */
void verdict_format_time(int64_t unix_ms, char out[32]);

#endif
