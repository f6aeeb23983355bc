#!/bin/sh
# SPDX-License-Identifier: MIT
# fetch-nng.sh: downloads Debian bookworm's nng 1.5.2 source package into
# third_party/nng/dl/ (see third_party/nng/README.md), through apt with a
# private configuration: nothing of the system's apt set-up changes, and
# no root is needed. Does nothing when the files are there and match
# third_party/nng/SHA256SUMS.
#
# The mirror is the first Debian one the system's apt sources name
# (deb.debian.org otherwise); HEDUI_DEBIAN_MIRROR overrides it.
set -eu
prog=fetch-nng
top=$(cd "$(dirname "$0")/.." && pwd)
dl=$top/third_party/nng/dl
sums=$top/third_party/nng/SHA256SUMS
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
die() { echo "$prog: $*" >&2; exit 1; }

matches() { [ -d "$dl" ] && (cd "$dl" && sha256sum -c --quiet "$sums") >/dev/null 2>&1; }
matches && exit 0

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (a Debian machine is needed)"
[ -r "$keyring" ] || die "$keyring missing: install debian-archive-keyring"

mirror=${HEDUI_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v '^[[:space:]]*#' | grep -oE '(https?|ftp)://[^ ]*/debian/?( |$)' | grep -v security |
		head -n 1 | tr -d ' ') || true
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$dl"
echo "deb-src [signed-by=$keyring] $mirror bookworm main" >"$work/sources.list"
user=$(id -un)
aptget() {
	apt-get -q -o Dir::Etc::SourceList="$work/sources.list" \
		-o Dir::Etc::SourceParts="$work/parts" \
		-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User="$user" "$@"
}
echo "$prog: Debian's nng source package from $mirror"
aptget update >"$work/log" 2>&1 || { cat "$work/log" >&2; die "apt-get update failed"; }
# Debian's revision may move on (a stable update); the upstream tarball
# does not, and our patches say whether they still apply.
(cd "$work" && aptget source --download-only nng=1.5.2-2 >"$work/log" 2>&1) ||
	(cd "$work" && aptget source --download-only nng >"$work/log" 2>&1) || {
	cat "$work/log" >&2
	die "apt-get source nng failed"
}
orig=$(cd "$work" && ls nng_1.5.2.orig.tar.* 2>/dev/null | head -n 1)
deb=$(cd "$work" && ls nng_1.5.2-*.debian.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] && [ -n "$deb" ] || die "no nng 1.5.2 source in what apt fetched"
want=$(awk '/orig/ { print $1 }' "$sums")
have=$(sha256sum "$work/$orig" | cut -d' ' -f1)
[ "$want" = "$have" ] || die "$orig: SHA-256 $have, expected $want"
cp "$work/$orig" "$work/$deb" "$dl/"
if ! matches; then
	echo "$prog: note: Debian's packaging is now $deb, not the one in" \
		"third_party/nng/SHA256SUMS; the build applies its patches" >&2
fi
echo "$prog: $dl/$orig, $deb"
