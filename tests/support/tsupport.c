/* SPDX-License-Identifier: MIT */
#include "tsupport.h"

#include "idnum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <openssl/ssl.h>

#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/rpc.pb-c.h"
#include "rpc_close.h"
#include "tls_setup.h"

#define TPROC_MAX 64

struct tproc {
	pid_t pid;
	char log[512];
	bool reaped;
	int status;
};

static tproc *tproc_all[TPROC_MAX];
static bool tproc_atexit_set;

static void tproc_kill_all(void)
{
	for (int i = 0; i < TPROC_MAX; i++) {
		if (tproc_all[i] != NULL && !tproc_all[i]->reaped) {
			kill(tproc_all[i]->pid, SIGKILL);
			waitpid(tproc_all[i]->pid, NULL, 0);
		}
	}
}

static char *tbuf(void)
{
	static __thread char bufs[64][512];
	static __thread int next;
	return bufs[next++ % 64];
}

tproc *tproc_start(const char *name, char *const argv[])
{
	if (!tproc_atexit_set) {
		atexit(tproc_kill_all);
		tproc_atexit_set = true;
	}
	tproc *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	const char *b = getenv("HEDUI_BUILD");
	char dir[400];
	snprintf(dir, sizeof dir, "%s/test-logs", b != NULL ? b : "/tmp");
	mkdir(dir, 0755);
	static int seq;
	snprintf(p->log, sizeof p->log, "%s/%s.%d.%d.log", dir, name,
	    (int)getpid(), seq++);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		free(p);
		return NULL;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0) {
			dup2(nul, 0);
			close(nul);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	for (int i = 0; i < TPROC_MAX; i++) {
		if (tproc_all[i] == NULL) {
			tproc_all[i] = p;
			break;
		}
	}
	return p;
}

static void tproc_forget(tproc *p)
{
	for (int i = 0; i < TPROC_MAX; i++)
		if (tproc_all[i] == p)
			tproc_all[i] = NULL;
	free(p);
}

bool tproc_alive(tproc *p)
{
	if (p == NULL || p->reaped)
		return false;
	int st;
	pid_t r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid) {
		p->reaped = true;
		p->status =
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		return false;
	}
	return true;
}

int tproc_stop(tproc *p)
{
	if (p == NULL)
		return -1;
	if (tproc_alive(p)) {
		kill(p->pid, SIGTERM);
		for (int i = 0; i < 500 && tproc_alive(p); i++)
			usleep(10000);
		if (tproc_alive(p)) {
			kill(p->pid, SIGKILL);
			int st;
			waitpid(p->pid, &st, 0);
			p->reaped = true;
			p->status = 128 + SIGKILL;
		}
	}
	int status = p->status;
	tproc_forget(p);
	return status;
}

void tproc_kill(tproc *p)
{
	if (p == NULL)
		return;
	if (!p->reaped) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	tproc_forget(p);
}

const char *tproc_log(const tproc *p)
{
	return p->log;
}

bool tproc_log_contains(const tproc *p, const char *text)
{
	return tfile_contains(p->log, text);
}

bool tproc_log_wait(const tproc *p, const char *text, int timeout_ms)
{
	uint64_t until = tnow_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (tfile_contains(p->log, text))
			return true;
		if (tnow_ms() >= until)
			return false;
		usleep(20 * 1000);
	}
}

bool tfile_contains(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

int tport_free(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

bool tport_wait(int port, int timeout_ms)
{
	uint64_t end = tnow_ms() + (uint64_t)timeout_ms;
	while (tnow_ms() < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {0};
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int rv = connect(s, (struct sockaddr *)&a, sizeof a);
		close(s);
		if (rv == 0)
			return true;
		usleep(20000);
	}
	return false;
}

const char *turl(int port)
{
	char *b = tbuf();
	snprintf(b, 512, "tls+tcp://127.0.0.1:%d", port);
	return b;
}

const char *tcert(const char *name)
{
	char *b = tbuf();
	const char *d = getenv("HEDUI_CERTS");
	snprintf(b, 512, "%s/%s", d != NULL ? d : "build/certs", name);
	return b;
}

const char *tbin(const char *name)
{
	char *b = tbuf();
	const char *d = getenv("HEDUI_BIN");
	snprintf(b, 512, "%s/%s", d != NULL ? d : "build/bin", name);
	return b;
}

/* nng_fini waits for the reaper: after an abandoned close (rpc_close.h)
 * it would hang the test's exit. */
static void tnng_fini(void)
{
	rpc_close_all("test");
}

void ttls_init(void)
{
	static bool done;
	if (!done) {
		/* nng frees closed sockets, dialers and pipes on its reaper
		 * thread; a test that exits before the reaper is done gets
		 * them reported as leaks under ASan. nng_fini at exit drains
		 * it (nng.h recommends it for memory checkers). OpenSSL is
		 * initialised first so that its own exit handler, registered
		 * earlier, runs after nng_fini has freed our engine's
		 * contexts. */
		OPENSSL_init_ssl(0, NULL);
		tls_setup_engine(NULL);
		atexit(tnng_fini);
		done = true;
	}
}

rpc_client *tclient(int port, const char *identity)
{
	return tclient_ca(port, identity, "ca");
}

rpc_client *tclient_ca(int port, const char *identity, const char *ca)
{
	char cert[256], key[256], cafile[256];
	ttls_init();
	snprintf(cert, sizeof cert, "%s.crt", identity);
	snprintf(key, sizeof key, "%s.key", identity);
	snprintf(cafile, sizeof cafile, "%s.crt", ca);
	char certp[512], keyp[512], cap[512];
	snprintf(certp, sizeof certp, "%s", tcert(cert));
	snprintf(keyp, sizeof keyp, "%s", tcert(key));
	snprintf(cap, sizeof cap, "%s", tcert(cafile));
	rpc_client_opts o = {
	    .url = turl(port),
	    .tls = {.ca_file = cap, .cert_file = certp, .key_file = keyp},
	    .send_max_bytes = 4 * 1024 * 1024,
	    .recv_max_bytes = 4 * 1024 * 1024,
	};
	return rpc_client_alloc(&o);
}

rpc_code thealth(rpc_client *c, uint32_t deadline_ms, int *serving)
{
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = deadline_ms};
	rpc_code code = rpc_client_call(c, "hedui.v1.Health/Check", &req.base,
	    &hedui__v1__health_check_response__descriptor, &resp, &o, &st);
	if (serving != NULL)
		*serving =
		    code == RPC_OK
		        ? (int)((Hedui__V1__HealthCheckResponse *)resp)->status
		        : -1;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return code;
}

tproc *theduid_start(int *port, const char *const extra[])
{
	static int starts;
	char name[64];
	snprintf(
	    name, sizeof name, "heduid-%d-%d.db", (int)getpid(), ++starts);
	return theduid_start_store(port, ttmp(name), extra);
}

tproc *theduid_start_store(
    int *port, const char *store_path, const char *const extra[])
{
	*port = tport_free();
	return theduid_start_at(*port, store_path, extra);
}

tproc *theduid_start_at(
    int port_at, const char *store_path, const char *const extra[])
{
	char *argv[64];
	int n = 0;
	static char bin[512], ca[512], cert[512], key[512], url[64];
	static char sca[512], scert[512], skey[512];
	static char store[512];
	int port_v = port_at, *port = &port_v;
	snprintf(store, sizeof store, "%s", store_path);
	snprintf(bin, sizeof bin, "%s", tbin("heduid"));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("heduid.crt"));
	snprintf(key, sizeof key, "%s", tcert("heduid.key"));
	snprintf(sca, sizeof sca, "%s", tcert("source-ca.crt"));
	snprintf(scert, sizeof scert, "%s", tcert("heduid-sources.crt"));
	snprintf(skey, sizeof skey, "%s", tcert("heduid-sources.key"));
	snprintf(url, sizeof url, "%s", turl(*port));
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = url;
	argv[n++] = "--ca";
	argv[n++] = ca;
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	/* The source plane, as the sources of tsource_spawn expect it. */
	argv[n++] = "--source-ca";
	argv[n++] = sca;
	argv[n++] = "--source-cert";
	argv[n++] = scert;
	argv[n++] = "--source-key";
	argv[n++] = skey;
	argv[n++] = "--store";
	argv[n++] = store;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	tproc *p = tproc_start("heduid", argv);
	if (p == NULL)
		return NULL;
	if (!tport_wait(*port, 5000)) {
		tproc_stop(p);
		return NULL;
	}
	return p;
}

uint64_t tnow_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#include <nng/protocol/reqrep0/req.h>

int traw_call(int port, const char *identity, const void *data, size_t len,
    uint32_t timeout_ms, uint8_t **reply, size_t *reply_len)
{
	return traw_call_ca(
	    port, identity, "ca", data, len, timeout_ms, reply, reply_len);
}

int traw_call_ca(int port, const char *identity, const char *ca,
    const void *data, size_t len, uint32_t timeout_ms, uint8_t **reply,
    size_t *reply_len)
{
	char cafile[512], n[128];
	snprintf(n, sizeof n, "%s.crt", ca);
	snprintf(cafile, sizeof cafile, "%s", tcert(n));
	nng_socket s;
	nng_dialer d;
	nng_tls_config *cfg = NULL;
	nng_msg *m = NULL;
	int rv;
	*reply = NULL;
	*reply_len = 0;
	ttls_init();
	if ((rv = nng_req0_open(&s)) != 0)
		return rv;
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, (nng_duration)timeout_ms);
	if (identity != NULL) {
		char c[512], k[512];
		snprintf(n, sizeof n, "%s.crt", identity);
		snprintf(c, sizeof c, "%s", tcert(n));
		snprintf(n, sizeof n, "%s.key", identity);
		snprintf(k, sizeof k, "%s", tcert(n));
		tls_opts o = {
		    .ca_file = cafile, .cert_file = c, .key_file = k};
		if (tls_setup_config(NNG_TLS_MODE_CLIENT, &o, &cfg) != HD_OK) {
			nng_close(s);
			return NNG_EINVAL;
		}
	} else {
		/* No identity: trust the CA but present no certificate. */
		if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) !=
		        0 ||
		    (rv = nng_tls_config_ca_file(cfg, cafile)) != 0 ||
		    (rv = nng_tls_config_server_name(cfg, "127.0.0.1")) != 0 ||
		    (rv = nng_tls_config_auth_mode(
		         cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
			if (cfg != NULL)
				nng_tls_config_free(cfg);
			nng_close(s);
			return rv;
		}
	}
	if ((rv = nng_dialer_create(&d, s, turl(port))) == 0 &&
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) == 0)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	if (rv == 0 && (rv = nng_msg_alloc(&m, len)) == 0) {
		memcpy(nng_msg_body(m), data, len);
		if ((rv = nng_sendmsg(s, m, 0)) != 0)
			nng_msg_free(m);
	}
	if (rv == 0 && (rv = nng_recvmsg(s, &m, 0)) == 0) {
		*reply_len = nng_msg_len(m);
		*reply = malloc(*reply_len + 1);
		memcpy(*reply, nng_msg_body(m), *reply_len);
		nng_msg_free(m);
	}
	nng_close(s);
	nng_tls_config_free(cfg);
	return rv;
}

const char *ttmp(const char *name)
{
	static char dir[256];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/hedui-test-XXXXXX");
		if (mkdtemp(dir) == NULL)
			snprintf(dir, sizeof dir, "/tmp");
	}
	char *b = tbuf();
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

tproc *tsource_spawn(
    int kind, const char *fixtures, int port, const char *const extra[])
{
	static const char *const kinds[3] = {"bank", "tax", "property"};
	char bin[512], url[64], ca[512], cert[512], key[512], n[64], fx[512];
	char *argv[48];
	int k = 0;
	/* Our path helpers rotate through a few buffers: keep copies. */
	snprintf(fx, sizeof fx, "%s", fixtures);
	snprintf(bin, sizeof bin, "%s", tbin("hedui-source"));
	snprintf(url, sizeof url, "%s", turl(port));
	/* The source plane's CA; the default allow list (CN=heduid) lets
	 * theduid_start's heduid-sources identity in. */
	snprintf(ca, sizeof ca, "%s", tcert("source-ca.crt"));
	snprintf(n, sizeof n, "source-%s.crt", kinds[kind]);
	snprintf(cert, sizeof cert, "%s", tcert(n));
	snprintf(n, sizeof n, "source-%s.key", kinds[kind]);
	snprintf(key, sizeof key, "%s", tcert(n));
	argv[k++] = bin;
	argv[k++] = "--kind";
	argv[k++] = (char *)kinds[kind];
	argv[k++] = "--listen";
	argv[k++] = url;
	argv[k++] = "--fixtures";
	argv[k++] = fx;
	argv[k++] = "--ca";
	argv[k++] = ca;
	argv[k++] = "--cert";
	argv[k++] = cert;
	argv[k++] = "--key";
	argv[k++] = key;
	for (int j = 0; extra != NULL && extra[j] != NULL && k < 46; j++)
		argv[k++] = (char *)extra[j];
	argv[k] = NULL;
	tproc *p = tproc_start(kinds[kind], argv);
	if (p != NULL && !tport_wait(port, 5000)) {
		tproc_stop(p);
		return NULL;
	}
	return p;
}

bool tsources_start(const char *fixtures, tproc *procs[3], int ports[3],
    const char *const extra[])
{
	char fx[512];
	/* fixtures may sit in one of our rotating buffers: copy it first. */
	snprintf(fx, sizeof fx, "%s", fixtures);
	for (int i = 0; i < 3; i++) {
		ports[i] = tport_free();
		procs[i] = tsource_spawn(i, fx, ports[i], extra);
		if (procs[i] == NULL)
			return false;
	}
	return true;
}

int tproc_pid(const tproc *p)
{
	return (int)p->pid;
}

void tproc_signal(tproc *p, int sig)
{
	if (p != NULL && !p->reaped)
		kill(p->pid, sig);
}

int tproc_wait(tproc *p, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (!tproc_alive(p))
			return p->status;
		usleep(10000);
	}
	return -1;
}

long tproc_peak_rss_kib(const tproc *p)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int tpid_fd_count(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int tproc_fd_count(const tproc *p)
{
	return tpid_fd_count((int)p->pid);
}

long tpid_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

long tproc_rss_kib(const tproc *p)
{
	return tpid_rss_kib((int)p->pid);
}

uint8_t *tenvelope(const char *method, const char *request_id,
    const void *payload, size_t payload_len, size_t *len)
{
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	env.method = (char *)method;
	env.request_id = (char *)request_id;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = payload_len;
	*len = hedui__v1__rpc_request__get_packed_size(&env);
	uint8_t *buf = malloc(*len > 0 ? *len : 1);
	if (buf != NULL)
		hedui__v1__rpc_request__pack(&env, buf);
	return buf;
}

void tidnum_330106(char out[19], const char *birth, int seq)
{
	snprintf(out, 19, "330106%.8s%03d", birth, seq % 1000);
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}
