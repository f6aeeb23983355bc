/* SPDX-License-Identifier: MIT */
/*
 * monitor_record: one household's outcome in a monitoring run, and the
 * results file's header, as the JSON lines of docs/MONITORING.md
 * ("The results file").
 *
 * Nothing in a record identifies a person beyond what an officer needs to
 * find the case: the case id, the applicant's ID number masked (first 6
 * and last 4), the report id. Never a name, never a figure from a source.
 */
#ifndef HEDUI_MONITOR_RECORD_H
#define HEDUI_MONITOR_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "idnum.h"
#include "monitor_class.h"
#include "monitor_ids.h"
#include "roster.h"

#define MON_FORMAT_VERSION 1

typedef struct mon_record {
	uint64_t line;
	char request_id[MON_REQUEST_ID_MAX + 1];
	char county[7]; /* the household's region_code; "" when invalid */
	char case_id[65];
	char applicant[IDNUM_MASKED_LEN + 1]; /* masked */
	int household_size;
	roster_enrollment enrolled;
	mon_class cls;
	/* A verdict (every class but refused). */
	bool has_verdict;
	char report_id[65];
	char conclusion[16];
	char category[16];
	int64_t benefit_fen; /* estimated_monthly_benefit_fen */
	int32_t gradual_exit_months;
	char reasons[512]; /* the reasons' codes, comma-separated, once each */
	/* refused: the status, its message, and who refused ("heduid", or
	 * "hedui" when the CLI's own checks stopped it before sending). */
	char status[24];
	char message[256];
	char refused_by[8];
	/* The earliest last valid day (YYYY-MM-DD) of the household's
	 * members' consents among those expiring soon (monitor_consents.h);
	 * "" when none does. Such a household goes to the alerts whatever
	 * its class: a new form must be signed before the next run. */
	char consent_expires[11];
} mon_record;

/* One line of JSON with its "\n" into buf; the length, 0 if it does not
 * fit. */
size_t mon_record_format(const mon_record *r, char *buf, size_t cap);
/* Parses a record line (no "\n"); HD_EINVAL/HD_EDECODE when it is not
 * one. */
hd_err mon_record_parse(const char *text, size_t len, mon_record *out);

/* The results file's first line: what the run is. */
typedef struct mon_header {
	char run_id[MON_RUN_ID_MAX + 1];
	idnum_date as_of;
	uint64_t households; /* lines holding a household */
	uint64_t last_line;  /* the roster's last such line's number */
	uint8_t roster_sha256[32];
	uint8_t agency_sha256[32]; /* of the agency certificate (DER) */
	char started_at[32];       /* RFC 3339, UTC */
} mon_header;

size_t mon_header_format(const mon_header *h, char *buf, size_t cap);
hd_err mon_header_parse(const char *text, size_t len, mon_header *out);

/* "1234.50" from 123450 fen, exactly (no floating point). */
void mon_fen_yuan(int64_t fen, char *out, size_t cap);

#endif
