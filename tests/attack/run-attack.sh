#!/bin/sh
# SPDX-License-Identifier: MIT
# run-attack.sh: issue 13's attacks at full scale against a real heduid
# on loopback (make attack). Not part of make check: it runs for minutes.
#
#   ATTACK_SECONDS        how long (300)
#   ATTACK_IDLE           idle connections kept open, in all (20000), by
#                         two client processes (a process may hold 20,000
#                         descriptors here)
#   ATTACK_BURST_THREADS  burst-and-reset clients per process (2)
#   ATTACK_SPREAD         attack from this many loopback addresses (0: one,
#                         so the per-address bounds bite; 200: the bounds
#                         in all must)
#   HEDUID_EXTRA          more heduid flags
#
# Prints the measuring client's result line (descriptors, memory, a real
# client's verification latency), what heduid logged about its bounds,
# and whether it then stopped cleanly.
set -u
bin=${HEDUI_BIN:?} certs=${HEDUI_CERTS:?}
secs=${ATTACK_SECONDS:-300}
idle=${ATTACK_IDLE:-20000}
threads=${ATTACK_BURST_THREADS:-2}
work=${HEDUI_BUILD:-build}/attack
rm -rf "$work"
mkdir -p "$work"
port=$("$bin/hedui-bench" ports 1) || exit 1
"$bin/heduid" --listen "tls+tcp://127.0.0.1:$port" --store "$work/heduid.db" \
	--ca "$certs/ca.crt" --crl "$certs/ca.crl" \
	--cert "$certs/heduid.crt" --key "$certs/heduid.key" \
	${HEDUID_EXTRA:-} 2>"$work/heduid.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for i in $(seq 1 100); do
	HEDUI_SERVER=tls+tcp://127.0.0.1:$port HEDUI_CERTS=$certs \
		"$bin/hedui" health >/dev/null 2>&1 && break
	sleep 0.1
done
half=$((idle / 2))
echo "== heduid pid $pid on port $port: $idle idle connections and" \
	"$((2 * threads)) burst-and-reset clients for $secs s"
"$bin/hedui-attack" --port "$port" --idle "$half" \
	--burst-threads "$threads" --seconds "$secs" \
	--spread "${ATTACK_SPREAD:-0}" >"$work/attack-b.log" 2>&1 &
other=$!
"$bin/hedui-attack" --port "$port" --idle "$((idle - half))" \
	--burst-threads "$threads" --seconds "$secs" --watch "$pid" \
	--spread "${ATTACK_SPREAD:-0}" \
	--label "idle=$idle bursts=$((2 * threads)) spread=${ATTACK_SPREAD:-0}" 2>&1 |
	tee "$work/attack-a.log"
wait $other
sleep 3
echo "== after: descriptors $(ls /proc/$pid/fd | wc -l)," \
	"RSS $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"
HEDUI_SERVER=tls+tcp://127.0.0.1:$port HEDUI_CERTS=$certs "$bin/hedui" health
echo "== heduid's log about its bounds:"
for ev in rpc.limit rpc.handshakes rpc.idle_closed rpc.rate_limited \
	log.suppressed rpc.wedged rpc.listener; do
	printf '  %-18s %s lines\n' "$ev" "$(grep -c "event=$ev " "$work/heduid.log")"
done
grep "event=rpc.handshakes" "$work/heduid.log" | awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
	  if (kv[1] == "evicted") e += kv[2]; if (kv[1] == "failed") f += kv[2];
	  if (kv[1] == "timed_out") t += kv[2] } }
	END { printf "  handshakes closed for the bounds %d, failed %d (timed out %d)\n", e, f, t }'
kill -TERM $pid
wait $pid
echo "== heduid exit status $? (0: a clean stop)"
trap - EXIT
