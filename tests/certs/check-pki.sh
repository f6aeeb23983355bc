#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks certs/make-dev-pki.sh: makes a PKI in a temp dir and checks what
# the rest of hedui relies on (names, chains, EKUs, SANs, CRL, the negative
# cases, idempotence, --agency, a real TLS handshake on loopback).
# Prints "N passed, N failed"; exits non-zero if anything failed.
#
#   sh tests/certs/check-pki.sh        (from the repo root, or anywhere)
set -u

here=$(cd "$(dirname "$0")" && pwd)
script=${HEDUI_SRC:-$here/../..}/certs/make-dev-pki.sh
[ -f "$script" ] || { echo "check-pki: $script not found" >&2; exit 1; }

tmp=$(mktemp -d)
srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: the command must succeed. Each of these
# leaves the command's output in $tmp/out for a following check to read.
check() {
	d=$1
	shift
	if "$@" >"$tmp/cmd" 2>&1; then ok; else bad "$d"; sed 's/^/    | /' "$tmp/cmd"; fi
	mv -f "$tmp/cmd" "$tmp/out"
}
# refute DESCRIPTION COMMAND...: the command must fail.
refute() {
	d=$1
	shift
	if "$@" >"$tmp/cmd" 2>&1; then bad "$d (unexpectedly succeeded)"; else ok; fi
	mv -f "$tmp/cmd" "$tmp/out"
}
# expect_rc DESCRIPTION RC COMMAND...: the command must exit with RC.
expect_rc() {
	d=$1
	want=$2
	shift 2
	"$@" >"$tmp/cmd" 2>&1
	rc=$?
	mv -f "$tmp/cmd" "$tmp/out"
	if [ "$rc" = "$want" ]; then ok; else bad "$d: exit $rc, want $want"; fi
}
# ext_has CERT EXT TEXT: "x509 -ext EXT" output contains TEXT.
ext_has() {
	openssl x509 -in "$c/$1" -noout -ext "$2" 2>/dev/null | grep -qF "$3"
}
subject_is() { # cert expected ("/C=.../CN=..." as openssl prints with -nameopt compat)
	[ "$(openssl x509 -in "$c/$1" -noout -subject -nameopt compat)" = "subject=$2" ]
}
verify() { openssl verify -CAfile "$c/ca.crt" "$@"; }
sverify() { openssl verify -CAfile "$c/source-ca.crt" "$@"; }
same_key() { # cert key: the certificate's public key is the key's
	a=$(openssl x509 -in "$c/$1" -noout -pubkey) &&
		b=$(openssl pkey -in "$c/$2" -pubout) && [ "$a" = "$b" ]
}
mode_is() { [ "$(stat -c %a "$c/$1")" = "$2" ]; }
snapshot() { (cd "$c" && ls -lA --time-style=full-iso && cat ./*) | cksum; }

c=$tmp/pki
keys="ca heduid source-bank source-tax source-property agency-330106
	agency-1101 cli expired-client rogue-ca rogue-client wrong-eku-client
	revoked-client rogue-server source-ca heduid-sources source-plane-other
	same-cn-other-region"

# --- generation ----------------------------------------------------------
check "first run" sh "$script" "$c"
for n in $keys; do
	check "$n.crt exists, mode 0644" mode_is "$n.crt" 644
	check "$n.key exists, mode 0600" mode_is "$n.key" 600
	check "$n.key is P-256" sh -c \
		"openssl pkey -in '$c/$n.key' -noout -text | grep -q 'ASN1 OID: prime256v1'"
	check "$n.crt signed with SHA-256" sh -c \
		"openssl x509 -in '$c/$n.crt' -noout -text | grep -q 'Signature Algorithm: ecdsa-with-SHA256'"
	check "$n.crt matches $n.key" same_key "$n.crt" "$n.key"
done
check "ca.crl exists, mode 0644" mode_is ca.crl 644
check "source-ca.crl exists, mode 0644" mode_is source-ca.crl 644
check "heduid-enc.key mode 0600" mode_is heduid-enc.key 600
check "heduid-enc-sec1.key mode 0600" mode_is heduid-enc-sec1.key 600

# --- chains --------------------------------------------------------------
for n in heduid agency-330106 agency-1101 cli wrong-eku-client revoked-client \
	same-cn-other-region; do
	check "$n verifies against ca.crt" verify "$c/$n.crt"
done
# The source plane has its own CA: what it issues and what the dev CA
# issues never cross.
for n in source-bank source-tax source-property heduid-sources \
	source-plane-other; do
	check "$n verifies against source-ca.crt" sverify "$c/$n.crt"
	refute "$n rejected by ca.crt" verify "$c/$n.crt"
done
for n in heduid agency-330106 agency-1101 cli rogue-client; do
	refute "$n rejected by source-ca.crt" sverify "$c/$n.crt"
done
differ() { [ "$(openssl x509 -in "$c/$1" -noout -pubkey)" != "$(openssl x509 -in "$c/$2" -noout -pubkey)" ]; }
check "source-ca has a key of its own" differ ca.crt source-ca.crt
check "agency verifies with CRL" verify -crl_check -CRLfile "$c/ca.crl" "$c/agency-330106.crt"
refute "revoked-client rejected with CRL" verify -crl_check -CRLfile "$c/ca.crl" "$c/revoked-client.crt"
refute "expired-client rejected" verify "$c/expired-client.crt"
check "expired-client is otherwise valid (chain, not time)" \
	verify -no_check_time "$c/expired-client.crt"
refute "rogue-client rejected by ca.crt" verify "$c/rogue-client.crt"
refute "rogue-server rejected by ca.crt" verify "$c/rogue-server.crt"
check "rogue-client verifies against rogue-ca.crt" \
	openssl verify -CAfile "$c/rogue-ca.crt" "$c/rogue-client.crt"
check "agency fits the TLS client purpose" verify -purpose sslclient "$c/agency-330106.crt"
refute "wrong-eku-client fails the TLS client purpose" verify -purpose sslclient "$c/wrong-eku-client.crt"
check "heduid fits the TLS server purpose" verify -purpose sslserver "$c/heduid.crt"
check "heduid fits the TLS client purpose" verify -purpose sslclient "$c/heduid.crt"
for n in source-bank source-tax source-property; do
	check "$n fits the TLS server purpose" sverify -purpose sslserver "$c/$n.crt"
	refute "$n does not fit the TLS client purpose" sverify -purpose sslclient "$c/$n.crt"
done
check "heduid-sources fits the TLS client purpose" sverify -purpose sslclient "$c/heduid-sources.crt"
refute "heduid-sources does not fit the TLS server purpose" sverify -purpose sslserver "$c/heduid-sources.crt"

# --- names and extensions ------------------------------------------------
check "CA subject" subject_is ca.crt "/C=CN/O=hedui dev/CN=hedui dev CA"
check "CA basicConstraints" ext_has ca.crt basicConstraints "CA:TRUE"
check "CA keyUsage" ext_has ca.crt keyUsage "Certificate Sign, CRL Sign"
for n in heduid source-bank source-tax source-property rogue-server; do
	check "$n SAN" ext_has "$n.crt" subjectAltName \
		"IP Address:127.0.0.1, DNS:127.0.0.1, DNS:localhost"
done
for n in heduid rogue-server; do
	check "$n EKU server+client" ext_has "$n.crt" extendedKeyUsage \
		"TLS Web Server Authentication, TLS Web Client Authentication"
done
for n in source-bank source-tax source-property; do
	check "$n EKU serverAuth only" sh -c "openssl x509 -in '$c/$n.crt' -noout \
		-ext extendedKeyUsage | sed 1d | grep -qx ' *TLS Web Server Authentication'"
done
check "heduid CN" subject_is heduid.crt "/C=CN/O=hedui dev/CN=heduid"
check "source-bank CN" subject_is source-bank.crt "/C=CN/O=hedui dev/CN=source-bank"
check "source-ca subject" subject_is source-ca.crt "/C=CN/O=hedui dev/CN=hedui dev source-plane CA"
check "source-ca basicConstraints" ext_has source-ca.crt basicConstraints "CA:TRUE"
check "source-ca keyUsage" ext_has source-ca.crt keyUsage "Certificate Sign, CRL Sign"
check "heduid-sources subject (CN=heduid)" subject_is heduid-sources.crt "/C=CN/O=hedui dev/CN=heduid"
check "source-plane-other subject" subject_is source-plane-other.crt "/C=CN/O=hedui dev/CN=monitoring"
for n in heduid-sources source-plane-other; do
	check "$n EKU clientAuth only" sh -c "openssl x509 -in '$c/$n.crt' -noout \
		-ext extendedKeyUsage | sed 1d | grep -qx ' *TLS Web Client Authentication'"
	check "$n has no SAN" sh -c "! openssl x509 -in '$c/$n.crt' -noout \
		-ext subjectAltName 2>/dev/null | grep -q ."
done
check "heduid-sources has a key of its own" differ heduid.crt heduid-sources.crt
for n in agency-330106 agency-1101 cli expired-client rogue-client revoked-client \
	same-cn-other-region; do
	check "$n EKU clientAuth only" sh -c "openssl x509 -in '$c/$n.crt' -noout \
		-ext extendedKeyUsage | sed 1d | grep -qx ' *TLS Web Client Authentication'"
	check "$n keyUsage" ext_has "$n.crt" keyUsage "Digital Signature"
done
check "wrong-eku EKU serverAuth only" sh -c "openssl x509 -in '$c/wrong-eku-client.crt' \
	-noout -ext extendedKeyUsage | sed 1d | grep -qx ' *TLS Web Server Authentication'"
o='/C=CN/O=hedui dev agencies'
check "agency-330106 subject" subject_is agency-330106.crt "$o/OU=region:330106/CN=agency-330106"
check "agency-1101 subject" subject_is agency-1101.crt "$o/OU=region:1101/CN=agency-1101"
check "revoked-client subject" subject_is revoked-client.crt "$o/OU=region:330106/CN=agency-revoked"
check "same-cn-other-region subject" subject_is same-cn-other-region.crt \
	"$o/OU=region:1101/CN=agency-330106"
for n in expired-client rogue-client wrong-eku-client; do
	check "$n has OU=region:330106" sh -c \
		"openssl x509 -in '$c/$n.crt' -noout -subject -nameopt compat | grep -q '/OU=region:330106/'"
done
check "cli.crt is agency-330106.crt" cmp "$c/cli.crt" "$c/agency-330106.crt"
check "cli.key is agency-330106.key" cmp "$c/cli.key" "$c/agency-330106.key"
check "agency key is plain PEM" grep -q "BEGIN PRIVATE KEY" "$c/agency-330106.key"
check "CRL signed by the dev CA" openssl crl -in "$c/ca.crl" -noout -CAfile "$c/ca.crt"
check "CRL still current in 9 years" verify -crl_check -CRLfile "$c/ca.crl" \
	-attime $(($(date +%s) + 9 * 365 * 86400)) "$c/agency-1101.crt"
check "source-ca.crl signed by the source-plane CA" \
	openssl crl -in "$c/source-ca.crl" -noout -CAfile "$c/source-ca.crt"
check "heduid-sources verifies with source-ca.crl, in 9 years too" sverify \
	-crl_check -CRLfile "$c/source-ca.crl" \
	-attime $(($(date +%s) + 9 * 365 * 86400)) "$c/heduid-sources.crt"
check "source-ca.crl revokes nothing" sh -c \
	"openssl crl -in '$c/source-ca.crl' -noout -text | grep -q 'No Revoked Certificates'"
check "CRL lists revoked-client's serial" sh -c "openssl crl -in '$c/ca.crl' -noout -text |
	grep -q \"Serial Number: $(openssl x509 -in "$c/revoked-client.crt" -noout -serial | cut -d= -f2)\""

# --- encrypted key -------------------------------------------------------
check "heduid-enc.pass is exactly hedui-dev" sh -c "printf hedui-dev | cmp - '$c/heduid-enc.pass'"
check "heduid-enc.key is encrypted PKCS#8" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$c/heduid-enc.key"
check "heduid-enc.key uses AES-256" sh -c \
	"openssl asn1parse -in '$c/heduid-enc.key' | grep -q aes-256-cbc"
refute "heduid-enc.key needs the password" openssl pkey -in "$c/heduid-enc.key" -passin pass:wrong -noout
openssl pkey -in "$c/heduid.key" -pubout >"$tmp/heduid.pub" 2>/dev/null
for k in heduid-enc.key heduid-enc-sec1.key; do
	check "$k decrypts to heduid.key" sh -c "openssl pkey -in '$c/$k' \
		-passin 'file:$c/heduid-enc.pass' -pubout | cmp - '$tmp/heduid.pub'"
done

# --- idempotence ---------------------------------------------------------
before=$(snapshot)
sleep 1
check "second run" sh "$script" "$c"
check "second run says up to date" grep -q "up to date" "$tmp/out"
check "second run changes nothing" test "$before" = "$(snapshot)"

# --- --agency ------------------------------------------------------------
check "--agency 4401" sh "$script" "$c" --agency 4401
check "agency-4401 subject" subject_is agency-4401.crt "$o/OU=region:4401/CN=agency-4401"
check "agency-4401 verifies" verify -purpose sslclient "$c/agency-4401.crt"
check "agency-4401 key mode" mode_is agency-4401.key 600
check "--agency 4401 only made agency-4401" sh -c \
	"grep made '$tmp/out' | grep -v agency-4401 | grep -q . && exit 1 || exit 0"
check "--agency 33 --name" sh "$script" "$c" --agency 33 --name "浙江省民政厅"
check "--name is the CN (UTF-8)" sh -c "openssl x509 -in '$c/agency-33.crt' -noout \
	-subject -nameopt utf8 | grep -q 'OU=region:33, CN=浙江省民政厅'"
check "--agency into a new dir makes the PKI too" sh "$script" "$tmp/pki2" --agency 110101
check "new dir has ca.crt" test -f "$tmp/pki2/ca.crt"
check "new dir has the source plane" test -f "$tmp/pki2/heduid-sources.crt"
check "new dir agency verifies" openssl verify -CAfile "$tmp/pki2/ca.crt" "$tmp/pki2/agency-110101.crt"
for a in 1 abc 1234567 "" 12a4 -12 " 1101"; do
	expect_rc "--agency '$a' rejected" 2 sh "$script" "$c" --agency "$a"
done
check "rejection message is clear" grep -q "2 to 6 digits" "$tmp/out"
expect_rc "--name with / rejected" 2 sh "$script" "$c" --agency 4402 --name "a/b"
expect_rc "no OUTDIR" 2 sh "$script"
expect_rc "unknown option" 2 sh "$script" "$c" --bogus
check "rejections left no agency-4402" test ! -e "$c/agency-4402.crt"
check "no temp files left behind" sh -c "! ls -a '$c' | grep -q '\.new\$'"

# --- a real handshake on loopback ----------------------------------------
# Starts "openssl s_server -rev" (it echoes lines reversed) with cert/key
# NAME, trusting clients of CA (default ca); sets port. -rev never reads
# stdin, so it keeps running in background.
start_server() { # NAME [CA]
	for try in 1 2 3 4 5; do
		port=$((20000 + ($$ * 31 + try * 977 + $(date +%s)) % 20000))
		openssl s_server -rev -cert "$c/$1.crt" -key "$c/$1.key" \
			-CAfile "$c/${2:-ca}.crt" -Verify 1 -verify_return_error \
			-accept "127.0.0.1:$port" >"$tmp/srv.log" 2>&1 </dev/null &
		srv_pid=$!
		i=0
		while [ $i -lt 50 ]; do
			grep -q '^ACCEPT' "$tmp/srv.log" && return 0
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		stop_server
	done
	return 1
}
stop_server() {
	[ -n "$srv_pid" ] || return 0
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}
# talk CLIENT-NAME [CA]: connects with that identity, trusting the server
# of CA (default ca), and expects the echo back.
talk() {
	printf 'hedui-ping\nCLOSE\n' | timeout 10 openssl s_client \
		-connect "127.0.0.1:$port" -cert "$c/$1.crt" -key "$c/$1.key" \
		-CAfile "$c/${2:-ca}.crt" -verify_return_error -verify_ip 127.0.0.1 \
		-verify_hostname localhost -quiet 2>&1 | grep -q 'gnip-iudeh'
}

if start_server heduid; then
	ok
	check "handshake: agency-330106 to heduid" talk agency-330106
	check "handshake: heduid as client to heduid" talk heduid
	refute "handshake: rogue-client rejected" talk rogue-client
	refute "handshake: expired-client rejected" talk expired-client
	stop_server
else
	bad "s_server did not start"
	sed 's/^/    | /' "$tmp/srv.log"
fi
# A source as its --certs DIR sets it up: source-plane CA, its CRL.
if start_server source-bank source-ca; then
	ok
	check "handshake: heduid-sources to source-bank" talk heduid-sources source-ca
	check "handshake: source-plane-other completes (refused later, by the allow list)" \
		talk source-plane-other source-ca
	refute "handshake: agency-330106 rejected by a source" talk agency-330106 source-ca
	refute "handshake: heduid.crt (dev CA) rejected by a source" talk heduid source-ca
	refute "handshake: heduid-sources does not trust a source under ca.crt" \
		talk heduid-sources ca
	stop_server
else
	bad "source s_server did not start"
	sed 's/^/    | /' "$tmp/srv.log"
fi
if start_server heduid; then
	ok
	refute "handshake: heduid rejects heduid-sources (not its clients' CA)" \
		talk heduid-sources ca
	stop_server
else
	bad "second s_server did not start"
fi
if start_server rogue-server; then
	ok
	refute "handshake: client rejects rogue-server" talk agency-330106
	stop_server
else
	bad "rogue s_server did not start"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
