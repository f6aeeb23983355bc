#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole system on loopback with the development PKI.
#
# Generates a synthetic population (once), starts the bank, tax and
# property sources on it and heduid in front of them, registers the
# consents (核对授权书) of a few of the population's households and verifies
# them with the hedui CLI, each signed by an agency of the household's own
# county: three verify, the fourth is refused for an expired consent and
# the fifth for a revoked one (先授权、后核对, docs/CONSENT.md). It ends
# with a monitoring run (hedui monitor, docs/MONITORING.md): the nightly
# re-check of a city's enrolled households, on a population of its own,
# whose standing consents are registered first. Every process started
# here is stopped on exit, whatever happens.
set -u
bin=${HEDUI_BIN:-build/bin}
certs=${HEDUI_CERTS:-build/certs}
build=${HEDUI_BUILD:-build}
port=${HEDUI_DEMO_PORT:-7443}
src_port=${HEDUI_DEMO_SOURCE_PORT:-7451}
size=${HEDUI_DEMO_SIZE:-20000}
# Persons of the enrolled population the monitoring run re-checks (about
# 2.5 a household).
mon_size=${HEDUI_DEMO_MONITOR_SIZE:-6000}
demo=$build/demo
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM
mkdir -p "$demo"

if [ ! -f "$demo/pop/bank.db" ] || [ ! -f "$demo/pop/consents/hh-000005.revoke" ]; then
	echo "== generating a population of $size persons (seed 2026)"
	rm -rf "$demo/pop"
	"$bin/hedui-source" gen --size "$size" --seed 2026 --households 5 \
		--out "$demo/pop" >"$demo/gen.log" 2>&1 ||
		{ cat "$demo/gen.log"; exit 1; }
fi

echo "== starting the bank, tax and property sources and heduid"
"$bin/hedui-source" all --dir "$demo/pop" --certs "$certs" \
	--base-port "$src_port" 2>"$demo/sources.log" &
pids="$pids $!"
# Agencies reach heduid under the dev CA (ca.crt); heduid reaches the
# sources on the source plane, a CA of its own that no agency holds.
"$bin/heduid" --listen "tls+tcp://127.0.0.1:$port" --ca "$certs/ca.crt" \
	--crl "$certs/ca.crl" --cert "$certs/heduid.crt" \
	--key "$certs/heduid.key" \
	--source-ca "$certs/source-ca.crt" \
	--source-cert "$certs/heduid-sources.crt" \
	--source-key "$certs/heduid-sources.key" \
	--bank "tls+tcp://127.0.0.1:$src_port" \
	--tax "tls+tcp://127.0.0.1:$((src_port + 1))" \
	--property "tls+tcp://127.0.0.1:$((src_port + 2))" \
	--store "$demo/heduid.db" 2>"$demo/heduid.log" &
pids="$pids $!"

export HEDUI_SERVER="tls+tcp://127.0.0.1:$port" HEDUI_CERTS="$certs"
up=no
for i in $(seq 1 50); do
	if "$bin/hedui" health >/dev/null 2>&1; then up=yes; break; fi
	sleep 0.2
done
if [ "$up" != yes ]; then
	echo "heduid did not come up:"; tail -20 "$demo/heduid.log" "$demo/sources.log"
	exit 1
fi
echo "\$ hedui health"
"$bin/hedui" health

status=0
n=0
for f in $(ls "$demo/pop/households/"*.json | head -5); do
	n=$((n + 1))
	region=$(sed -n 's/.*"region_code": *"\([0-9]*\)".*/\1/p' "$f" | head -1)
	consents="$demo/pop/consents/$(basename "$f")"
	revoke="$demo/pop/consents/$(basename "$f" .json).revoke"
	# The household's county office registers its members' consents and
	# signs the request.
	sh certs/make-dev-pki.sh "$certs" --agency "$region" >/dev/null ||
		exit 1
	as="--cert $certs/agency-$region.crt --key $certs/agency-$region.key"
	echo
	echo "\$ hedui --cert agency-$region.crt consent add $consents"
	# shellcheck disable=SC2086
	"$bin/hedui" $as consent add "$consents" >"$demo/consent-$n.txt" ||
		{ cat "$demo/consent-$n.txt"; status=1; }
	grep -c '^核对授权书' "$demo/consent-$n.txt" | sed 's/$/ consent(s) on record/'
	if [ -f "$revoke" ]; then
		while read -r number; do
			echo "\$ hedui consent revoke $number --reason ..."
			# shellcheck disable=SC2086
			"$bin/hedui" $as consent revoke "$number" \
				--reason "申请人书面撤回授权 withdrawn in writing" |
				sed -n '1p;/状态/p;/撤回日期/p' || status=1
		done <"$revoke"
	fi
	echo "\$ hedui --cert agency-$region.crt verify $f"
	# shellcheck disable=SC2086
	"$bin/hedui" $as verify "$f"
	rc=$?
	# The fourth household's applicant consented until before as_of; the
	# fifth's withdrew: both are refused (exit 3), nothing is queried.
	case "$n:$rc" in
	4:3 | 5:3) echo "(refused, as it must be: exit 3)" ;;
	1:0 | 2:0 | 3:0) ;;
	*) echo "unexpected exit status $rc"; status=1 ;;
	esac
done
echo
echo "\$ hedui consent add examples/consents-dibao.json   (county 330106)"
"$bin/hedui" consent add examples/consents-dibao.json >"$demo/consent-example.txt" ||
	{ cat "$demo/consent-example.txt"; status=1; }
sed -n '1,14p' "$demo/consent-example.txt"
echo "..."
echo "\$ hedui consent list --expiring-within 400   (county 330106)"
"$bin/hedui" consent list --expiring-within 400 | tail -2 || status=1
echo
echo "\$ hedui verify examples/household-dibao.json --json   (county 330106)"
"$bin/hedui" verify examples/household-dibao.json --json >"$demo/verdict.json" ||
	status=1
cat "$demo/verdict.json"
# The report is kept: fetch it back, check its signature offline, and
# check the audit trail's hash chain.
id=$(sed -n 's/.*"report_id": *"\(HD-[0-9a-f-]*\)".*/\1/p' "$demo/verdict.json" |
	head -1)
if [ -n "$id" ]; then
	echo
	echo "\$ hedui report get $id -o report.bin"
	"$bin/hedui" report get "$id" -o "$demo/report.bin" || status=1
	echo "\$ hedui report verify report.bin --cert heduid.crt --ca ca.crt"
	"$bin/hedui" report verify "$demo/report.bin" \
		--cert "$certs/heduid.crt" --ca "$certs/ca.crt" || status=1
	echo "\$ hedui audit verify --store heduid.db"
	"$bin/hedui" audit verify --store "$demo/heduid.db" || status=1
fi

# --- 动态监测: the nightly re-check of the enrolled -----------------------
# Hangzhou's civil-affairs bureau (agency-3301, every 3301xx county)
# re-checks its enrolled households; their bank, tax and property records
# are served by sources of their own, behind a heduid of its own.
if [ ! -f "$demo/monpop/roster.jsonl" ] ||
	[ ! -f "$demo/monpop/roster-consents/consents-000001.json" ]; then
	echo
	echo "== generating Hangzhou's enrolled population ($mon_size persons)" \
		"and its roster"
	rm -rf "$demo/monpop"
	mkdir -p "$demo/monpop"
	"$bin/hedui-source" gen --size "$mon_size" --seed 2026 --region 3301 \
		--households 0 --roster "$demo/monpop/roster.jsonl.tmp" \
		--roster-consents "$demo/monpop/roster-consents" \
		--out "$demo/monpop" >"$demo/gen-monitor.log" 2>&1 ||
		{ cat "$demo/gen-monitor.log"; exit 1; }
	mv "$demo/monpop/roster.jsonl.tmp" "$demo/monpop/roster.jsonl"
fi
mport=$((port + 1))
msrc=$((src_port + 3))
"$bin/hedui-source" all --dir "$demo/monpop" --certs "$certs" \
	--base-port "$msrc" 2>"$demo/sources-monitor.log" &
pids="$pids $!"
rm -f "$demo/heduid-monitor.db" "$demo/heduid-monitor.db-wal" \
	"$demo/heduid-monitor.db-shm" "$demo/heduid-monitor.db.audit-key"
"$bin/heduid" --listen "tls+tcp://127.0.0.1:$mport" --ca "$certs/ca.crt" \
	--crl "$certs/ca.crl" --cert "$certs/heduid.crt" \
	--key "$certs/heduid.key" \
	--source-ca "$certs/source-ca.crt" \
	--source-cert "$certs/heduid-sources.crt" \
	--source-key "$certs/heduid-sources.key" \
	--bank "tls+tcp://127.0.0.1:$msrc" \
	--tax "tls+tcp://127.0.0.1:$((msrc + 1))" \
	--property "tls+tcp://127.0.0.1:$((msrc + 2))" \
	--store "$demo/heduid-monitor.db" 2>"$demo/heduid-monitor.log" &
pids="$pids $!"
sh certs/make-dev-pki.sh "$certs" --agency 3301 >/dev/null || exit 1
up=no
for i in $(seq 1 50); do
	if "$bin/hedui" --server "tls+tcp://127.0.0.1:$mport" health \
		>/dev/null 2>&1; then up=yes; break; fi
	sleep 0.2
done
[ "$up" = yes ] || { echo "the monitoring heduid did not come up"; exit 1; }
# The standing consents of the enrolled, registered by the bureau as its
# system would when each was signed: no consent, no re-check.
echo
echo "\$ hedui --cert agency-3301.crt consent add roster-consents/FILE" \
	"   (each of $(ls "$demo/monpop/roster-consents" | wc -l) files)"
for f in "$demo/monpop/roster-consents"/consents-*.json; do
	"$bin/hedui" --server "tls+tcp://127.0.0.1:$mport" \
		--cert "$certs/agency-3301.crt" --key "$certs/agency-3301.key" \
		--operator demo consent add "$f" >"$demo/consent-roster.txt" ||
		{ tail -5 "$demo/consent-roster.txt"; status=1; }
done
rm -rf "$demo/monitor"
echo
echo "\$ hedui --cert agency-3301.crt monitor roster.jsonl --out monitor" \
	"--rate 2000   ($(grep -c . "$demo/monpop/roster.jsonl") households)"
"$bin/hedui" --server "tls+tcp://127.0.0.1:$mport" \
	--cert "$certs/agency-3301.crt" --key "$certs/agency-3301.key" \
	--operator demo monitor "$demo/monpop/roster.jsonl" \
	--out "$demo/monitor" --rate 2000 --inflight 4 || status=1
if [ -f "$demo/monitor/alerts.csv" ]; then
	echo
	echo "\$ head -3 monitor/alerts.csv   (预警, for the counties' officers)"
	head -3 "$demo/monitor/alerts.csv" | tr -d '\r'
fi
echo
echo "(logs: $demo/heduid.log, $demo/sources.log," \
	"$demo/heduid-monitor.log; monitoring run: $demo/monitor)"
exit $status
