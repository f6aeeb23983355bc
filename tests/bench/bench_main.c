/* SPDX-License-Identifier: MIT */
/*
 * hedui-bench: closed-loop load against heduid.
 *
 *   hedui-bench --server URL --certs DIR [--mode echo|verify|batch]
 *               [--batch-size N]
 *               [--concurrency N] [--duration S] [--warmup S]
 *               [--household-size K] [--pop-dir DIR] [--population N]
 *               [--connections N] [--watch NAME=PID]... [--label TEXT]
 *   hedui-bench ports N        (N free 127.0.0.1 ports, for scripts)
 *
 * Each of the N callers has one request outstanding at a time and sends
 * the next one from the previous one's completion (an nng thread), so the
 * load adapts to the service's speed. Verify requests are built and signed
 * per call, as an agency would; echo requests carry a payload as large as
 * a packed verify request. In batch mode each call is a VerifyBatch of
 * --batch-size households, signed once, and rates and CPU are per
 * household. After the warm-up, the measured window records
 * every completed call's latency and the CPU time and memory of this and
 * each watched process. One result line and one line per process, all
 * key=value, go to standard output.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "bench.h"
#include "hedui/v1/health.pb-c.h"
#include "log.h"
#include "rpc_client.h"
#include "tls_setup.h"

typedef struct bench_opts {
	const char *server;
	const char *certs;
	const char *pop_dir;
	const char *label;
	bench_mode mode;
	int concurrency;
	int connections;
	double duration_s;
	double warmup_s;
	size_t household_size;
	size_t batch_size; /* households per VerifyBatch (--mode batch) */
	size_t population;
	size_t payload;
	int nwatch;
	char *watch_name[BENCH_MAX_WATCH];
	int watch_pid[BENCH_MAX_WATCH];
} bench_opts;

typedef struct bench_run bench_run;

typedef struct bench_slot {
	bench_run *run;
	rpc_client *client;
	bench_req req;
	bench_batch batch;
	uint64_t started; /* microseconds */
	atomic_bool idle;
} bench_slot;

struct bench_run {
	const bench_opts *o;
	bench_pop pop;
	agency_signer *signer;
	uint8_t *echo_payload;
	bench_slot *slots;
	atomic_bool measuring;
	atomic_bool stopping;
	atomic_int outstanding;
	atomic_uint_fast64_t seq;
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t start_failures;
	atomic_int last_error;
	/* Households answered OK, and refused, in the measured window: the
	 * calls' own count is hist.n (a batch is one call). */
	atomic_uint_fast64_t households;
	atomic_uint_fast64_t household_errors;
	bench_hist hist;
};

static void bench_slot_next(bench_slot *s);

/* nng_clock counts milliseconds: too coarse for latencies. */
static uint64_t bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void bench_done(
    rpc_code code, const rpc_status *st, ProtobufCMessage *resp, void *arg)
{
	bench_slot *s = arg;
	bench_run *run = s->run;
	uint64_t us = bench_now_us() - s->started;
	(void)st;
	uint64_t ok = code == RPC_OK ? 1 : 0, refused = 0;
	if (run->o->mode == BENCH_BATCH && resp != NULL) {
		const Hedui__V1__VerifyBatchResponse *b =
		    (const Hedui__V1__VerifyBatchResponse *)resp;
		ok = 0;
		for (size_t i = 0; i < b->n_outcomes; i++) {
			ok +=
			    b->outcomes[i]->code == HEDUI__V1__STATUS_CODE__OK;
			refused +=
			    b->outcomes[i]->code != HEDUI__V1__STATUS_CODE__OK;
		}
		if (refused > 0)
			atomic_store(&run->last_error,
			    (int)b->outcomes[b->n_outcomes - 1]->code);
	}
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	if (run->o->mode == BENCH_VERIFY)
		bench_req_done(&s->req);
	if (run->o->mode == BENCH_BATCH)
		bench_batch_done(&s->batch);
	if (atomic_load(&run->measuring)) {
		atomic_fetch_add(&run->households, ok);
		atomic_fetch_add(&run->household_errors, refused);
		if (code == RPC_OK) {
			bench_hist_add(&run->hist, us);
		} else {
			atomic_fetch_add(&run->errors, 1);
			atomic_store(&run->last_error, (int)code);
		}
	}
	if (atomic_load(&run->stopping)) {
		atomic_fetch_sub(&run->outstanding, 1);
		return;
	}
	bench_slot_next(s);
}

/* Starts the slot's next call; on failure the slot goes idle and the main
 * thread restarts it a little later. */
static void bench_slot_next(bench_slot *s)
{
	bench_run *run = s->run;
	const bench_opts *o = run->o;
	rpc_call_opts co = {.deadline_ms = 30000};
	hd_err err = HD_EINVAL;
	uint64_t seq = atomic_fetch_add(&run->seq, 1);

	if (o->mode == BENCH_VERIFY) {
		if (!bench_req_make(&s->req, &run->pop, o->household_size,
		        run->signer, seq))
			goto fail;
		co.request_id = s->req.request_id;
		s->started = bench_now_us();
		err = rpc_client_call_async(s->client, BENCH_VERIFY_METHOD,
		    &s->req.req.base,
		    &hedui__v1__verify_household_response__descriptor, &co,
		    bench_done, s);
		if (err != HD_OK)
			bench_req_done(&s->req);
	} else if (o->mode == BENCH_BATCH) {
		if (!bench_batch_make(&s->batch, &run->pop, o->batch_size,
		        o->household_size, run->signer, seq))
			goto fail;
		co.request_id = s->batch.request_id;
		s->started = bench_now_us();
		err = rpc_client_call_async(s->client, BENCH_BATCH_METHOD,
		    &s->batch.req.base,
		    &hedui__v1__verify_batch_response__descriptor, &co,
		    bench_done, s);
		if (err != HD_OK)
			bench_batch_done(&s->batch);
	} else {
		Hedui__V1__EchoRequest er = HEDUI__V1__ECHO_REQUEST__INIT;
		er.data.data = run->echo_payload;
		er.data.len = o->payload;
		s->started = bench_now_us();
		err = rpc_client_call_async(s->client, BENCH_ECHO_METHOD,
		    &er.base, &hedui__v1__echo_response__descriptor, &co,
		    bench_done, s);
	}
	if (err == HD_OK)
		return;
fail:
	atomic_fetch_add(&run->start_failures, 1);
	atomic_store(&s->idle, true);
}

static int bench_usage(void)
{
	fprintf(stderr,
	    "usage: hedui-bench --server URL --certs DIR [--mode "
	    "echo|verify|batch]\n"
	    "         [--batch-size N]\n"
	    "         [--concurrency N] [--duration S] [--warmup S]\n"
	    "         [--household-size K] [--pop-dir DIR] [--population N]\n"
	    "         [--payload BYTES] [--connections N]\n"
	    "         [--watch NAME=PID]... [--label TEXT]\n"
	    "       hedui-bench ports N\n");
	return 2;
}

static int bench_ports(int n)
{
	int fds[64], got = 0;
	if (n < 1 || n > 64)
		return bench_usage();
	/* Held open together so that the N ports differ. */
	for (; got < n; got++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t len = sizeof a;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[got] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[got] < 0 ||
		    bind(fds[got], (struct sockaddr *)&a, sizeof a) != 0 ||
		    getsockname(fds[got], (struct sockaddr *)&a, &len) != 0) {
			fprintf(stderr, "hedui-bench: no free port: %s\n",
			    strerror(errno));
			return 1;
		}
		printf("%d\n", ntohs(a.sin_port));
	}
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return 0;
}

static bool bench_parse(int argc, char **argv, bench_opts *o)
{
	static const struct option lopts[] = {{"server", 1, NULL, 's'},
	    {"certs", 1, NULL, 'c'}, {"mode", 1, NULL, 'm'},
	    {"concurrency", 1, NULL, 'n'}, {"duration", 1, NULL, 'd'},
	    {"warmup", 1, NULL, 'w'}, {"household-size", 1, NULL, 'k'},
	    {"pop-dir", 1, NULL, 'p'}, {"population", 1, NULL, 'P'},
	    {"payload", 1, NULL, 'b'}, {"connections", 1, NULL, 'C'},
	    {"watch", 1, NULL, 'W'}, {"label", 1, NULL, 'l'},
	    {"batch-size", 1, NULL, 'B'}, {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;
	*o = (bench_opts){.mode = BENCH_VERIFY,
	    .concurrency = 64,
	    .connections = 1,
	    .duration_s = 10,
	    .warmup_s = 1,
	    .household_size = 3,
	    .batch_size = 256,
	    .label = ""};
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 'c':
			o->certs = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "echo") == 0)
				o->mode = BENCH_ECHO;
			else if (strcmp(optarg, "verify") == 0)
				o->mode = BENCH_VERIFY;
			else if (strcmp(optarg, "batch") == 0)
				o->mode = BENCH_BATCH;
			else
				return false;
			break;
		case 'n':
			o->concurrency = atoi(optarg);
			break;
		case 'd':
			o->duration_s = atof(optarg);
			break;
		case 'w':
			o->warmup_s = atof(optarg);
			break;
		case 'k':
			o->household_size = (size_t)atoi(optarg);
			break;
		case 'p':
			o->pop_dir = optarg;
			break;
		case 'P':
			o->population = (size_t)atoll(optarg);
			break;
		case 'b':
			o->payload = (size_t)atoll(optarg);
			break;
		case 'C':
			o->connections = atoi(optarg);
			break;
		case 'B':
			o->batch_size = (size_t)atoi(optarg);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'W': {
			char *eq = strchr(optarg, '=');
			if (eq == NULL || o->nwatch == BENCH_MAX_WATCH)
				return false;
			*eq = '\0';
			o->watch_name[o->nwatch] = optarg;
			o->watch_pid[o->nwatch++] = atoi(eq + 1);
			break;
		}
		default:
			return false;
		}
	}
	if (optind != argc || o->server == NULL || o->certs == NULL ||
	    o->concurrency < 1 || o->concurrency > 4096 ||
	    o->connections < 1 || o->connections > 64 || o->duration_s <= 0 ||
	    o->warmup_s < 0 || o->household_size < 1 ||
	    o->household_size > HOUSEHOLD_MAX_MEMBERS || o->batch_size < 1 ||
	    o->batch_size > BENCH_MAX_BATCH)
		return false;
	if (o->mode != BENCH_ECHO && o->pop_dir == NULL) {
		fprintf(stderr, "hedui-bench: --mode verify and batch need "
		                "--pop-dir\n");
		return false;
	}
	return true;
}

/* The packed size of a signed verify request of the household size, for
 * an echo as large. */
static size_t bench_verify_size(bench_run *run)
{
	bench_req *r = calloc(1, sizeof *r);
	size_t n = 1024;
	if (r != NULL && run->pop.n > 0 &&
	    bench_req_make(
	        r, &run->pop, run->o->household_size, run->signer, 0)) {
		n = hedui__v1__verify_household_request__get_packed_size(
		    &r->req);
		bench_req_done(r);
	}
	free(r);
	return n;
}

static const char *bench_mode_name(bench_mode m)
{
	return m == BENCH_ECHO     ? "echo"
	       : m == BENCH_VERIFY ? "verify"
	                           : "batch";
}

/* One result line, one line per process; for batches the rate and CPU
 * are per household (calls= counts the batches, batch= their size). */
static void bench_report(bench_run *run, double secs,
    const bench_proc_sample *before, const bench_proc_sample *after)
{
	const bench_opts *o = run->o;
	const char *mode = bench_mode_name(o->mode);
	uint64_t calls = atomic_load(&run->hist.n);
	uint64_t n =
	    o->mode == BENCH_BATCH ? atomic_load(&run->households) : calls;
	uint64_t errors =
	    atomic_load(&run->errors) + atomic_load(&run->household_errors);
	double rate = (double)n / secs;
	printf("result label=%s mode=%s engine=%s concurrency=%d "
	       "connections=%d household_size=%zu batch=%zu population=%zu "
	       "payload=%zu secs=%.2f calls=%llu ok=%llu errors=%llu "
	       "rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	    o->label[0] != '\0' ? o->label : "-", mode,
	    tls_setup_engine_name(), o->concurrency, o->connections,
	    o->household_size, o->mode == BENCH_BATCH ? o->batch_size : 1,
	    run->pop.n, o->payload, secs, (unsigned long long)calls,
	    (unsigned long long)n, (unsigned long long)errors, rate,
	    bench_hist_quantile(&run->hist, 0.50) / 1000.0,
	    bench_hist_quantile(&run->hist, 0.90) / 1000.0,
	    bench_hist_quantile(&run->hist, 0.99) / 1000.0,
	    atomic_load(&run->hist.max_us) / 1000.0);
	if (errors > 0)
		printf("errors last_code=%s\n",
		    rpc_code_name((rpc_code)atomic_load(&run->last_error)));
	uint64_t total = 0;
	for (int i = 0; i <= o->nwatch; i++) {
		const char *name = i < o->nwatch ? o->watch_name[i] : "bench";
		uint64_t cpu = after[i].cpu_us - before[i].cpu_us;
		if (i < o->nwatch)
			total += cpu;
		printf("proc label=%s mode=%s name=%s cpu_us_per_op=%.1f "
		       "cpu_pct=%.1f hwm_kib=%llu rss_kib=%llu\n",
		    o->label[0] != '\0' ? o->label : "-", mode, name,
		    n > 0 ? (double)cpu / (double)n : 0.0,
		    100.0 * (double)cpu / (secs * 1e6),
		    (unsigned long long)after[i].hwm_kib,
		    (unsigned long long)after[i].rss_kib);
	}
	if (o->nwatch > 0)
		printf("proc label=%s mode=%s name=service-total "
		       "cpu_us_per_op=%.1f\n",
		    o->label[0] != '\0' ? o->label : "-", mode,
		    n > 0 ? (double)total / (double)n : 0.0);
}

static void bench_sample_all(const bench_opts *o, bench_proc_sample *s)
{
	for (int i = 0; i < o->nwatch; i++)
		if (!bench_proc_read(o->watch_pid[i], &s[i]))
			memset(&s[i], 0, sizeof s[i]);
	bench_proc_read(0, &s[o->nwatch]);
}

/* Sleeps for ms, restarting idle slots every 10 ms. */
static void bench_wait(bench_run *run, double ms)
{
	nng_time end = nng_clock() + (nng_time)ms;
	while (nng_clock() < end) {
		nng_msleep(10);
		for (int i = 0; i < run->o->concurrency; i++) {
			bench_slot *s = &run->slots[i];
			if (atomic_exchange(&s->idle, false))
				bench_slot_next(s);
		}
	}
}

static int bench_main(const bench_opts *o)
{
	bench_run *run = calloc(1, sizeof *run);
	rpc_client *clients[64] = {0};
	char ca[4096], cert[4096], key[4096], err[256];
	int status = 1;
	bench_proc_sample before[BENCH_MAX_WATCH + 1],
	    after[BENCH_MAX_WATCH + 1];

	if (run == NULL)
		return 1;
	run->o = o;
	snprintf(ca, sizeof ca, "%s/ca.crt", o->certs);
	snprintf(cert, sizeof cert, "%s/agency-330106.crt", o->certs);
	snprintf(key, sizeof key, "%s/agency-330106.key", o->certs);
	if (tls_setup_engine(NULL) != HD_OK)
		goto out;
	if ((run->signer = agency_signer_load(cert, key, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "hedui-bench: %s\n", err);
		goto out;
	}
	if (o->pop_dir != NULL &&
	    !bench_pop_load(o->pop_dir, o->population, &run->pop))
		goto out;
	bench_opts *wo = (bench_opts *)o;
	if (wo->payload == 0)
		wo->payload = bench_verify_size(run);
	if ((run->echo_payload = malloc(o->payload)) == NULL)
		goto out;
	memset(run->echo_payload, 'e', o->payload);

	bool mbed = strcmp(tls_setup_engine_name(), "mbedtls") == 0;
	for (int i = 0; i < o->connections; i++) {
		rpc_client_opts co = {.url = o->server,
		    .tls = {.ca_file = ca,
		        .cert_file = cert,
		        .key_file = key,
		        .allow_tls12 = mbed}};
		if ((clients[i] = rpc_client_alloc(&co)) == NULL)
			goto out;
	}
	run->slots = calloc((size_t)o->concurrency, sizeof *run->slots);
	if (run->slots == NULL)
		goto out;
	atomic_store(&run->outstanding, o->concurrency);
	for (int i = 0; i < o->concurrency; i++) {
		bench_slot *s = &run->slots[i];
		s->run = run;
		s->client = clients[i % o->connections];
		s->req.rng = 0x243f6a8885a308d3ULL * (uint64_t)(i + 1) ^
		             (uint64_t)getpid();
		s->batch.one.rng = s->req.rng;
	}
	for (int i = 0; i < o->concurrency; i++)
		bench_slot_next(&run->slots[i]);

	bench_wait(run, o->warmup_s * 1000);
	bench_sample_all(o, before);
	nng_time t0 = nng_clock();
	atomic_store(&run->measuring, true);
	bench_wait(run, o->duration_s * 1000);
	atomic_store(&run->measuring, false);
	nng_time t1 = nng_clock();
	bench_sample_all(o, after);
	atomic_store(&run->stopping, true);
	/* Let the calls in flight finish (each has a deadline). */
	for (int i = 0; i < o->concurrency; i++)
		if (atomic_exchange(&run->slots[i].idle, false))
			atomic_fetch_sub(&run->outstanding, 1);
	for (int waited = 0;
	     atomic_load(&run->outstanding) > 0 && waited < 31000;
	     waited += 10) {
		nng_msleep(10);
		for (int i = 0; i < o->concurrency; i++)
			if (atomic_exchange(&run->slots[i].idle, false))
				atomic_fetch_sub(&run->outstanding, 1);
	}
	bench_report(run, (double)(t1 - t0) / 1000.0, before, after);
	if (atomic_load(&run->start_failures) > 0)
		fprintf(stderr, "hedui-bench: %llu calls could not start\n",
		    (unsigned long long)atomic_load(&run->start_failures));
	status = atomic_load(&run->hist.n) > 0 ? 0 : 1;
	if (status != 0)
		fprintf(stderr, "hedui-bench: no call succeeded\n");
out:
	fflush(stdout);
	for (int i = 0; i < o->connections; i++)
		rpc_client_free(clients[i]);
	agency_signer_free(run->signer);
	bench_pop_free(&run->pop);
	free(run->echo_payload);
	for (int i = 0; run->slots != NULL && i < o->concurrency; i++)
		bench_batch_free(&run->slots[i].batch);
	free(run->slots);
	free(run);
	return status;
}

int main(int argc, char **argv)
{
	bench_opts o;
	log_set_program("hedui-bench");
	log_set_level(LOG_LVL_WARN);
	if (argc == 3 && strcmp(argv[1], "ports") == 0)
		return bench_ports(atoi(argv[2]));
	if (!bench_parse(argc, argv, &o))
		return bench_usage();
	return bench_main(&o);
}
