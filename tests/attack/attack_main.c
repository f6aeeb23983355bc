/* SPDX-License-Identifier: MIT */
/*
 * hedui-attack: the availability attacks of issue 13 at full scale, for
 * the measurement in docs/ATTACKS.md (tests/attack/run-attack.sh drives
 * it; `make attack`). Not a test: it runs for minutes and its numbers are
 * the machine's.
 *
 *   hedui-attack --port P [--idle N] [--burst-threads T] [--seconds S]
 *                [--watch PID] [--label TEXT]
 *
 * --idle N       keeps N connections open against the server, a third of
 *                each kind: TCP that never starts TLS, a ClientHello cut
 *                after 3 bytes, and TLS + SP handshakes finished that
 *                never send; each one the server closes is opened again.
 * --burst-threads T   each opens a connection, sends 64 Health/Check
 *                requests back to back, reads one reply and resets
 *                (SO_LINGER 0), again and again: the reset lands while
 *                heduid is sending replies.
 * --spread N     the attacking connections come from N loopback addresses
 *                (127.0.0.2 ...) instead of one, so that only the bounds
 *                in all hold them, not the per-address ones.
 * --watch PID    once a second: the server's descriptors and RSS, and a
 *                legitimate signed verification (over a kept connection,
 *                and every 10 s over a new one) with its latency.
 *
 * Certificates and binaries through HEDUI_CERTS as the tests use them.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "tsupport.h"
#include "tconsent.h"
#include "tverify.h"

static int port;
static atomic_bool stopping;
static atomic_long opened, closed_by_server, bursts, burst_fail;

typedef struct idle_conn {
	int fd;
	traw_sp *sp; /* the third kind, else NULL */
} idle_conn;

/* Opens one idle connection of kind k (0, 1, 2); false when it failed. */
static bool idle_open(idle_conn *c, int k)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01};
	c->sp = NULL;
	c->fd = -1;
	if (k == 2) {
		/* A finished handshake costs ~1 ms of CPU on each side. */
		if ((c->sp = traw_sp_open(port, "agency-1101", 5000)) == NULL)
			return false;
		c->fd = traw_sp_fd(c->sp);
		return true;
	}
	if ((c->fd = ttcp_connect(port, 0)) < 0)
		return false;
	if (k == 1 && write(c->fd, hello, sizeof hello) != sizeof hello) {
		close(c->fd);
		c->fd = -1;
		return false;
	}
	return true;
}

static void idle_close(idle_conn *c)
{
	if (c->sp != NULL)
		traw_sp_reset(c->sp);
	else if (c->fd >= 0)
		close(c->fd);
	c->sp = NULL;
	c->fd = -1;
}

static void *idle_main(void *arg)
{
	int n = *(int *)arg;
	idle_conn *cs = calloc((size_t)n, sizeof *cs);
	struct pollfd *pf = calloc((size_t)n, sizeof *pf);
	for (int i = 0; i < n; i++)
		cs[i].fd = -1;
	while (!atomic_load(&stopping)) {
		/* Top up, at most 500 new ones a round: a churn beyond what
		 * the loopback's ephemeral ports allow proves nothing. */
		int fresh = 0;
		for (int i = 0; i < n && fresh < 500; i++) {
			if (cs[i].fd >= 0)
				continue;
			if (idle_open(&cs[i], i % 3))
				atomic_fetch_add(&opened, 1);
			fresh++;
		}
		for (int i = 0; i < n; i++) {
			pf[i].fd = cs[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (cs[i].fd < 0 || pf[i].revents == 0)
				continue;
			char b[512];
			ssize_t r = recv(cs[i].fd, b, sizeof b, MSG_DONTWAIT);
			/* The server's SP header or TLS records are not a
			 * close; EOF or an error is. */
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				idle_close(&cs[i]);
				atomic_fetch_add(&closed_by_server, 1);
			}
		}
	}
	for (int i = 0; i < n; i++)
		idle_close(&cs[i]);
	free(cs);
	free(pf);
	return NULL;
}

static void *burst_main(void *arg)
{
	(void)arg;
	size_t hlen;
	Hedui__V1__HealthCheckRequest hreq =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	uint8_t hpay[16];
	size_t hplen = hedui__v1__health_check_request__pack(&hreq, hpay);
	uint8_t *env =
	    tenvelope("hedui.v1.Health/Check", "attack", hpay, hplen, &hlen);
	while (!atomic_load(&stopping)) {
		traw_sp *c = traw_sp_open(port, "agency-1101", 5000);
		if (c == NULL) {
			atomic_fetch_add(&burst_fail, 1);
			usleep(10 * 1000);
			continue;
		}
		for (uint32_t j = 0; j < 64; j++)
			if (!traw_sp_send(c, j + 1, env, hlen))
				break;
		uint8_t *body;
		size_t blen;
		if (traw_sp_recv(c, &body, &blen))
			free(body);
		traw_sp_reset(c);
		atomic_fetch_add(&bursts, 1);
	}
	free(env);
	return NULL;
}

/* A signed one-member verification; its latency in ms, or -1. */
static double legit_verify(rpc_client *c, agency_signer *s)
{
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	hh.case_id = "330106-2026-424242";
	hh.region_code = "330106";
	hh.area = "urban";
	hh.program = "dibao";
	hh.as_of = "2026-11-01";
	hh.members = mp;
	hh.n_members = 1;
	m.id_number = "11010519491231002X";
	m.relation = "applicant";
	m.consent_ref = "SQ-1";
	uint8_t body[1024];
	size_t len = hedui__v1__household__pack(&hh, body);
	static unsigned seq;
	char rid[64];
	snprintf(rid, sizeof rid, "attack-%u-%u", (unsigned)getpid(), ++seq);
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = rid};
	rpc_status st;
	uint64_t t0 = tnow_ms();
	rpc_code code = tverify_signed(c, s, body, len, &o, NULL, &st);
	return code == RPC_OK ? (double)(tnow_ms() - t0) : -1.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void monitor(int pid, double seconds, const char *label)
{
	char err[128];
	agency_signer *s = agency_signer_load(tcert("agency-330106.crt"),
	    tcert("agency-330106.key"), err, sizeof err);
	rpc_client *kept = tclient(port, "agency-330106");
	/* The legitimate client's household consented (the registry is
	 * on, as in production). */
	static const char *const member[] = {"11010519491231002X"};
	if (!tconsent_cover(
	        port, "agency-330106", "SQ-1", "330106", member, 1))
		fprintf(stderr, "attack: cannot register the consent\n");
	int nsamples = (int)seconds + 2, n = 0, failed = 0, fresh_failed = 0;
	double *lat = calloc((size_t)nsamples, sizeof *lat);
	int max_fds = 0, first_fds = -1;
	long max_rss = 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", pid);
	tproc *fake = NULL; /* tproc_fd_count wants a tproc: use /proc */
	(void)fake;
	uint64_t end = tnow_ms() + (uint64_t)(seconds * 1000);
	for (int sec = 0; tnow_ms() < end && n < nsamples; sec++) {
		uint64_t t0 = tnow_ms();
		double ms = legit_verify(kept, s);
		if (ms < 0)
			failed++;
		else
			lat[n++] = ms;
		if (sec % 10 == 0) {
			rpc_client *fresh = tclient(port, "agency-330106");
			if (legit_verify(fresh, s) < 0)
				fresh_failed++;
			rpc_client_free(fresh);
		}
		int fds = tpid_fd_count(pid);
		long rss = tpid_rss_kib(pid);
		if (first_fds < 0)
			first_fds = fds;
		if (fds > max_fds)
			max_fds = fds;
		if (rss > max_rss)
			max_rss = rss;
		if (sec % 30 == 0)
			printf(
			    "attack t=%ds fds=%d rss_kib=%ld verify_ms=%.1f "
			    "opened=%ld closed_by_server=%ld bursts=%ld\n",
			    sec, fds, rss, ms, atomic_load(&opened),
			    atomic_load(&closed_by_server),
			    atomic_load(&bursts));
		uint64_t spent = tnow_ms() - t0;
		if (spent < 1000)
			usleep((useconds_t)(1000 - spent) * 1000);
	}
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	printf("attack result label=\"%s\" seconds=%.0f verifications=%d "
	       "failed=%d fresh_connection_failed=%d p50_ms=%.1f "
	       "p99_ms=%.1f max_ms=%.1f fds_first=%d fds_max=%d "
	       "rss_max_kib=%ld opened=%ld closed_by_server=%ld bursts=%ld "
	       "burst_connect_failed=%ld\n",
	    label, seconds, n + failed, failed, fresh_failed,
	    n > 0 ? lat[n / 2] : -1, n > 0 ? lat[(n * 99) / 100] : -1,
	    n > 0 ? lat[n - 1] : -1, first_fds, max_fds, max_rss,
	    atomic_load(&opened), atomic_load(&closed_by_server),
	    atomic_load(&bursts), atomic_load(&burst_fail));
	free(lat);
	rpc_client_free(kept);
	agency_signer_free(s);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"port", 1, NULL, 'p'},
	    {"idle", 1, NULL, 'i'}, {"burst-threads", 1, NULL, 'b'},
	    {"seconds", 1, NULL, 's'}, {"watch", 1, NULL, 'w'},
	    {"label", 1, NULL, 'l'}, {"spread", 1, NULL, 'a'},
	    {NULL, 0, NULL, 0}};
	int idle = 0, threads = 0, pid = 0, c;
	double seconds = 60;
	const char *label = "";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'i':
			idle = atoi(optarg);
			break;
		case 'b':
			threads = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'w':
			pid = atoi(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		case 'a':
			/* The attackers' connections from this many loopback
			 * addresses: the per-address bounds no longer hold
			 * them, the bounds in all must. */
			ttcp_spread((unsigned)atoi(optarg));
			break;
		default:
			fprintf(
			    stderr, "usage: see tests/attack/attack_main.c\n");
			return 2;
		}
	}
	if (port <= 0 || idle < 0 || threads < 0 || threads > 64) {
		fprintf(stderr, "hedui-attack: --port is needed\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ttls_init();
	pthread_t it, bt[64];
	if (idle > 0)
		pthread_create(&it, NULL, idle_main, &idle);
	for (int i = 0; i < threads; i++)
		pthread_create(&bt[i], NULL, burst_main, NULL);
	if (pid > 0)
		monitor(pid, seconds, label);
	else
		usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stopping, true);
	if (idle > 0)
		pthread_join(it, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(bt[i], NULL);
	return 0;
}
