#!/bin/sh
# make demo: the whole system on loopback with the development PKI.
# Every process started here is stopped on exit, whatever happens.
set -u
bin=${HEDUI_BIN:-build/bin}
certs=${HEDUI_CERTS:-build/certs}
port=${HEDUI_DEMO_PORT:-7443}
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM
logdir=${HEDUI_BUILD:-build}/demo-logs
mkdir -p "$logdir"

"$bin/heduid" --listen "tls+tcp://127.0.0.1:$port" --ca "$certs/ca.crt" \
	--crl "$certs/ca.crl" --cert "$certs/heduid.crt" \
	--key "$certs/heduid.key" 2>"$logdir/heduid.log" &
pids="$pids $!"

export HEDUI_SERVER="tls+tcp://127.0.0.1:$port" HEDUI_CERTS="$certs"
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$bin/hedui" health >/dev/null 2>&1 && break
	sleep 0.3
done
echo "\$ hedui health"
"$bin/hedui" health || { cat "$logdir/heduid.log"; exit 1; }
echo "\$ hedui methods"
"$bin/hedui" methods
echo "(logs in $logdir)"
