# SPDX-License-Identifier: MIT
# make bench, part "monitor" (sourced by run-bench.sh, whose functions it
# uses): a monitoring run (hedui monitor, docs/MONITORING.md) over a
# generated roster of BENCH_MONITOR households, with single verifications
# running at the same service meanwhile.
#
# It reports the resident memory of the CLI and of heduid when the run
# has done 10 thousand households and when it has done 99% of them (flat
# memory: neither loads the roster or the results), their peaks (the
# CLI's includes the 8 MiB it sorts each county's alerts in), the
# run's households per second, and the latency of the single
# verifications (p99, target < 50 ms) alone and during the run.
#
# Settings (environment):
#   BENCH_MONITOR          households in the roster (1000000; 0 skips)
#   BENCH_MONITOR_RATE     the run's --rate, households a second (1000)
#   BENCH_MONITOR_BATCH    its --batch (64); --inflight 4
#   BENCH_MONITOR_RT_CONC  single-verification callers meanwhile (4)
#   BENCH_MONITOR_SAMPLE   households done when memory is first read (10000)

mon_n=${BENCH_MONITOR:-1000000}
mon_rate=${BENCH_MONITOR_RATE:-1000}
mon_batch=${BENCH_MONITOR_BATCH:-64}
mon_rt=${BENCH_MONITOR_RT_CONC:-4}
mon_sample=${BENCH_MONITOR_SAMPLE:-10000}

# An enrolled population of Hangzhou (3301) with about mon_n households
# (2.5 persons each), generated once; roster.jsonl is its first mon_n.
mon_gen() {
	d=$work/monpop-$mon_n
	if [ ! -f "$d/.done" ]; then
		persons=$((mon_n * 51 / 20 + 100))
		echo "== generating an enrolled population of $persons persons" \
			"and its roster" >&2
		rm -rf "$d"
		mkdir -p "$d"
		t0=$(date +%s)
		"$bin/hedui-source" gen --size "$persons" --seed 2026 \
			--region 3301 --households 0 --roster "$d/all.jsonl" \
			--out "$d" >"$work/gen-monitor.log" 2>&1 ||
			{ cat "$work/gen-monitor.log" >&2; exit 1; }
		head -n "$mon_n" "$d/all.jsonl" >"$d/roster.jsonl"
		rm -f "$d/all.jsonl"
		echo "   $(($(date +%s) - t0)) s, roster $(du -h \
			"$d/roster.jsonl" | cut -f1)" >&2
		touch "$d/.done"
	fi
	echo "$d"
}

mon_rss() { # pid -> VmRSS in KiB
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
mon_hwm() { # pid -> VmHWM in KiB
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
mon_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Households done, from the CLI's last plain progress line.
mon_done() {
	tail -n 1 "$work/monitor.err" 2>/dev/null |
		sed -n 's/^hedui: monitor: \([0-9,]*\)\/.*/\1/p' | tr -d ,
}

monitor_part() {
	if [ "$mon_n" -le 0 ]; then
		echo "== (f) monitoring run skipped (BENCH_MONITOR=0)"
		return 0
	fi
	[ -f "$certs/agency-3301.crt" ] ||
		sh "$src/certs/make-dev-pki.sh" "$certs" --agency 3301 \
			>/dev/null || exit 1
	mpop=$(mon_gen) || exit 1
	echo "== (f) monitoring run: $mon_n households, --rate $mon_rate," \
		"--batch $mon_batch, single verifications meanwhile" \
		"(concurrency $mon_rt)"
	start_stack "$mpop" openssl
	heduid_pid=$(echo $watch | sed -n 's/.*--watch heduid=\([0-9]*\).*/\1/p')
	saved_conc=$conc
	conc=$mon_rt
	# The single verifications alone first, for comparison.
	run monitor-rt-alone verify --household-size "$hh"

	rm -rf "$work/monitor"
	"$bin/hedui" --server "$server" --ca "$certs/ca.crt" \
		--cert "$certs/agency-3301.crt" --key "$certs/agency-3301.key" \
		--operator bench monitor "$mpop/roster.jsonl" \
		--out "$work/monitor" --rate "$mon_rate" --batch "$mon_batch" \
		--inflight 4 --progress 1 --json \
		>"$work/monitor.json" 2>"$work/monitor.err" &
	cli=$!
	t0=$(date +%s)
	# Memory once mon_sample households are done.
	cli_small=0 heduid_small=0
	while kill -0 "$cli" 2>/dev/null; do
		n=$(mon_done)
		if [ -n "$n" ] && [ "$n" -ge "$mon_sample" ]; then
			cli_small=$(mon_rss "$cli")
			heduid_small=$(mon_rss "$heduid_pid")
			small_at=$n
			break
		fi
		sleep 0.5
	done
	# The single verifications while the run goes on.
	run monitor-rt-during verify --household-size "$hh"
	# Memory near the end of the sending (99% done), before the alerts
	# are sorted (MON_SORT_BUDGET, counted in the peak).
	cli_big=0 heduid_big=0 cli_hwm=0 big_at=0
	while kill -0 "$cli" 2>/dev/null; do
		n=$(mon_done)
		if [ -n "$n" ] && [ "$big_at" -lt $((mon_n * 99 / 100)) ]; then
			cli_big=$(mon_rss "$cli")
			heduid_big=$(mon_rss "$heduid_pid")
			big_at=$n
		fi
		h=$(mon_hwm "$cli")
		[ "${h:-0}" -gt 0 ] && cli_hwm=$h
		sleep 1
	done
	wait "$cli"
	st=$?
	secs=$(($(date +%s) - t0))
	heduid_hwm=$(mon_hwm "$heduid_pid")
	conc=$saved_conc
	stop_stack
	if [ "$st" -ne 0 ]; then
		echo "hedui monitor exited $st:" >&2
		tail -5 "$work/monitor.err" >&2
		exit 1
	fi
	rate=$(sed -n 's/.*"households_per_second": *\([0-9.]*\).*/\1/p' \
		"$work/monitor.json" | head -1)
	alerts=$(awk '/"classes"/ { c = 1 } c && /"alerts"/ { gsub(/[^0-9]/, ""); print; exit }' \
		"$work/monitor.json")
	echo "monitoring run: $mon_n households in $secs s ($rate /s)," \
		"$alerts alerts"
	echo "  CLI RSS    at $small_at done $(mon_mib "$cli_small") MiB," \
		"at $big_at done $(mon_mib "$cli_big") MiB," \
		"peak $(mon_mib "$cli_hwm") MiB"
	echo "  heduid RSS at $small_at done $(mon_mib "$heduid_small") MiB," \
		"at $big_at done $(mon_mib "$heduid_big") MiB," \
		"peak $(mon_mib "$heduid_hwm") MiB"
	a=$(value monitor-rt-alone verify p99_ms)
	b=$(value monitor-rt-during verify p99_ms)
	echo "  single verifications p99: alone $a ms, during the run $b ms" \
		"(target < 50 ms)"
	echo "monitor n=$mon_n rate=$rate seconds=$secs cli_rss_small_kib=$cli_small" \
		"cli_rss_big_kib=$cli_big cli_hwm_kib=$cli_hwm" \
		"heduid_rss_small_kib=$heduid_small heduid_rss_big_kib=$heduid_big" \
		"heduid_hwm_kib=$heduid_hwm rt_p99_alone_ms=$a" \
		"rt_p99_during_ms=$b" >>"$results"
}
