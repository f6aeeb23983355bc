/* SPDX-License-Identifier: MIT */
/*
 * hedui-source all: the three sources at once, each its own process with
 * its own certificate, from one fixtures file or one generated directory.
 * The launcher forwards SIGTERM/SIGINT to them and stops the others when
 * one of them ends.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "log.h"
#include "source_cli.h"

static const char all_usage_text[] =
    "usage: hedui-source all (--fixtures FILE | --dir DIR) --certs DIR\n"
    "           [--base-port N] [-- SERVE-OPTIONS...]\n"
    "\n"
    "Starts the bank, tax and property sources, one process each, on\n"
    "127.0.0.1 ports N, N+1, N+2 (default 7451), with the certificates\n"
    "DIR/source-KIND.crt/.key, trusting clients of the source-plane CA\n"
    "DIR/source-ca.crt and answering only CN=heduid among them. --dir\n"
    "serves the stores of `hedui-source gen` or `load` (DIR/bank.db,\n"
    "...). Options after -- go to every source (e.g. -- --latency-ms 50,\n"
    "-- --allow-client CN=NAME). Stops on Ctrl-C.\n";

static pid_t all_spawn(
    const char *self, char *const argv[], const sigset_t *old)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* The child: die with the launcher, take signals again. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigprocmask(SIG_SETMASK, old, NULL);
	execv(self, argv);
	fprintf(stderr, "hedui-source: cannot run %s: %s\n", self,
	    strerror(errno));
	_exit(127);
}

int source_all_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"fixtures", required_argument, NULL, 'f'},
	    {"dir", required_argument, NULL, 'd'},
	    {"certs", required_argument, NULL, 'c'},
	    {"base-port", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *fixtures = NULL, *dir = NULL, *certs = NULL;
	long long base = SOURCE_BASE_PORT;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			fixtures = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			certs = optarg;
			break;
		case 'p':
			if (!source_cli_count(optarg, 65533, &base) ||
			    base < 1)
				return source_cli_usage(
				    "--base-port: 1..65533, not \"%s\"",
				    optarg);
			break;
		case 'h':
			fputs(all_usage_text, stdout);
			return 0;
		default:
			return source_cli_usage("%s", "all: unknown option");
		}
	}
	if ((fixtures == NULL) == (dir == NULL) || certs == NULL)
		return source_cli_usage("all: --certs DIR and one of "
		                        "--fixtures FILE and --dir DIR are "
		                        "needed");
	if (fixtures != NULL) {
		/* One clear message here rather than three from the
		 * children. */
		char err[256];
		if (fixtures_load_file(
		        fixtures, NULL, NULL, err, sizeof err) != HD_OK) {
			fprintf(
			    stderr, "hedui-source: %s: %s\n", fixtures, err);
			return 2;
		}
	}
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0) {
		fprintf(stderr, "hedui-source: cannot find own program\n");
		return 1;
	}
	self[len] = '\0';

	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, &old);

	pid_t pids[SRCDB_KIND_COUNT] = {0};
	int status = 0;
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		const char *kind = srcdb_kind_name((srcdb_kind)k);
		char url[64], store[PATH_MAX];
		snprintf(
		    url, sizeof url, "tls+tcp://127.0.0.1:%lld", base + k);
		if (dir != NULL)
			snprintf(store, sizeof store, "%s/%s.db", dir, kind);
		char *cargv[64];
		int n = 0;
		cargv[n++] = self;
		cargv[n++] = "serve";
		cargv[n++] = "--kind";
		cargv[n++] = (char *)kind;
		cargv[n++] = "--listen";
		cargv[n++] = url;
		cargv[n++] = dir != NULL ? "--db" : "--fixtures";
		cargv[n++] = dir != NULL ? store : (char *)fixtures;
		cargv[n++] = "--certs";
		cargv[n++] = (char *)certs;
		for (int i = optind; i < argc && n < 63; i++)
			cargv[n++] = argv[i];
		cargv[n] = NULL;
		pids[k] = all_spawn(self, cargv, &old);
		if (pids[k] < 0) {
			fprintf(stderr, "hedui-source: fork: %s\n",
			    strerror(errno));
			status = 1;
			break;
		}
		printf("%-8s %s (pid %d)\n", kind, url, (int)pids[k]);
	}
	fflush(stdout);

	/* Until a signal, or until one source ends by itself. */
	while (status == 0) {
		int sig = 0;
		sigwait(&sigs, &sig);
		if (sig != SIGCHLD)
			break;
		for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
			int ws;
			if (pids[k] > 0 &&
			    waitpid(pids[k], &ws, WNOHANG) == pids[k]) {
				fprintf(stderr,
				    "hedui-source: the %s source ended "
				    "(status %d); stopping the others\n",
				    srcdb_kind_name((srcdb_kind)k),
				    WIFEXITED(ws) ? WEXITSTATUS(ws)
				                  : 128 + WTERMSIG(ws));
				pids[k] = 0;
				status = 1;
			}
		}
	}
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		if (pids[k] > 0)
			kill(pids[k], SIGTERM);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		int ws;
		if (pids[k] > 0 && waitpid(pids[k], &ws, 0) == pids[k] &&
		    !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
			status = 1;
	}
	return status;
}
