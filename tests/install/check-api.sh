#!/bin/sh
# SPDX-License-Identifier: MIT
# libhedui's public surface, as an integrator meets it (issue 18):
#   - the shared library's soname is libhedui.so.$major (Makefile's
#     SONAME_MAJOR);
#   - nm -D --defined-only shows only the public prefix hedui_, and not
#     the generated protobuf-c code (hedui__v1__...), which stays hidden;
#   - what it exports is exactly the HEDUI_EXPORT functions of
#     include/hedui/, and docs/API.md describes each of them;
#   - installed, the headers are include/hedui/*.h and nothing else, each
#     compiles on its own (-std=c11 -pedantic -Werror, with pkg-config's
#     flags and nothing else of ours), and pkg-config's flags do not let
#     <log.h> or <utf8.h> resolve to a file of ours.
# Prints "N passed, N failed"; exits non-zero if anything failed.
set -u
build=${HEDUI_BUILD:-build}
top=${HEDUI_SRC:-.}
cd "$top" || exit 1
so=$build/libhedui.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

major=$(sed -n 's/^SONAME_MAJOR *= *//p' Makefile)
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ -n "$major" ] && [ "$soname" = "libhedui.so.$major" ]; then
	ok "soname $soname"
else
	bad "soname '$soname', Makefile's SONAME_MAJOR '$major'"
fi

nm -D --defined-only "$so" | awk '{ print $NF }' | sort -u >"$tmp/exported"
if [ -s "$tmp/exported" ]; then ok "libhedui.so exports something"; else
	bad "libhedui.so exports nothing"; fi
stray=$(grep -v '^hedui_[a-z0-9][a-z0-9_]*$' "$tmp/exported")
if [ -z "$stray" ]; then
	ok "every exported symbol has the prefix hedui_ (generated code hidden)"
else
	bad "exported outside the public prefix:"
	echo "$stray" | sed 's/^/    /'
fi

# The declared API: the name before "(" after each HEDUI_EXPORT.
grep -hv "^#" include/hedui/*.h | tr '\n' ' ' | grep -o 'HEDUI_EXPORT [^;(]*(' |
	grep -o '[A-Za-z_][A-Za-z0-9_]*($' | tr -d '(' | sort -u \
	>"$tmp/declared"
if cmp -s "$tmp/declared" "$tmp/exported"; then
	ok "exported = the HEDUI_EXPORT functions of include/hedui/ ($(wc -l <"$tmp/declared"))"
else
	bad "exported and declared differ (< declared, > exported):"
	diff "$tmp/declared" "$tmp/exported" | grep '^[<>]' | sed 's/^/    /'
fi
missing=""
while read -r f; do
	grep -q "\`$f\`\|\`$f(" docs/API.md 2>/dev/null || missing="$missing $f"
done <"$tmp/declared"
if [ -z "$missing" ]; then ok "docs/API.md describes every public function"
else bad "not in docs/API.md:$missing"; fi

prefix=$tmp/prefix
if make -s install PREFIX="$prefix" BUILD="$build" >"$tmp/install.log" 2>&1
then
	ok "make install"
else
	bad "make install"; cat "$tmp/install.log"
fi
others=$(cd "$prefix/include" && find . -type f ! -path './hedui/*.h' -o \
	-type d -path './hedui/*' | sort)
if [ -z "$others" ] && [ -n "$(ls "$prefix/include/hedui/" 2>/dev/null)" ]
then
	ok "only include/hedui/*.h installed"
else
	bad "installed headers beside include/hedui/*.h:"
	echo "$others" | sed 's/^/    /'
fi
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags hedui)
case " $cflags " in
*"/include/hedui "*) bad "pkg-config --cflags adds include/hedui: $cflags" ;;
*) ok "pkg-config --cflags hedui: $cflags" ;;
esac
for h in log.h utf8.h hd_err.h rpc_client.h; do
	printf '#include <%s>\n' "$h" >"$tmp/inc.c"
	# shellcheck disable=SC2086
	if cc -E $cflags "$tmp/inc.c" 2>/dev/null | grep -q "$prefix"; then
		bad "<$h> resolves into the installed prefix"
	else
		ok "<$h> is not ours"
	fi
done
for h in "$prefix"/include/hedui/*.h; do
	name=hedui/$(basename "$h")
	printf '#include <%s>\nint main(void) { return 0; }\n' "$name" \
		>"$tmp/alone.c"
	# shellcheck disable=SC2086
	if cc -std=c11 -pedantic -Wall -Wextra -Werror -c -o "$tmp/alone.o" \
		$cflags "$tmp/alone.c" >"$tmp/cc.log" 2>&1; then
		ok "<$name> compiles on its own"
	else
		bad "<$name> compiles on its own"; cat "$tmp/cc.log"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
