#!/bin/sh
# Runs each cmocka test program given, adds up its results, and ends with
# one "N passed, N failed" line. Exit status is non-zero if any test failed
# or any program crashed or hung.
#
# Each program gets HEDUI_TEST_TIMEOUT seconds (default 900): nng 1.5.2 can
# hang in nng_close now and then, and a hang must fail the run, not wedge it.
limit=${HEDUI_TEST_TIMEOUT:-900}
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
		timeout -k 10 "$limit" sh "$t" >"$out" 2>&1
		rc=$?
		p=$(sed -n 's/^\([0-9][0-9]*\) passed, [0-9][0-9]* failed$/\1/p' "$out" | tail -n 1)
		f=$(sed -n 's/^[0-9][0-9]* passed, \([0-9][0-9]*\) failed$/\1/p' "$out" | tail -n 1)
		grep '^FAIL' "$out" | sed 's/^/    /'
		echo "    [ $p passed, $f failed ]"
		;;
	*)
		timeout -k 10 "$limit" "$t" >"$out" 2>&1
		rc=$?
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
		tail -n 30 "$out" | sed 's/^/    | /'
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
