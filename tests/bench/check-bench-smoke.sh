#!/bin/sh
# SPDX-License-Identifier: MIT
# The benchmark runs: make bench's script with tiny settings (a second or
# two), checked for the numbers it must print. No timing assertions: make
# check must not depend on the machine's speed.
# Prints "N passed, N failed"; exits non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${HEDUI_SRC:-$here/../..}
build=${HEDUI_BUILD:-$src/build}
dir=$build/bench-smoke
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

out=$dir.out
mkdir -p "$dir"
if BENCH_SMOKE=1 BENCH_DIR=$dir HEDUI_SRC=$src \
	timeout 120 sh "$src/tests/bench/run-bench.sh" >"$out" 2>&1; then
	ok
else
	bad "run-bench.sh BENCH_SMOKE=1 failed"
fi
sed 's/^/    | /' "$out"
# has PATTERN DESCRIPTION: the output matches the extended regex.
has() {
	if grep -Eq "$1" "$out"; then ok; else bad "$2"; fi
}
num='[0-9]+(\.[0-9]+)?'
has "^ceiling +echo .* $num/s +p50 +$num +p90 +$num +p99 +$num +max +$num ms +errors 0" \
	"echo throughput and latencies"
has "^ceiling +verify .* $num/s +p50 +$num +p90 +$num +p99 +$num +max +$num ms +errors 0" \
	"verification throughput and latencies"
has "^ +heduid +cpu +$num us/op .* peak RSS +$num MiB" "heduid CPU and RSS"
has "^ +property +cpu +$num us/op" "a source's CPU"
has "^ratio verify/echo = 0\.[0-9]+" "the verify/echo ratio"
has "^household 3: $num us CPU per verification" "cost by household size"
has "^batch-16 +batch .* $num/s +p50 +$num +p90 +$num +p99 +$num +max +$num ms +errors 0" \
	"VerifyBatch throughput (households/s) and latencies"
has "^ratio batch-16/echo = 0\.[0-9]+ \(households/s; service CPU $num us, heduid $num us per household; heduid peak RSS $num MiB\)" \
	"the batch/echo ratio with CPU per household and heduid's peak RSS"
has "^real-time verify/echo = 0\.[0-9]+" "the real-time ratio in the batch part"
if grep -q '^result .* ok=0 ' "$dir/results.txt" 2>/dev/null; then
	bad "a run completed no call"
else
	ok
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
