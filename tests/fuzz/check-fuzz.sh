#!/bin/sh
# SPDX-License-Identifier: MIT
# make check's short fuzz run: every target for FUZZ_CHECK_SECONDS (2)
# from its committed seeds, and every committed regression input replayed.
# make check builds the targets first (make FUZZ=1 fuzz-build); run alone,
# this builds them when they are missing.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$top/build-fuzz/fuzz
need=0
for f in "$here"/fuzz_*.c; do
	t=$(basename "$f" .c)
	[ -x "$bin/$t" ] || need=1
done
if [ "$need" = 1 ]; then
	make -C "$top" --no-print-directory FUZZ=1 fuzz-build >/dev/null ||
		{ echo "FAIL cannot build the fuzz targets"; echo "0 passed, 1 failed"; exit 1; }
fi
FUZZ_BIN=$bin FUZZ_WORK=${HEDUI_BUILD:-$top/build}/fuzz-check \
	exec sh "$here/run-fuzz.sh" "${FUZZ_CHECK_SECONDS:-2}"
