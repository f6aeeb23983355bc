/* SPDX-License-Identifier: MIT */
/* monitor_consents: the consents expiring soon, for a run's alerts. */
#include "monitor_consents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_call.h"
#include "consent_form.h"
#include "hedui/v1/consent.pb-c.h"

typedef struct mx_entry {
	char region[7];
	char number[CONSENT_NUMBER_MAX + 1];
	char until[11];
} mx_entry;

struct mon_expiring {
	mx_entry *v;
	size_t n, cap;
};

static int mx_cmp(const void *a, const void *b)
{
	const mx_entry *x = a, *y = b;
	int c = strcmp(x->region, y->region);
	return c != 0 ? c : strcmp(x->number, y->number);
}

static bool mx_add(mon_expiring *e, const Hedui__V1__Consent *c)
{
	if (strlen(c->region_code) >= sizeof e->v->region ||
	    strlen(c->number) > CONSENT_NUMBER_MAX ||
	    strlen(c->valid_until) >= sizeof e->v->until)
		return true; /* not one a roster could cite: skipped */
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 1024;
		mx_entry *v = realloc(e->v, cap * sizeof *v);
		if (v == NULL)
			return false;
		e->v = v;
		e->cap = cap;
	}
	mx_entry *x = &e->v[e->n++];
	snprintf(x->region, sizeof x->region, "%s", c->region_code);
	snprintf(x->number, sizeof x->number, "%s", c->number);
	snprintf(x->until, sizeof x->until, "%s", c->valid_until);
	return true;
}

mon_expiring *mon_expiring_fetch(
    cli_ctx *ctx, agency_signer *signer, idnum_date before)
{
	mon_expiring *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	char date[11], token[256] = "";
	consent_date_format(before, date);
	bool more = true, full = false;
	while (more && !full) {
		Hedui__V1__ConsentQuery q = HEDUI__V1__CONSENT_QUERY__INIT;
		q.expiring_before = date;
		q.limit = 1000;
		q.page_token = token;
		ProtobufCMessage *resp = NULL;
		if (consent_call(ctx, signer, "ListConsents", &q.base, &resp,
		        "monitor: consents expiring") != CLI_EXIT_OK) {
			fprintf(stderr,
			    "hedui: monitor: the alerts will not list "
			    "consents expiring before %s\n",
			    date);
			mon_expiring_free(e);
			return NULL;
		}
		Hedui__V1__ListConsentsResponse *lr =
		    (Hedui__V1__ListConsentsResponse *)resp;
		bool ok = true;
		for (size_t i = 0; ok && i < lr->n_records; i++) {
			if (e->n == MON_EXPIRING_MAX) {
				full = true;
				break;
			}
			if (lr->records[i]->consent != NULL)
				ok = mx_add(e, lr->records[i]->consent);
		}
		more = lr->next_page_token[0] != '\0' &&
		       strlen(lr->next_page_token) < sizeof token;
		if (more)
			snprintf(token, sizeof token, "%s", lr->next_page_token);
		protobuf_c_message_free_unpacked(resp, NULL);
		if (!ok) {
			fprintf(stderr, "hedui: monitor: out of memory\n");
			mon_expiring_free(e);
			return NULL;
		}
	}
	if (full)
		fprintf(stderr,
		    "hedui: monitor: more than %d consents expire before %s: "
		    "the alerts list the households of the first %d "
		    "(hedui consent list --expiring-before %s lists them "
		    "all)\n",
		    MON_EXPIRING_MAX, date, MON_EXPIRING_MAX, date);
	if (e->n > 1)
		qsort(e->v, e->n, sizeof *e->v, mx_cmp);
	return e;
}

void mon_expiring_free(mon_expiring *e)
{
	if (e == NULL)
		return;
	free(e->v);
	free(e);
}

size_t mon_expiring_count(const mon_expiring *e)
{
	return e != NULL ? e->n : 0;
}

const char *mon_expiring_find(
    const mon_expiring *e, const char *region, const char *number)
{
	if (e == NULL || e->n == 0 || strlen(region) >= sizeof e->v->region ||
	    strlen(number) > CONSENT_NUMBER_MAX)
		return NULL;
	mx_entry key;
	snprintf(key.region, sizeof key.region, "%s", region);
	snprintf(key.number, sizeof key.number, "%s", number);
	const mx_entry *x = bsearch(&key, e->v, e->n, sizeof *e->v, mx_cmp);
	return x != NULL ? x->until : NULL;
}
