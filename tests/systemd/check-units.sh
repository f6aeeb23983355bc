#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd units of etc/systemd/ are ones systemd accepts: each is
# checked by systemd-analyze verify, with ExecStart pointing at this
# build's programs (verify also checks that they exist). Any complaint it
# prints (an unknown key, a bad value) fails the check, not only its exit
# status. Prints "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "${HEDUI_SRC:-$here/../..}" && pwd -P)
bin=${HEDUI_BIN:-$top/build/bin}
passed=0
failed=0
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "FAIL: systemd-analyze is not installed (scripts/install-deps.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in heduid.service hedui-source@bank.service \
	hedui-source@tax.service hedui-source@property.service; do
	src=$top/etc/systemd/$unit
	case $unit in hedui-source@*) src=$top/etc/systemd/hedui-source@.service ;; esac
	sed "s|/usr/local/bin|$bin|g" "$src" >"$tmp/$unit"
	# The source units read their arguments from an environment file.
	kind=${unit#hedui-source@}
	kind=${kind%.service}
	sed -i "s|/etc/hedui/source-%i.env|-$tmp/source-$kind.env|" "$tmp/$unit"
	out=$(cd "$tmp" && systemd-analyze verify --man=no "./$unit" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $unit: exit $rc"
		echo "$out" | sed 's/^/    /'
	fi
done
# Type=notify is what makes systemd wait for READY=1 (svc_notify.h).
for unit in heduid.service hedui-source@.service; do
	if grep -q '^Type=notify$' "$top/etc/systemd/$unit"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $unit is not Type=notify"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
