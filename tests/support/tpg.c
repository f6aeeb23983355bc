/* SPDX-License-Identifier: MIT */
/* nftw */
#define _XOPEN_SOURCE 700

#include "tpg.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tsupport.h"

static struct {
	char bin[256];  /* the directory of initdb and postgres */
	char dir[256];  /* ours: data/, the socket, the logs */
	char base[160]; /* URL of the "postgres" database */
	int port;
	pid_t pid; /* the postmaster, 0 when stopped */
	uid_t uid;
	gid_t gid;
	bool drop; /* running as root: the server runs as nobody */
	bool failed;
	int logs;
} tpg;

static bool tpg_find_bin(void)
{
	const char *env = getenv("HEDUI_PG_BIN");
	if (env != NULL && env[0] != '\0') {
		snprintf(tpg.bin, sizeof tpg.bin, "%s", env);
		return true;
	}
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
		return false;
	/* The newest: versions sort as numbers (9 < 15). */
	int best = -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int v = atoi(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"));
		if (v > best) {
			best = v;
			snprintf(tpg.bin, sizeof tpg.bin, "%.*s",
			    (int)(strlen(g.gl_pathv[i]) - strlen("/postgres")),
			    g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best >= 0;
}

/* In the child: who the server runs as, then death with the parent
 * (after the change of user, which would clear it). */
static void tpg_child_setup(const char *log)
{
	/* The log first, while still root: nobody may not reach the
	 * build directory (a checkout under /root). */
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (tpg.drop) {
		if (setgroups(0, NULL) != 0 || setgid(tpg.gid) != 0 ||
		    setuid(tpg.uid) != 0)
			_exit(126);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (chdir(tpg.dir) != 0)
		_exit(126);
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0) {
		dup2(nul, 0);
		close(nul);
	}
}

static void tpg_log_path(char *out, size_t cap, const char *what)
{
	const char *b = getenv("HEDUI_BUILD");
	char dir[200];
	snprintf(dir, sizeof dir, "%s/test-logs", b != NULL ? b : "/tmp");
	mkdir(dir, 0755);
	snprintf(
	    out, cap, "%s/%s.%d.%d.log", dir, what, (int)getpid(), tpg.logs++);
}

static pid_t tpg_spawn(const char *what, char *const argv[])
{
	char log[512];
	tpg_log_path(log, sizeof log, what);
	pid_t pid = fork();
	if (pid == 0) {
		tpg_child_setup(log);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static bool tpg_initdb(void)
{
	char initdb[300], data[300];
	snprintf(initdb, sizeof initdb, "%s/initdb", tpg.bin);
	snprintf(data, sizeof data, "%s/data", tpg.dir);
	char *argv[] = {initdb, "-D", data, "-U", "hedui", "--auth=trust",
	    "-E", "UTF8", "--locale=C", "--no-sync", NULL};
	pid_t pid = tpg_spawn("initdb", argv);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool tpg_run(void)
{
	char postgres[300], data[300], port[16];
	snprintf(postgres, sizeof postgres, "%s/postgres", tpg.bin);
	snprintf(data, sizeof data, "%s/data", tpg.dir);
	snprintf(port, sizeof port, "%d", tpg.port);
	char *argv[] = {postgres, "-D", data, "-p", port, "-h", "127.0.0.1",
	    "-k", tpg.dir, "-c", "max_connections=60", "-c",
	    "shared_buffers=16MB", NULL};
	if ((tpg.pid = tpg_spawn("postgres", argv)) < 0) {
		tpg.pid = 0;
		return false;
	}
	/* Ready when it accepts a connection (after any recovery). */
	for (int i = 0; i < 300; i++) {
		if (PQping(tpg.base) == PQPING_OK)
			return true;
		int st;
		if (waitpid(tpg.pid, &st, WNOHANG) == tpg.pid) {
			tpg.pid = 0;
			return false;
		}
		usleep(100000);
	}
	return false;
}

static int tpg_rm(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT;
}

void tpg_pause(void)
{
	if (tpg.pid <= 0)
		return;
	/* SIGINT: fast shutdown, every connection cut. */
	kill(tpg.pid, SIGINT);
	for (int i = 0; i < 200; i++) {
		if (waitpid(tpg.pid, NULL, WNOHANG) == tpg.pid) {
			tpg.pid = 0;
			return;
		}
		usleep(50000);
	}
	kill(tpg.pid, SIGKILL);
	waitpid(tpg.pid, NULL, 0);
	tpg.pid = 0;
}

bool tpg_resume(void)
{
	return tpg.pid > 0 || tpg_run();
}

void tpg_stop(void)
{
	tpg_pause();
	if (tpg.dir[0] != '\0') {
		nftw(tpg.dir, tpg_rm, 16, FTW_DEPTH | FTW_PHYS);
		tpg.dir[0] = '\0';
	}
}

static void tpg_atexit(void)
{
	tpg_stop();
}

const char *tpg_start(void)
{
	if (tpg.base[0] != '\0' && tpg.pid > 0)
		return tpg.base;
	if (tpg.failed || tpg.base[0] != '\0')
		return NULL;
	tpg.failed = true;
	if (!tpg_find_bin()) {
		fprintf(stderr, "tpg: no /usr/lib/postgresql/*/bin/postgres "
		                "(install postgresql)\n");
		return NULL;
	}
	tpg.drop = geteuid() == 0;
	if (tpg.drop) {
		struct passwd *pw = getpwnam("nobody");
		if (pw == NULL)
			return NULL;
		tpg.uid = pw->pw_uid;
		tpg.gid = pw->pw_gid;
	}
	snprintf(tpg.dir, sizeof tpg.dir, "/tmp/hedui-pg-XXXXXX");
	if (mkdtemp(tpg.dir) == NULL) {
		tpg.dir[0] = '\0';
		return NULL;
	}
	atexit(tpg_atexit);
	if (tpg.drop && chown(tpg.dir, tpg.uid, tpg.gid) != 0)
		return NULL;
	tpg.port = tport_free();
	snprintf(tpg.base, sizeof tpg.base,
	    "postgresql://hedui:" TPG_PASSWORD "@127.0.0.1:%d/postgres",
	    tpg.port);
	if (!tpg_initdb()) {
		fprintf(stderr, "tpg: initdb failed (see test-logs)\n");
		return NULL;
	}
	if (!tpg_run()) {
		fprintf(stderr, "tpg: postgres did not start (see "
		                "test-logs)\n");
		return NULL;
	}
	tpg.failed = false;
	return tpg.base;
}

static void tpg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

bool tpg_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	bool ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PQsetNoticeProcessor(c, tpg_quiet, NULL);
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
		     PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			fprintf(stderr, "tpg: %s: %s", sql,
			    PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return ok;
}

bool tpg_query1(const char *url, const char *sql, char *out, size_t cap)
{
	PGconn *c = PQconnectdb(url);
	bool ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
		if (ok)
			snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return ok;
}

const char *tpg_db(const char *name)
{
	static char urls[8][200];
	static int next;
	if (tpg_start() == NULL)
		return NULL;
	char sql[200];
	snprintf(sql, sizeof sql,
	    "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	if (!tpg_exec(tpg.base, sql))
		return NULL;
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	if (!tpg_exec(tpg.base, sql))
		return NULL;
	char *u = urls[next++ % 8];
	snprintf(u, 200, "postgresql://hedui:" TPG_PASSWORD "@127.0.0.1:%d/%s",
	    tpg.port, name);
	return u;
}
