/* SPDX-License-Identifier: MIT */
/* monitor_run: the two passes, the sending loop and the end of a run. */
#include "monitor_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "consent_form.h"
#include "household.h"
#include "monitor_alerts.h"
#include "monitor_consents.h"
#include "monitor_calls.h"
#include "monitor_progress.h"
#include "monitor_results.h"
#include "monitor_summary.h"
#include "utf8.h"

/* Bad lines named in full before the rest are only counted. */
#define MR_ERRORS_SHOWN 10
/* The results file is fdatasync'd at least this often. */
#define MR_SYNC_MS 1000
/* Backoff of a failed call: 200 ms, doubling, at most 5 s. */
#define MR_BACKOFF_MS 200
#define MR_BACKOFF_MAX_MS 5000

static volatile sig_atomic_t mr_stop;

/* First Ctrl-C: finish what is in flight, record it, stop. A second one:
 * at once (whatever was not written is sent again next time, and gets its
 * same report back). */
static void mr_on_signal(int sig)
{
	if (mr_stop) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	mr_stop = sig;
}

typedef enum mr_state {
	MR_RUNNING,
	MR_COMPLETE,
	MR_INTERRUPTED,
	MR_UNREACHABLE,   /* no answer for give_up seconds */
	MR_FAILED_STATUS, /* the service refused the batches themselves */
	MR_FAILED_LOCAL,  /* a file could not be written */
} mr_state;

typedef struct mr_run {
	cli_ctx *ctx;
	const mon_opts *o;
	mon_header hdr;
	idnum_date today;
	roster_reader *reader;
	bool eof;
	mon_results *results;
	mon_sender sender;
	mon_done_queue done;
	mon_call *building; /* being filled from the roster */
	mon_job pending;    /* a job that did not fit the last call */
	bool have_pending;
	mon_call *held;  /* ready, waiting for the rate's tokens */
	mon_call *retry; /* failed calls, each with its not_before */
	unsigned inflight;
	double tokens;
	uint64_t tokens_at, last_sync;
	uint64_t failing_since; /* first failure since the last answer */
	uint64_t done_before, done_now;
	mr_state state;
	char failure[512];
	mon_progress progress;
	mon_expiring *expiring; /* consents expiring soon; NULL: none */
} mr_run;

/* --- pass 1: count, check, hash ----------------------------------------- */

static int mr_scan(
    mr_run *R, uint64_t *households, uint64_t *last_line, uint8_t digest[32])
{
	char err[256];
	roster_reader *r = roster_reader_open(R->o->roster, err, sizeof err);
	if (r == NULL) {
		fprintf(stderr, "hedui: %s: %s\n", R->o->roster, err);
		return CLI_EXIT_USAGE;
	}
	uint64_t bad = 0;
	roster_text t;
	hd_err e;
	*households = *last_line = 0;
	while ((e = roster_reader_next(r, &t)) == HD_OK || e == HD_ETOOBIG) {
		roster_entry entry;
		if (e == HD_ETOOBIG)
			snprintf(err, sizeof err,
			    "longer than %d bytes: not one household",
			    ROSTER_LINE_MAX);
		else if (roster_parse_line(t.text, t.len, R->hdr.as_of, &entry,
		             err, sizeof err) == HD_OK)
			roster_entry_clear(&entry);
		else
			e = HD_EINVAL;
		if (e != HD_OK && bad++ < MR_ERRORS_SHOWN)
			fprintf(stderr, "hedui: %s: line %llu: %s\n",
			    R->o->roster, (unsigned long long)t.number, err);
		(*households)++;
		*last_line = t.number;
	}
	if (e == HD_EIO) {
		fprintf(stderr, "hedui: %s: cannot read: %s\n", R->o->roster,
		    strerror(errno));
		roster_reader_close(r);
		return CLI_EXIT_USAGE;
	}
	roster_reader_digest(r, digest);
	roster_reader_close(r);
	if (bad > 0) {
		fprintf(stderr,
		    "hedui: %s: %llu of %llu lines are not roster lines%s; "
		    "nothing was sent (docs/MONITORING.md, \"The roster\")\n",
		    R->o->roster, (unsigned long long)bad,
		    (unsigned long long)*households,
		    bad > MR_ERRORS_SHOWN ? " (the first ones named above)"
		                          : "");
		return CLI_EXIT_USAGE;
	}
	if (*households == 0) {
		fprintf(stderr, "hedui: %s: no households in the roster\n",
		    R->o->roster);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* --- the header: what this run is ---------------------------------------- */

/* SHA-256 of the agency certificate's DER: a resumed run must sign as the
 * same agency, or heduid would make new reports. */
static bool mr_cert_digest(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	unsigned char *der = NULL;
	int n = x != NULL ? i2d_X509(x, &der) : -1;
	unsigned int len = 32;
	bool ok = n > 0 && EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(),
	                       NULL) == 1;
	OPENSSL_free(der);
	X509_free(x);
	return ok;
}

/* The header of an existing results file, to learn its as_of (which the
 * roster's check needs) before the roster is read. */
static void mr_peek(const char *path, mon_header *h)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return;
	char line[2048];
	if (fgets(line, sizeof line, f) != NULL && strchr(line, '\n')) {
		mon_header got;
		if (mon_header_parse(line, strlen(line) - 1, &got) == HD_OK)
			*h = got;
	}
	fclose(f);
}

static void mr_now_rfc3339(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- roster lines into jobs ---------------------------------------------- */

/* The earliest last valid day among the expiring consents the members
 * cite, into rec->consent_expires ("YYYY-MM-DD" sorts as a date). */
static void mr_consents(
    mon_record *rec, const Hedui__V1__Household *h, const mon_expiring *x)
{
	for (size_t i = 0; x != NULL && i < h->n_members; i++) {
		const char *until = mon_expiring_find(
		    x, h->region_code, h->members[i]->consent_ref);
		if (until != NULL && (rec->consent_expires[0] == '\0' ||
		                         strcmp(until, rec->consent_expires) < 0))
			snprintf(rec->consent_expires,
			    sizeof rec->consent_expires, "%s", until);
	}
}

static void mr_fill_base(
    mon_record *rec, const roster_entry *en, const mon_expiring *x)
{
	const Hedui__V1__Household *h = en->household;
	rec->enrolled = en->enrollment;
	rec->household_size = (int)h->n_members;
	bool county = strlen(h->region_code) == 6;
	for (int i = 0; county && i < 6; i++)
		county = h->region_code[i] >= '0' && h->region_code[i] <= '9';
	if (county)
		memcpy(rec->county, h->region_code, 7);
	/* Only a case id heduid would take (printable, at most 64). */
	size_t n = strlen(h->case_id);
	bool ok = n < sizeof rec->case_id && utf8_valid(h->case_id, n);
	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)h->case_id[i] >= 0x20 &&
		     h->case_id[i] != 0x7f;
	if (ok)
		memcpy(rec->case_id, h->case_id, n + 1);
	const char *app = NULL;
	for (size_t i = 0; i < h->n_members && app == NULL; i++)
		if (strcmp(h->members[i]->relation, "applicant") == 0)
			app = h->members[i]->id_number;
	idnum_mask(app != NULL ? app : "", rec->applicant);
	mr_consents(rec, h, x);
}

/*
 * One roster line: a job to send (*job), or, when our own checks refuse
 * the household, a record made here (*local: nothing is sent, as `hedui
 * verify` sends nothing it knows heduid would refuse).
 */
static hd_err mr_job(mr_run *R, const roster_text *t, mon_job *job,
    mon_record *local, bool *is_local)
{
	char err[256];
	roster_entry en;
	memset(job, 0, sizeof *job);
	*is_local = false;
	if (roster_parse_line(t->text, t->len, R->hdr.as_of, &en, err,
	        sizeof err) != HD_OK) {
		/* Pass 1 accepted it: the file changed under us. */
		snprintf(R->failure, sizeof R->failure,
		    "%s: line %llu changed during the run: %s", R->o->roster,
		    (unsigned long long)t->number, err);
		return HD_EINVAL;
	}
	mon_record *rec = &job->rec;
	rec->line = t->number;
	hd_err e = mon_request_id(
	    R->hdr.run_id, t->number, t->text, t->len, rec->request_id);
	if (e != HD_OK)
		goto out;
	mr_fill_base(rec, &en, R->expiring);
	household_norm norm;
	household_problem p;
	Hedui__V1__Household *h = en.household;
	if (!household_check(h, R->today, &norm, &p)) {
		*local = *rec;
		local->cls = MON_REFUSED;
		snprintf(local->status, sizeof local->status, "%s",
		    rpc_code_name(p.code));
		household_problem_format(
		    &p, local->message, sizeof local->message);
		snprintf(local->refused_by, sizeof local->refused_by, "hedui");
		*is_local = true;
		goto out;
	}
	/* The normal form, so that a resend is the same bytes. */
	for (size_t i = 0; i < h->n_members; i++)
		memcpy(h->members[i]->id_number, norm.ids[i], IDNUM_LEN);
	h->request_id = rec->request_id; /* borrowed until packed */
	job->len = hedui__v1__household__get_packed_size(h);
	job->household = malloc(job->len ? job->len : 1);
	if (job->household == NULL)
		e = HD_ENOMEM;
	else
		hedui__v1__household__pack(h, job->household);
	h->request_id = (char *)protobuf_c_empty_string;
out:
	roster_entry_clear(&en);
	return e;
}

/* --- outcomes --------------------------------------------------------------
 */

static bool mr_transient(rpc_code c)
{
	return c == RPC_UNAVAILABLE || c == RPC_DEADLINE_EXCEEDED ||
	       c == RPC_RESOURCE_EXHAUSTED || c == RPC_ABORTED ||
	       c == RPC_CANCELLED;
}

static hd_err mr_record(mr_run *R, const mon_record *rec)
{
	hd_err e = mon_results_add(R->results, rec);
	if (e == HD_OK)
		R->done_now++;
	else if (e != HD_EEXIST) {
		snprintf(R->failure, sizeof R->failure,
		    "%s/results.jsonl: cannot record an outcome: %s",
		    R->o->dir, hd_strerror(e));
		R->state = MR_FAILED_LOCAL;
	}
	return e;
}

/* The verdict's codes, each once, in order. */
static void mr_reasons(const Hedui__V1__Verdict *v, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < v->n_reasons; i++) {
		const char *code = v->reasons[i]->code;
		size_t n = strlen(code);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(v->reasons[j]->code, code) == 0;
		if (seen || n == 0 || strchr(code, ',') != NULL ||
		    used + n + 2 > cap)
			continue;
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, code, n + 1);
		used += n;
	}
}

static void mr_verdict_record(mon_record *rec, const Hedui__V1__Verdict *v)
{
	rec->has_verdict = true;
	utf8_sanitize(
	    v->report_id, rec->report_id, sizeof rec->report_id, true);
	utf8_sanitize(
	    v->conclusion, rec->conclusion, sizeof rec->conclusion, true);
	utf8_sanitize(v->category, rec->category, sizeof rec->category, true);
	rec->benefit_fen = v->estimated_monthly_benefit_fen;
	rec->gradual_exit_months =
	    v->gradual_exit_months > 0 ? v->gradual_exit_months : 0;
	mr_reasons(v, rec->reasons, sizeof rec->reasons);
	mon_verdict mv = {.conclusion = rec->conclusion,
	    .category = rec->category,
	    .estimated_monthly_benefit_fen = rec->benefit_fen,
	    .gradual_exit_months = rec->gradual_exit_months};
	rec->cls = mon_classify(&rec->enrolled, &mv);
}

static void mr_refused_record(mon_record *rec, rpc_code code, const char *msg)
{
	rec->has_verdict = false;
	rec->cls = MON_REFUSED;
	snprintf(rec->status, sizeof rec->status, "%s", rpc_code_name(code));
	/* The server's text: no control characters reach a spreadsheet. */
	utf8_sanitize(msg, rec->message, sizeof rec->message, true);
	snprintf(rec->refused_by, sizeof rec->refused_by, "heduid");
}

/* The verdict of an OK outcome: decoded already, or from the report. */
static Hedui__V1__Verdict *mr_verdict_of(
    const Hedui__V1__BatchOutcome *o, bool *owned)
{
	*owned = false;
	if (o->result == NULL)
		return NULL;
	if (o->result->verdict != NULL)
		return o->result->verdict;
	if (o->result->report.len == 0)
		return NULL;
	*owned = true;
	return hedui__v1__verdict__unpack(
	    NULL, o->result->report.len, o->result->report.data);
}

static void mr_schedule_retry(mr_run *R, mon_call *c)
{
	uint64_t delay = MR_BACKOFF_MS;
	for (int i = 0; i < c->attempt && delay < MR_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > MR_BACKOFF_MAX_MS)
		delay = MR_BACKOFF_MAX_MS;
	c->attempt++;
	c->not_before = mon_now_ms() + delay;
	if (c->resp != NULL) {
		protobuf_c_message_free_unpacked(&c->resp->base, NULL);
		c->resp = NULL;
	}
	c->next = R->retry;
	R->retry = c;
}

static void mr_fatal_status(mr_run *R, rpc_code code, const char *msg)
{
	char clean[256];
	utf8_sanitize(msg, clean, sizeof clean, true);
	snprintf(R->failure, sizeof R->failure,
	    "the service refused the batch: %s: %s%s", rpc_code_name(code),
	    clean,
	    code == RPC_UNIMPLEMENTED
	        ? " (this heduid does not offer VerifyBatch)"
	        : "");
	R->state = MR_FAILED_STATUS;
}

/* One completed call: its outcomes recorded, or the call (or the
 * households that met a passing failure) sent again later. */
static void mr_completed(mr_run *R, mon_call *c)
{
	R->inflight--;
	if (c->code != RPC_OK) {
		if (mr_transient(c->code)) {
			if (R->failing_since == 0)
				R->failing_since = mon_now_ms();
			mr_schedule_retry(R, c);
			return;
		}
		mr_fatal_status(R, c->code, c->st.message);
		mon_call_free(c);
		return;
	}
	size_t finals = 0;
	const Hedui__V1__VerifyBatchResponse *resp = c->resp;
	if (resp == NULL || resp->n_outcomes != c->n) {
		mr_fatal_status(R, RPC_INTERNAL,
		    "the answer does not have one outcome per household");
		mon_call_free(c);
		return;
	}
	mon_call *again = NULL;
	/* Outcomes of calls in flight are kept even when stopping. */
	for (size_t i = 0; i < c->n && (R->state == MR_RUNNING ||
	                                   R->state == MR_INTERRUPTED ||
	                                   R->state == MR_UNREACHABLE);
	     i++) {
		const Hedui__V1__BatchOutcome *o = resp->outcomes[i];
		mon_job *job = &c->jobs[i];
		if (strcmp(o->request_id, job->rec.request_id) != 0) {
			mr_fatal_status(R, RPC_INTERNAL,
			    "the answer's outcomes are not in the batch's "
			    "order");
			break;
		}
		rpc_code code = (rpc_code)o->code;
		if (code != RPC_OK && mr_transient(code)) {
			if (again == NULL)
				again = mon_call_new(c->n);
			if (again == NULL || !mon_call_add(again, job)) {
				R->state = MR_FAILED_LOCAL;
				snprintf(R->failure, sizeof R->failure,
				    "out of memory");
			}
			continue;
		}
		if (code == RPC_OK) {
			bool owned;
			Hedui__V1__Verdict *v = mr_verdict_of(o, &owned);
			if (v != NULL)
				mr_verdict_record(&job->rec, v);
			else
				mr_refused_record(&job->rec, RPC_INTERNAL,
				    "the service's answer holds no verdict");
			if (owned && v != NULL)
				hedui__v1__verdict__free_unpacked(v, NULL);
		} else {
			mr_refused_record(&job->rec, code, o->message);
		}
		(void)mr_record(R, &job->rec);
		finals++;
	}
	/* Households answered UNAVAILABLE one by one (a store that cannot
	 * write) count as no answer for --give-up. */
	if (finals > 0)
		R->failing_since = 0;
	else if (again != NULL && R->failing_since == 0)
		R->failing_since = mon_now_ms();
	if (again != NULL) {
		again->attempt = c->attempt;
		mr_schedule_retry(R, again);
	}
	mon_call_free(c);
}

/* --- the sending loop ---------------------------------------------------- */

/* Tokens for n households: the rate, with a burst of one second (or one
 * batch, if larger). */
static bool mr_tokens(mr_run *R, size_t n, uint64_t now, uint64_t *wait_ms)
{
	double cap = R->o->rate > R->o->batch ? R->o->rate : R->o->batch;
	R->tokens += (double)(now - R->tokens_at) * R->o->rate / 1000.0;
	R->tokens_at = now;
	if (R->tokens > cap)
		R->tokens = cap;
	double need = (double)n < cap ? (double)n : cap;
	if (R->tokens >= need) {
		R->tokens -= (double)n;
		return true;
	}
	*wait_ms = (uint64_t)((need - R->tokens) * 1000.0 / R->o->rate) + 1;
	return false;
}

/* Fills R->building from the roster (lines done already are skipped,
 * lines refused here are recorded at once). */
static void mr_build(mr_run *R)
{
	if (R->building == NULL &&
	    (R->building = mon_call_new(R->o->batch)) == NULL) {
		R->state = MR_FAILED_LOCAL;
		snprintf(R->failure, sizeof R->failure, "out of memory");
		return;
	}
	if (R->have_pending) {
		if (!mon_call_add(R->building, &R->pending))
			return;
		R->have_pending = false;
	}
	while (!R->eof && R->state == MR_RUNNING &&
	       R->building->n < R->building->cap) {
		roster_text t;
		hd_err e = roster_reader_next(R->reader, &t);
		if (e == HD_ENOTFOUND) {
			R->eof = true;
			break;
		}
		if (e != HD_OK) {
			R->state = MR_FAILED_LOCAL;
			snprintf(R->failure, sizeof R->failure,
			    "%s: cannot read line %llu again", R->o->roster,
			    (unsigned long long)t.number);
			break;
		}
		if (mon_results_done(R->results, t.number))
			continue;
		mon_job job;
		mon_record local;
		bool is_local;
		if (mr_job(R, &t, &job, &local, &is_local) != HD_OK) {
			R->state = MR_FAILED_LOCAL;
			if (R->failure[0] == '\0')
				snprintf(R->failure, sizeof R->failure,
				    "cannot prepare line %llu",
				    (unsigned long long)t.number);
			break;
		}
		if (is_local) {
			(void)mr_record(R, &local);
			continue;
		}
		if (!mon_call_add(R->building, &job)) {
			R->pending = job;
			R->have_pending = true;
			break;
		}
	}
}

/* The next call to send: a retry whose time has come, else new work. */
static mon_call *mr_next_call(mr_run *R, uint64_t now, uint64_t *wait_ms)
{
	mon_call **pp = &R->retry;
	for (; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->not_before <= now) {
			mon_call *c = *pp;
			*pp = c->next;
			c->next = NULL;
			return c;
		}
		uint64_t w = (*pp)->not_before - now;
		if (w < *wait_ms)
			*wait_ms = w;
	}
	if (R->state == MR_RUNNING)
		mr_build(R);
	/* Full, cut short by bytes (a job waits in pending), or the
	 * roster's end: it goes as it is. */
	if (R->building != NULL && R->building->n > 0) {
		mon_call *c = R->building;
		R->building = NULL;
		return c;
	}
	return NULL;
}

static void mr_launch(mr_run *R, uint64_t now, uint64_t *wait_ms)
{
	while (R->state == MR_RUNNING && !mr_stop &&
	       R->inflight < R->o->inflight) {
		mon_call *c = R->held;
		R->held = NULL;
		if (c == NULL)
			c = mr_next_call(R, now, wait_ms);
		if (c == NULL)
			return;
		uint64_t w;
		if (!mr_tokens(R, c->n, now, &w)) {
			R->held = c;
			if (w < *wait_ms)
				*wait_ms = w;
			return;
		}
		hd_err e = mon_call_send(&R->sender, c);
		if (e != HD_OK) {
			/* Not even sent (out of memory, no randomness). */
			R->state = MR_FAILED_LOCAL;
			snprintf(R->failure, sizeof R->failure,
			    "cannot send a batch: %s", hd_strerror(e));
			mon_call_free(c);
			return;
		}
		R->inflight++;
	}
}

static bool mr_work_left(const mr_run *R)
{
	return !R->eof || R->retry != NULL || R->held != NULL ||
	       R->have_pending || (R->building != NULL && R->building->n > 0);
}

static void mr_tick(mr_run *R, bool force)
{
	uint64_t classes[MON_CLASS_COUNT];
	mon_results_classes(R->results, classes);
	mon_progress_tick(&R->progress, mon_now_ms(),
	    mon_results_count(R->results), R->hdr.households, classes, force);
}

static void mr_loop(mr_run *R)
{
	R->last_sync = R->tokens_at = mon_now_ms();
	R->tokens = R->o->batch; /* the first batch goes at once */
	bool said_stopping = false;
	for (;;) {
		uint64_t now = mon_now_ms();
		uint64_t wait_ms = 100;
		if (mr_stop && R->state == MR_RUNNING) {
			R->state = MR_INTERRUPTED;
			if (!said_stopping && R->inflight > 0) {
				mon_progress_end(&R->progress);
				fprintf(stderr,
				    "hedui: monitor: stopping; waiting for "
				    "%u batch%s in flight (Ctrl-C again to "
				    "quit at once)\n",
				    R->inflight, R->inflight == 1 ? "" : "es");
				said_stopping = true;
			}
		}
		mr_launch(R, now, &wait_ms);
		if (R->inflight == 0 &&
		    (R->state != MR_RUNNING || !mr_work_left(R)))
			break;
		if (R->state == MR_RUNNING && R->failing_since != 0 &&
		    now - R->failing_since >
		        (uint64_t)R->o->give_up_s * 1000) {
			R->state = MR_UNREACHABLE;
			snprintf(R->failure, sizeof R->failure,
			    "no answer from %s for %u s (--give-up)",
			    R->ctx->server, R->o->give_up_s);
		}
		mon_call *list = mon_done_queue_take(&R->done, wait_ms);
		while (list != NULL) {
			mon_call *next = list->next;
			mr_completed(R, list);
			list = next;
		}
		now = mon_now_ms();
		bool sync = now - R->last_sync >= MR_SYNC_MS;
		if (mon_results_flush(R->results, sync) != HD_OK &&
		    R->state != MR_FAILED_LOCAL) {
			R->state = MR_FAILED_LOCAL;
			snprintf(R->failure, sizeof R->failure,
			    "%s/results.jsonl: cannot write: %s", R->o->dir,
			    strerror(errno));
		}
		if (sync)
			R->last_sync = now;
		mr_tick(R, false);
	}
	if (R->state == MR_RUNNING)
		R->state = MR_COMPLETE;
}

/* --- the end --------------------------------------------------------------
 */

static int mr_exit_status(mr_state s)
{
	switch (s) {
	case MR_COMPLETE:
		return CLI_EXIT_OK;
	case MR_INTERRUPTED:
		return MON_EXIT_INTERRUPTED;
	case MR_UNREACHABLE:
		return CLI_EXIT_UNREACHABLE;
	case MR_FAILED_STATUS:
		return CLI_EXIT_STATUS;
	default:
		return CLI_EXIT_FAILURE;
	}
}

static const char *mr_state_name(mr_state s)
{
	switch (s) {
	case MR_COMPLETE:
		return "complete";
	case MR_INTERRUPTED:
		return "interrupted";
	case MR_UNREACHABLE:
		return "unreachable";
	default:
		return "failed";
	}
}

static int mr_finish(mr_run *R, double seconds)
{
	char err[512], path[4200];
	mon_tally tally;
	memset(&tally, 0, sizeof tally);
	snprintf(path, sizeof path, "%s/results.jsonl", R->o->dir);
	int rc = mr_exit_status(R->state);
	hd_err e =
	    R->state == MR_COMPLETE
	        ? mon_alerts_write(path, R->o->dir, &tally, err, sizeof err)
	        : mon_tally_read(path, &tally, err, sizeof err);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: %s: %s\n", R->o->dir, err);
		mon_tally_free(&tally);
		return CLI_EXIT_FAILURE;
	}
	mon_summary s = {.run_id = R->hdr.run_id,
	    .state = mr_state_name(R->state),
	    .dir = R->o->dir,
	    .households = R->hdr.households,
	    .done_before = R->done_before,
	    .done_this_run = R->done_now,
	    .seconds = seconds,
	    .tally = &tally,
	    .exit_status = rc};
	if (R->ctx->json)
		mon_summary_json(stdout, &s);
	else
		mon_summary_print(stdout, &s);
	snprintf(path, sizeof path, "%s/summary.json", R->o->dir);
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		mon_summary_json(f, &s);
		fclose(f);
	}
	mon_tally_free(&tally);
	return rc;
}

/* --- the command ----------------------------------------------------------
 */

static int mr_prepare(mr_run *R)
{
	const mon_opts *o = R->o;
	char err[256];
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "hedui: cannot create %s: %s\n", o->dir,
		    strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (!cli_operator_ok(R->ctx))
		return CLI_EXIT_USAGE;
	R->sender.signer =
	    agency_signer_load(R->ctx->cert, R->ctx->key, err, sizeof err);
	if (R->sender.signer == NULL ||
	    !mr_cert_digest(R->ctx->cert, R->hdr.agency_sha256)) {
		fprintf(stderr,
		    "hedui: cannot sign the requests: %s (--cert and --key "
		    "must be the agency's certificate and key)\n",
		    R->sender.signer == NULL ? err : "unreadable certificate");
		return CLI_EXIT_USAGE;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/results.jsonl", o->dir);
	mon_header old;
	memset(&old, 0, sizeof old);
	mr_peek(path, &old);
	R->hdr.as_of = old.as_of ? old.as_of : o->as_of ? o->as_of : R->today;
	if (o->as_of && old.as_of && o->as_of != old.as_of) {
		fprintf(stderr,
		    "hedui: %s: the run began with another --as-of\n", path);
		return CLI_EXIT_USAGE;
	}
	uint8_t digest[32];
	int rc = mr_scan(R, &R->hdr.households, &R->hdr.last_line, digest);
	if (rc >= 0)
		return rc;
	memcpy(R->hdr.roster_sha256, digest, 32);
	snprintf(R->hdr.run_id, sizeof R->hdr.run_id, "%s", o->run_id);
	mon_header want = R->hdr;
	if (want.run_id[0] == '\0' && old.run_id[0] == '\0' &&
	    mon_run_id_new(R->today, want.run_id) != HD_OK) {
		fprintf(stderr, "hedui: cannot make a run id\n");
		return CLI_EXIT_FAILURE;
	}
	if (want.run_id[0] == '\0')
		snprintf(want.run_id, sizeof want.run_id, "%s", old.run_id);
	mr_now_rfc3339(want.started_at, sizeof want.started_at);
	bool resumed;
	hd_err e = mon_results_open(
	    path, &want, &resumed, &R->results, err, sizeof err);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: %s: %s\n", path, err);
		return e == HD_EIO ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE;
	}
	R->hdr = want;
	R->done_before = mon_results_count(R->results);
	if (resumed)
		fprintf(stderr,
		    "hedui: monitor: resuming run %s: %llu of %llu "
		    "households done\n",
		    R->hdr.run_id, (unsigned long long)R->done_before,
		    (unsigned long long)R->hdr.households);
	else
		fprintf(stderr,
		    "hedui: monitor: run %s: %llu households (as_of, where "
		    "a line has none: %04d-%02d-%02d)\n",
		    R->hdr.run_id, (unsigned long long)R->hdr.households,
		    R->hdr.as_of / 10000, R->hdr.as_of / 100 % 100,
		    R->hdr.as_of % 100);
	return -1;
}

int mon_run(cli_ctx *ctx, const mon_opts *o)
{
	mr_run R;
	memset(&R, 0, sizeof R);
	R.ctx = ctx;
	R.o = o;
	R.today = idnum_date_today();
	R.state = MR_RUNNING;
	mon_done_queue_init(&R.done);
	uint64_t t0 = mon_now_ms();
	char err[256];
	int rc = mr_prepare(&R);
	if (rc >= 0)
		goto out;
	if (mon_results_count(R.results) < R.hdr.households) {
		R.reader = roster_reader_open(o->roster, err, sizeof err);
		if (R.reader == NULL) {
			fprintf(stderr, "hedui: %s: %s\n", o->roster, err);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		/* Now that the input is known to be good. */
		if ((rc = cli_connect(ctx)) >= 0)
			goto out;
		if (o->consent_days > 0) {
			R.expiring = mon_expiring_fetch(ctx, R.sender.signer,
			    consent_date_add_days(R.today, (int)o->consent_days));
			if (R.expiring != NULL)
				fprintf(stderr,
				    "hedui: monitor: %zu consents of the "
				    "agency's regions expire within %u days\n",
				    mon_expiring_count(R.expiring),
				    o->consent_days);
		}
		R.sender.client = ctx->client;
		R.sender.operator_id = ctx->operator_id;
		R.sender.deadline_ms = ctx->deadline_ms;
		R.sender.done = &R.done;
		mon_progress_init(
		    &R.progress, stderr, isatty(STDERR_FILENO), o->progress_s);
		struct sigaction sa, old_int, old_term;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = mr_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		mr_loop(&R);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		mr_tick(&R, true);
		mon_progress_end(&R.progress);
	} else {
		R.state = MR_COMPLETE;
	}
	if (mon_results_close(R.results) != HD_OK &&
	    R.state != MR_FAILED_LOCAL) {
		R.state = MR_FAILED_LOCAL;
		snprintf(R.failure, sizeof R.failure,
		    "%s/results.jsonl: cannot write", o->dir);
	}
	R.results = NULL;
	if (R.failure[0] != '\0')
		fprintf(stderr, "hedui: monitor: %s\n", R.failure);
	rc = mr_finish(&R, (double)(mon_now_ms() - t0) / 1000.0);
out:
	mon_results_close(R.results);
	roster_reader_close(R.reader);
	while (R.retry != NULL) {
		mon_call *n = R.retry->next;
		mon_call_free(R.retry);
		R.retry = n;
	}
	mon_call_free(R.building);
	mon_call_free(R.held);
	free(R.pending.household);
	agency_signer_free(R.sender.signer);
	mon_expiring_free(R.expiring);
	mon_done_queue_destroy(&R.done);
	return rc;
}
