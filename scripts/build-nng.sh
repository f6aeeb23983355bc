#!/bin/sh
# SPDX-License-Identifier: MIT
# build-nng.sh: builds the nng that hedui links, statically: Debian
# bookworm's nng 1.5.2 source package (fetched by scripts/fetch-nng.sh),
# Debian's own patches, then ours (third_party/nng/patches/, each one
# explained in its header and in third_party/nng/README.md).
#
#   build-nng.sh OUTDIR CC "CFLAGS"
#
# Leaves OUTDIR/inst/include (headers) and OUTDIR/inst/lib/libnng.a.
# Built as Debian builds it (TLS on, mbedTLS as nng's own engine), without
# nng's tests and tools, position-independent so that libhedui.so can
# carry it.
set -eu
prog=build-nng
[ $# -eq 3 ] || { echo "usage: $0 OUTDIR CC CFLAGS" >&2; exit 2; }
out=$1 cc=$2 cflags=$3
top=$(cd "$(dirname "$0")/.." && pwd)
dl=$top/third_party/nng/dl
ours=$top/third_party/nng/patches
die() { echo "$prog: $*" >&2; exit 1; }

orig=$(ls "$dl"/nng_1.5.2.orig.tar.* 2>/dev/null | head -n 1) || true
deb=$(ls "$dl"/nng_1.5.2-*.debian.tar.* 2>/dev/null | head -n 1) || true
[ -n "$orig" ] && [ -n "$deb" ] ||
	die "no nng source in $dl: run scripts/install-deps.sh (or scripts/fetch-nng.sh)"
command -v cmake >/dev/null 2>&1 || die "cmake not found: run scripts/install-deps.sh"

rm -rf "$out/src" "$out/cmake" "$out/inst"
mkdir -p "$out/src"
tar -xf "$orig" -C "$out/src" --strip-components=1
tar -xf "$deb" -C "$out/src"

apply() { # dir-with-series label
	grep -v '^[[:space:]]*#' "$1/series" | while read -r p; do
		[ -n "$p" ] || continue
		patch -d "$out/src" -p1 --forward --batch --silent <"$1/$p" ||
			die "$2 patch $p does not apply"
	done
}
apply "$out/src/debian/patches" Debian
apply "$ours" hedui

# Quiet unless it fails: the log says why.
log=$out/build.log
if ! { cmake -S "$out/src" -B "$out/cmake" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags" \
	-DCMAKE_INSTALL_PREFIX="$out/inst" -DCMAKE_INSTALL_LIBDIR=lib \
	-DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF \
	-DNNG_ENABLE_TLS=ON -DNNG_TESTS=OFF -DNNG_TOOLS=OFF \
	-DNNG_ENABLE_NNGCAT=OFF &&
	cmake --build "$out/cmake" -j "$(nproc 2>/dev/null || echo 2)" &&
	cmake --install "$out/cmake"; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "building nng failed (all of it in $log)"
fi
[ -f "$out/inst/lib/libnng.a" ] || die "no libnng.a after the build"
echo "$prog: $out/inst/lib/libnng.a (nng 1.5.2, Debian's patches and ours)"
