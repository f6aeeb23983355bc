#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench / make bench-engines: heduid, its three sources and the load
# generator on loopback, with the development PKI and a generated
# population. See docs/PERFORMANCE.md. Every process started here is
# stopped on exit, whatever happens.
#
# Settings (environment):
#   BENCH_PARTS        all (default): ceiling batch batching sizes population
#                      engines: echo + verify with openssl, then mbedtls
#                      batching: verify with source batching off
#                      (--source-batch-max 1), then on, twice
#                      batch: VerifyBatch of each BENCH_BATCH_SIZES, then
#                      echo again; households/s against the echo
#                      monitor: a monitoring run over a roster of
#                      BENCH_MONITOR (1000000) households, with single
#                      verifications meanwhile (tests/bench/bench-monitor.sh
#                      has its settings)
#                      stores: verify with the store on SQLite, on
#                      PostgreSQL, and two replicas on PostgreSQL
#                      (tests/bench/bench-stores.sh)
#                      or any of: ceiling batch sizes population engines
#                      batching monitor stores
#   BENCH_DURATION     seconds measured per run (10)
#   BENCH_WARMUP       seconds before measuring (1)
#   BENCH_CONCURRENCY  callers with one request outstanding each (64)
#   BENCH_CONNECTIONS  TLS connections they share (1)
#   BENCH_SMALL        persons in the main population (10000)
#   BENCH_BIG          persons in the large one (1000000; 0 skips it)
#   BENCH_SIZES        household sizes for the cost curve ("1 3 6 12")
#   BENCH_HOUSEHOLD    household size of the other runs (3)
#   BENCH_BATCH_SIZES  households per VerifyBatch ("1 16 64 256")
#   BENCH_BATCH_INFLIGHT households the batch callers keep in flight in
#                      all (512): callers = this / size, 2 to
#                      BENCH_CONCURRENCY
#   BENCH_DIR          work directory ($HEDUI_BUILD/bench); populations
#                      are generated once and kept there
#   BENCH_SMOKE=1      a one-second run with tiny settings (make check)
#   BENCH_PERF=1       record every run with perf (call graphs) into
#                      BENCH_DIR/perf-LABEL-MODE.data: perf report -i ...
#   BENCH_PERF=stat    count context switches per thread instead
#                      (BENCH_DIR/perf-LABEL-MODE.stat)
set -u
HEDUID_EXTRA=${HEDUID_EXTRA:-}
bin=${HEDUI_BIN:-build/bin}
certs=${HEDUI_CERTS:-build/certs}
build=${HEDUI_BUILD:-build}
src=${HEDUI_SRC:-.}
work=${BENCH_DIR:-$build/bench}
parts=${BENCH_PARTS:-all}
dur=${BENCH_DURATION:-10}
warm=${BENCH_WARMUP:-1}
conc=${BENCH_CONCURRENCY:-64}
conns=${BENCH_CONNECTIONS:-1}
small=${BENCH_SMALL:-10000}
big=${BENCH_BIG:-1000000}
sizes=${BENCH_SIZES:-1 3 6 12}
hh=${BENCH_HOUSEHOLD:-3}
bsizes=${BENCH_BATCH_SIZES:-1 16 64 256}
binflight=${BENCH_BATCH_INFLIGHT:-512}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
	dur=0.4 warm=0.1 conc=4 small=200 big=0 sizes="1 3" bsizes="1 16"
	parts="ceiling sizes batch"
fi
[ "$parts" = all ] &&
	parts="ceiling batch batching sizes population stores monitor"
. "$src/tests/bench/bench-monitor.sh"
. "$src/tests/bench/bench-stores.sh"
BENCH_STORE= BENCH_AUDIT_KEY= BENCH_REPLICAS=1

stack=
cleanup() {
	stop_stack
	pg_stop
}
stop_stack() {
	for p in $stack; do kill "$p" 2>/dev/null; done
	for p in $stack; do wait "$p" 2>/dev/null; done
	stack=
	# Each stack's heduid log is kept under its last run's label (its
	# store.close line counts the commits and their sizes).
	[ -n "${label:-}" ] && [ -f "$work/heduid.log" ] &&
		cp "$work/heduid.log" "$work/heduid-$label.log"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$work"
results=$work/results.txt
: >"$results"

# The agency certificate the load generator signs with (county 330106).
[ -f "$certs/agency-330106.crt" ] ||
	sh "$src/certs/make-dev-pki.sh" "$certs" --agency 330106 >/dev/null ||
	exit 1

gen_pop() { # size -> prints the directory
	d=$work/pop-$1
	if [ ! -f "$d/.done" ]; then
		echo "== generating a population of $1 persons" >&2
		rm -rf "$d"
		t0=$(date +%s)
		"$bin/hedui-source" gen --size "$1" --seed 2026 --households 2 \
			--out "$d" >"$work/gen-$1.log" 2>&1 ||
			{ cat "$work/gen-$1.log" >&2; exit 1; }
		echo "   $(($(date +%s) - t0)) s, $(du -sh "$d" | cut -f1)" >&2
		touch "$d/.done"
	fi
	echo "$d"
}

# start_stack POPDIR ENGINE: three sources and heduid on free ports.
start_stack() {
	pop=$1
	export HEDUI_TLS_ENGINE=$2
	ss_engine=$2
	set -- $("$bin/hedui-bench" ports 4) || exit 1
	ss_port=$1 ss_bank=$2 ss_tax=$3 ss_prop=$4
	watch=
	for ss_kp in bank:$ss_bank tax:$ss_tax property:$ss_prop; do
		ss_k=${ss_kp%:*}
		"$bin/hedui-source" serve --kind "$ss_k" --db "$pop/$ss_k.db" \
			--certs "$certs" \
			--listen "tls+tcp://127.0.0.1:${ss_kp#*:}" \
			2>"$work/source-$ss_k.log" &
		stack="$stack $!"
		watch="$watch --watch $ss_k=$!"
	done
	tls12=
	[ "$ss_engine" = mbedtls ] && tls12=--allow-tls12
	# A fresh store per stack: every verdict is committed (WAL,
	# synchronous=FULL, group commit) as in production.
	rm -f "$work/heduid.db" "$work/heduid.db-wal" "$work/heduid.db-shm"
	ss_store=${BENCH_STORE:-$work/heduid.db}
	ss_key=
	[ -n "${BENCH_AUDIT_KEY:-}" ] && ss_key="--audit-key $BENCH_AUDIT_KEY"
	server=
	for ss_i in $(seq 1 "${BENCH_REPLICAS:-1}"); do
		[ "$ss_i" -gt 1 ] && { set -- $("$bin/hedui-bench" ports 1) ||
			exit 1; ss_port=$1; }
		start_heduid "$ss_port" "$ss_i"
		server="${server:+$server,}tls+tcp://127.0.0.1:$ss_port"
	done
	for i in $(seq 1 100); do
		if HEDUI_SERVER=$server HEDUI_CERTS=$certs \
			"$bin/hedui" health >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "heduid did not come up:" >&2
	tail -5 "$work/heduid.log" "$work"/source-*.log >&2
	exit 1
}

# start_heduid PORT N: the Nth heduid replica of the stack on PORT.
start_heduid() {
	ss_log=$work/heduid.log
	[ "$2" -gt 1 ] && ss_log=$work/heduid-$2.log
	# The benchmark is one client certificate asking as fast as it can:
	# the per-identity rate limit would measure itself. Its households
	# draw members at random from the whole population, for whom no
	# office registered consents: the consent registry is not checked
	# (--consent-mode unchecked; the check is one indexed read per
	# consent number, test_consent covers it).
	"$bin/heduid" --listen "tls+tcp://127.0.0.1:$1" \
		--store "$ss_store" $ss_key --rate-per-identity off \
		--consent-mode unchecked $HEDUID_EXTRA \
		--ca "$certs/ca.crt" --crl "$certs/ca.crl" \
		--cert "$certs/heduid.crt" --key "$certs/heduid.key" \
		--source-ca "$certs/source-ca.crt" \
		--source-cert "$certs/heduid-sources.crt" \
		--source-key "$certs/heduid-sources.key" \
		--bank "tls+tcp://127.0.0.1:$ss_bank" \
		--tax "tls+tcp://127.0.0.1:$ss_tax" \
		--property "tls+tcp://127.0.0.1:$ss_prop" \
		--debug-service $tls12 2>"$ss_log" &
	stack="$stack $!"
	ss_name=heduid
	[ "$2" -gt 1 ] && ss_name=heduid$2
	watch="--watch $ss_name=$! $watch"
}

# run LABEL MODE [hedui-bench options]: one measured run, summarised.
run() {
	label=$1 mode=$2
	shift 2
	perf_pid=
	case ${BENCH_PERF:-0} in
	1)
		perf record -q -F 999 ${BENCH_PERF_ARGS:--g} \
			-o "$work/perf-$label-$mode.data" \
			-p "$(echo $stack | tr ' ' ,)" 2>"$work/perf.log" &
		perf_pid=$! ;;
	stat)
		# Context switches per process: --per-thread, summed below.
		perf stat -e context-switches,task-clock --per-thread \
			-o "$work/perf-$label-$mode.stat" \
			-p "$(echo $stack | tr ' ' ,)" 2>"$work/perf.log" &
		perf_pid=$! ;;
	esac
	"$bin/hedui-bench" --server "$server" --certs "$certs" --mode "$mode" \
		--concurrency "$conc" --connections "$conns" \
		--duration "$dur" --warmup "$warm" --pop-dir "$pop" \
		--label "$label" $watch "$@" >"$work/run.out" \
		2>"$work/run.err" || {
		echo "hedui-bench failed ($label $mode):" >&2
		cat "$work/run.err" >&2
		tail -5 "$work/heduid.log" >&2
		exit 1
	}
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid"
	fi
	cat "$work/run.out" >>"$results"
	awk '
	$1 == "result" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
		printf "%-10s %-6s %-7s c=%-3s hh=%-2s pop=%-8s %8.0f/s  p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f ms  errors %s\n",
		    r["label"], r["mode"], r["engine"], r["concurrency"],
		    r["household_size"], r["population"], r["rate"], r["p50_ms"],
		    r["p90_ms"], r["p99_ms"], r["max_ms"], r["errors"]
		if (r["mode"] == "batch")
			printf "    (households/s; %s batches of %s, latency per batch)\n",
			    r["calls"], r["batch"]
	}
	$1 == "errors" { print "    " $0 }
	$1 == "proc" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); p[kv[1]] = kv[2] }
		if (p["name"] == "service-total")
			printf "    %-13s cpu %7.1f us/op\n", p["name"], p["cpu_us_per_op"]
		else
			printf "    %-13s cpu %7.1f us/op  %5.1f%% cpu  peak RSS %6.1f MiB\n",
			    p["name"], p["cpu_us_per_op"], p["cpu_pct"], p["hwm_kib"] / 1024
	}' "$work/run.out"
}

# value LABEL MODE KEY [PROC]: a number from the results file.
value() {
	awk -v l="$1" -v m="$2" -v k="$3" -v n="${4:-}" '
	($1 == "result" && n == "") || ($1 == "proc" && n != "") {
		delete r
		for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
		if (r["label"] == l && r["mode"] == m && (n == "" || r["name"] == n))
			v = r[k]
	}
	END { print (v == "" ? 0 : v) }' "$results"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

echo "== hedui benchmark: $(nproc) CPU(s), $(uname -r), concurrency $conc," \
	"$dur s per run"
pop_small=$(gen_pop "$small") || exit 1

for part in $parts; do
	case $part in
	ceiling)
		echo "== (a, b) ceiling and verification: population $small," \
			"household $hh"
		start_stack "$pop_small" openssl
		run ceiling echo --household-size "$hh"
		run ceiling verify --household-size "$hh"
		stop_stack
		e=$(value ceiling echo rate)
		v=$(value ceiling verify rate)
		echo "ratio verify/echo = $(ratio "$v" "$e")  (target >= 0.25)"
		;;
	sizes)
		echo "== (c) cost per verification by household size"
		start_stack "$pop_small" openssl
		for k in $sizes; do
			run "size-$k" verify --household-size "$k"
		done
		stop_stack
		first=
		for k in $sizes; do
			c=$(value "size-$k" verify cpu_us_per_op service-total)
			[ -n "$first" ] || first=$c
			echo "household $k: $c us CPU per verification" \
				"(x$(ratio "$c" "$first") of size $(echo $sizes | cut -d' ' -f1))"
		done
		;;
	population)
		[ "$big" -gt 0 ] || { echo "== (d) skipped (BENCH_BIG=0)"; continue; }
		pop_big=$(gen_pop "$big") || exit 1
		echo "== (d) population $small vs $big, household $hh"
		for n in "$small" "$big"; do
			d=$pop_small
			[ "$n" = "$big" ] && d=$pop_big
			start_stack "$d" openssl
			run "pop-$n" verify --household-size "$hh"
			stop_stack
		done
		cs=$(value "pop-$small" verify cpu_us_per_op service-total)
		cb=$(value "pop-$big" verify cpu_us_per_op service-total)
		rs=$(value "pop-$small" verify rate)
		rb=$(value "pop-$big" verify rate)
		echo "CPU per verification $big/$small = $(ratio "$cb" "$cs")," \
			"throughput $big/$small = $(ratio "$rb" "$rs")  (target within 20%)"
		;;
	batching)
		echo "== (b2) source batching off and on, interleaved," \
			"population $small, household $hh"
		for round in 1 2; do
			for bm in 1 32; do
				HEDUID_EXTRA="--source-batch-max $bm"
				start_stack "$pop_small" openssl
				run "batch$bm-$round" verify --household-size "$hh"
				stop_stack
			done
		done
		HEDUID_EXTRA=
		for round in 1 2; do
			off=$(value "batch1-$round" verify rate)
			on=$(value "batch32-$round" verify rate)
			echo "round $round: batching on/off throughput =" \
				"$(ratio "$on" "$off")"
		done
		;;
	monitor)
		monitor_part
		;;
	stores)
		stores_part
		;;
	engines)
		echo "== engines: echo and verify, population $small, household $hh"
		for e in openssl mbedtls; do
			start_stack "$pop_small" "$e"
			run "$e" echo --household-size "$hh"
			run "$e" verify --household-size "$hh"
			stop_stack
		done
		for m in echo verify; do
			o=$(value openssl "$m" rate)
			b=$(value mbedtls "$m" rate)
			echo "$m: openssl/mbedtls throughput = $(ratio "$o" "$b")" \
				"(target >= 0.90)"
		done
		;;
	batch)
		echo "== (e) VerifyBatch: households of $hh, batches of" \
			"$bsizes, $binflight households in flight, population $small"
		for b in $bsizes; do
			c=$((binflight / b))
			[ "$c" -gt "$conc" ] && c=$conc
			[ "$c" -lt 2 ] && c=2
			start_stack "$pop_small" openssl
			conc_saved=$conc
			conc=$c
			run "batch-$b" batch --household-size "$hh" --batch-size "$b"
			conc=$conc_saved
			stop_stack
		done
		# The ceiling again, now: the machine is shared, and a ratio
		# means most between runs close in time.
		start_stack "$pop_small" openssl
		run batch-echo echo --household-size "$hh"
		stop_stack
		e1=$(value ceiling echo rate)
		e2=$(value batch-echo echo rate)
		e=$(awk -v a="$e1" -v b="$e2" 'BEGIN {
			if (a > 0 && b > 0) print (a + b) / 2; else print a + b }')
		v=$(value ceiling verify rate)
		[ "$v" != 0 ] &&
			echo "real-time verify/echo = $(ratio "$v" "$e")"
		for b in $bsizes; do
			r=$(value "batch-$b" batch rate)
			cs=$(value "batch-$b" batch cpu_us_per_op service-total)
			ch=$(value "batch-$b" batch cpu_us_per_op heduid)
			m=$(value "batch-$b" batch hwm_kib heduid)
			echo "ratio batch-$b/echo = $(ratio "$r" "$e")" \
				"(households/s; service CPU $cs us, heduid $ch us" \
				"per household; heduid peak RSS" \
				"$(awk -v k="$m" 'BEGIN { printf "%.1f", k / 1024 }') MiB)"
		done
		echo "(echo: $e1 /s in (a), $e2 /s after the batches; their mean" \
			"is the ceiling here; target at 256: >= 0.3)"
		;;
	*)
		echo "unknown part $part" >&2
		exit 2
		;;
	esac
done
echo "(every run: $results; logs in $work)"
