#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every fuzz target for SECONDS (default 5) each, seeded from
# tests/fuzz/corpus/<target> and tests/fuzz/regressions/<target>, after
# replaying the regression inputs. New corpus entries go to
# build-fuzz/corpus/<target>, crashers to build-fuzz/crashes/ (copy a
# crasher to tests/fuzz/regressions/<target>/ once it is fixed).
#
#   FUZZ_BIN=build-fuzz/fuzz sh tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
# Ends with "N passed, N failed"; exit status 1 if any target failed.
secs=${1:-5}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FUZZ_BIN:-$top/build-fuzz/fuzz}
work=${FUZZ_WORK:-$(dirname "$bin")}
passed=0
failed=0
targets=$*
[ -n "$targets" ] || targets=$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
mkdir -p "$work/crashes"
cd "$top" || exit 1
for t in $targets; do
	exe=$bin/fuzz_$t
	if [ ! -x "$exe" ]; then
		echo "FAIL $t: $exe not built (make FUZZ=1 fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	log=$work/fuzz_$t.log
	regs=$here/regressions/$t
	if [ -d "$regs" ] && [ -n "$(ls "$regs")" ]; then
		if HEDUI_SRC=$top timeout -k 10 120 "$exe" "$regs"/* \
			>"$log.replay" 2>&1; then
			echo "ok   $t: $(ls "$regs" | wc -l) regression inputs replayed"
			passed=$((passed + 1))
		else
			echo "FAIL $t: a regression input fails again (see $log.replay)"
			tail -n 20 "$log.replay" | sed 's/^/    | /'
			failed=$((failed + 1))
		fi
	fi
	mkdir -p "$work/corpus/$t"
	seeds=$here/corpus/$t
	[ -d "$seeds" ] || seeds=
	[ -d "$regs" ] || regs=
	# -timeout: one input may take a few deadlines of the in-process
	# server at most; anything near 10 s is a hang.
	# timeout: a run that does not end (a hang at exit) fails instead of
	# holding up make check.
	if HEDUI_SRC=$top timeout -k 10 $((secs + 120)) \
		"$exe" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$t-" \
		"$work/corpus/$t" $seeds $regs >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok   $t: ${runs:-?} runs in ${secs} s"
		passed=$((passed + 1))
	else
		echo "FAIL $t: see $log; crasher in $work/crashes/"
		grep -E 'ERROR|invariant|SUMMARY|^    #[0-9] ' "$log" | head -n 20 |
			sed 's/^/    | /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
