#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs each cmocka test program given, adds up its results, and ends with
# one "N passed, N failed" line. Exit status is non-zero if any test failed
# or any program crashed or hung.
#
# Each program gets HEDUI_TEST_TIMEOUT seconds (default 900): a hang must
# fail the run, not wedge it. Before a hung program is killed, gdb (when
# installed) writes every thread's stack into its log, because a hang seen
# once on a CI machine may never be seen again.
limit=${HEDUI_TEST_TIMEOUT:-900}

# run_limited LOG CMD...: runs CMD with output in LOG (test programs line-
# buffer it: tests/support/tline_buffered.c). Sets rc;
# 124 means it did not finish in time.
run_limited() {
	log=$1
	shift
	# Its own process group, so that a kill takes its children too.
	setsid "$@" >"$log" 2>&1 &
	pid=$!
	ticks=0
	while kill -0 "$pid" 2>/dev/null && [ "$ticks" -lt $((limit * 5)) ]; do
		sleep 0.2
		ticks=$((ticks + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		if command -v gdb >/dev/null 2>&1; then
			echo "=== stacks of hung process $pid" >>"$log"
			timeout 60 gdb -p "$pid" -batch -ex 'thread apply all bt' \
			    </dev/null >>"$log" 2>&1
		fi
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=124
		return
	fi
	wait "$pid"
	rc=$?
}
passed=0
failed=0
crashed=0
log_dir=${HEDUI_BUILD:-build}/test-logs
mkdir -p "$log_dir"
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	out="$log_dir/$name.log"
	case "$t" in
	*.sh)
		# Shell checks end with "N passed, N failed".
		run_limited "$out" sh "$t"
		p=$(sed -n 's/^\([0-9][0-9]*\) passed, [0-9][0-9]* failed$/\1/p' "$out" | tail -n 1)
		f=$(sed -n 's/^[0-9][0-9]* passed, \([0-9][0-9]*\) failed$/\1/p' "$out" | tail -n 1)
		grep '^FAIL' "$out" | sed 's/^/    /'
		echo "    [ $p passed, $f failed ]"
		;;
	*)
		run_limited "$out" "$t"
		# cmocka: "[  PASSED  ] 3 test(s)." and "[  FAILED  ] 1 test(s), listed below:"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" | tail -n 1)
		;;
	esac
	p=${p:-0}
	f=${f:-0}
	passed=$((passed + p))
	failed=$((failed + f))
	grep -E '^\[ +(FAILED|ERROR) +\]|^\[  PASSED  \]' "$out" | sed 's/^/    /'
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "    $name did not finish within ${limit}s: hung?"
		# The test that hung, then the main thread's stack.
		grep '^\[ RUN' "$out" | tail -n 1 | sed 's/^/    | /'
		sed -n '/^Thread 1 /,/^$/p' "$out" | head -n 30 | sed 's/^/    | /'
		crashed=$((crashed + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "    $name exited with status $rc without a test failure: crash?"
		tail -n 30 "$out" | sed 's/^/    | /'
		crashed=$((crashed + 1))
	elif [ "$f" -ne 0 ]; then
		grep -v '^\[ ' "$out" | tail -n 40 | sed 's/^/    | /'
	fi
done
echo "$passed passed, $((failed + crashed)) failed"
[ "$failed" -eq 0 ] && [ "$crashed" -eq 0 ]
