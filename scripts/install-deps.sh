#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian bookworm packages hedui builds, tests and runs with
# (postgresql: the tests start their own server from its binaries, as
# nobody when run as root; the cluster the package makes is not used),
# and fetches Debian's nng source package that the build patches and
# links (scripts/fetch-nng.sh). Runs apt-get as root, through sudo when
# not root already.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev openssl ca-certificates
cmake patch xz-utils libmbedtls-dev debian-archive-keyring nng-utils
protobuf-c-compiler libprotobuf-c-dev protobuf-compiler
libssl-dev libsqlite3-dev sqlite3 libpq-dev postgresql
libjansson-dev libinih-dev libcmocka-dev
libsystemd-dev systemd curl python3-prometheus-client
python3 python3-protobuf python3-pytest python3-cryptography procps gdb"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# Skip the network when everything is here already.
missing=$(dpkg-query -W -f='${Status} ${Package}\n' $PKGS 2>/dev/null |
	grep -vc '^install ok installed' || true)
count=$(echo $PKGS | wc -w)
have=$(dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null |
	grep -c '^install ok installed' || true)
if [ "$have" -ne "$count" ] || [ "$missing" -ne 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $PKGS
fi
# nng is built from Debian's source package with our patches
# (third_party/nng/README.md); this fetches it once, as the calling user.
sh "$(dirname "$0")/fetch-nng.sh"
