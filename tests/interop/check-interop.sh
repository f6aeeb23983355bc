#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop with a client we did not write: tests/interop/test_interop.py
# (Google's protobuf for Python, ctypes over libnng, run by /usr/bin/python3
# and pytest) against heduid and the three sources started here.
# Ends with "N passed, N failed"; skipped cases count as passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stack.sh"
out=$stack_dir/pytest.out
if ! /usr/bin/python3 -c 'import pytest, google.protobuf, cryptography' \
	2>/dev/null; then
	echo "FAIL python3-pytest, python3-protobuf or python3-cryptography missing (scripts/install-deps.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi
stack_up || { echo "0 passed, 1 failed"; exit 1; }
# Nothing written into the source tree (no .pytest_cache, no .pyc).
PYTHONDONTWRITEBYTECODE=1 HEDUI_CERTS=$certs HEDUI_SRC=$src \
	timeout 300 /usr/bin/python3 -m pytest -p no:cacheprovider -rfEs -v \
	"$here/test_interop.py" >"$out" 2>&1
rc=$?
sed -e 's/^/    /' "$out" | grep -E 'PASSED|FAILED|SKIPPED|ERROR|Error|assert' |
	head -n 80
[ "$rc" -eq 0 ] || { tail -n 60 "$out"; stack_keep_logs=1; }
summary=$(tail -n 1 "$out")
p=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
f=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
e=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) error.*/\1/p')
s=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
p=$(( ${p:-0} + ${s:-0} ))
f=$(( ${f:-0} + ${e:-0} ))
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
