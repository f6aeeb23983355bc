#!/bin/sh
# SPDX-License-Identifier: MIT
# make-dev-pki.sh: the development PKI for hedui (see certs/README.md).
#
#   make-dev-pki.sh OUTDIR
#   make-dev-pki.sh OUTDIR --agency PREFIX [--name NAME]
#
# Idempotent: existing files are kept, and only what is missing is made.
# A leaf certificate is re-issued only when its key or its CA is new, so a
# second run changes nothing. Needs only POSIX sh and openssl (3.0).
set -eu

prog=make-dev-pki
pass=hedui-dev
days_ca=3650
days_leaf=3650
san='IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost'
o_dev='/C=CN/O=hedui dev'
o_agency='/C=CN/O=hedui dev agencies'

usage() {
	echo "usage: $0 OUTDIR [--agency PREFIX [--name NAME]]" >&2
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

out=
agency=
agency_set=0
name=
while [ $# -gt 0 ]; do
	case $1 in
	--agency) [ $# -ge 2 ] || usage; agency=$2; agency_set=1; shift 2 ;;
	--name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
	-h | --help) usage ;;
	-*) echo "$prog: unknown option $1" >&2; usage ;;
	*) [ -z "$out" ] || usage; out=$1; shift ;;
	esac
done
[ -n "$out" ] || usage
[ -z "$name" ] || [ "$agency_set" = 1 ] || {
	echo "$prog: --name needs --agency" >&2
	exit 2
}
if [ "$agency_set" = 1 ]; then
	# Region prefixes: 2 digits province, 4 city, 6 county (GB/T 2260).
	case $agency in
	'' | *[!0-9]* | ? | ???????*)
		echo "$prog: --agency '$agency': region prefix must be 2 to 6 digits" >&2
		exit 2 ;;
	esac
fi
case $name in
*/* | *\\* | *=* | *+* | *,*)
	echo "$prog: --name must not contain / \\ = + or ," >&2
	exit 2 ;;
esac

command -v openssl >/dev/null 2>&1 || die "openssl not found"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-dev-pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
umask 077
made=0

# Runs openssl quietly; on failure shows what it said.
ossl() {
	if ! openssl "$@" >"$tmp/log" 2>&1; then
		echo "$prog: openssl $1 failed:" >&2
		cat "$tmp/log" >&2
		exit 1
	fi
}

# Puts a finished file from the temp dir into OUTDIR with its mode; the
# rename is atomic, so no one sees a half-written file.
install_file() { # tmpname destname mode
	chmod "$3" "$tmp/$1"
	cp -p "$tmp/$1" "$out/.$2.new"
	mv -f "$out/.$2.new" "$out/$2"
	echo "made $out/$2"
	made=$((made + 1))
}

cat >"$tmp/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
string_mask = utf8only
[req_dn]

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer

# The sources only ever answer: no clientAuth, so that a source's key cannot
# be used to call another source.
[source_server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer

[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer

[wrong_eku_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer

# "openssl ca" is needed only to backdate (expired-client) and for the CRL.
[ca]
default_ca = devca
[devca]
dir = $tmp/db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
preserve = yes
copy_extensions = none
crl_extensions = crl_ext
[policy_any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF

# Echoes 1 if a file is missing (so something must be made), else 0.
missing() { if [ -e "$out/$1" ]; then echo 0; else echo 1; fi; }

newkey() { # name: makes name.key unless present; sets key_new
	key_new=$(missing "$1.key")
	if [ "$key_new" = 1 ]; then
		ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
			-pkeyopt ec_param_enc:named_curve -out "$tmp/$1.key"
		install_file "$1.key" "$1.key" 600
	fi
}

serial() { echo "0x$(openssl rand -hex 16)"; }

newca() { # name subject: self-signed CA; sets ca_new
	if [ -e "$out/$1.crt" ] && [ ! -e "$out/$1.key" ]; then
		die "$out/$1.crt exists without $1.key; remove it to start over"
	fi
	newkey "$1"
	ca_new=$key_new
	[ -e "$out/$1.crt" ] || ca_new=1
	if [ "$ca_new" = 1 ]; then
		ossl req -x509 -new -config "$tmp/openssl.cnf" -utf8 -sha256 \
			-key "$out/$1.key" -subj "$2" -days $days_ca \
			-set_serial "$(serial)" -extensions ca_ext -out "$tmp/$1.crt"
		install_file "$1.crt" "$1.crt" 644
	fi
}

# Issues name.crt when it, its key or its CA is new; sets leaf_new.
leaf() { # name subject extensions ca ca_is_new
	newkey "$1"
	leaf_new=$key_new
	[ "$5" = 0 ] || leaf_new=1
	[ -e "$out/$1.crt" ] || leaf_new=1
	[ "$leaf_new" = 1 ] || return 0
	ossl req -new -config "$tmp/openssl.cnf" -utf8 -key "$out/$1.key" \
		-subj "$2" -out "$tmp/$1.csr"
	ossl x509 -req -in "$tmp/$1.csr" -CA "$out/$4.crt" -CAkey "$out/$4.key" \
		-set_serial "$(serial)" -days $days_leaf -sha256 \
		-extfile "$tmp/openssl.cnf" -extensions "$3" -out "$tmp/$1.crt"
	install_file "$1.crt" "$1.crt" 644
}

cadb() { # fresh "openssl ca" database in the temp dir
	rm -rf "$tmp/db"
	mkdir "$tmp/db"
	: >"$tmp/db/index.txt"
	openssl rand -hex 16 >"$tmp/db/serial"
	echo 01 >"$tmp/db/crlnumber"
}

agency_subj() { # prefix cn
	echo "$o_agency/OU=region:$1/CN=$2"
}

# --- the dev CA and everything it issues ---------------------------------
newca ca "$o_dev/CN=hedui dev CA"
dev_new=$ca_new

leaf heduid "$o_dev/CN=heduid" server_ext ca "$dev_new"
# The same key, encrypted, for testing key_password.
if [ "$leaf_new" = 1 ] || [ ! -e "$out/heduid-enc.key" ]; then
	printf '%s' "$pass" >"$tmp/heduid-enc.pass"
	ossl pkey -in "$out/heduid.key" -aes256 \
		-passout "file:$tmp/heduid-enc.pass" -out "$tmp/heduid-enc.key"
	install_file heduid-enc.key heduid-enc.key 600
fi
# mbedTLS 2.28 cannot decrypt AES in PKCS#8 (PBES2 there is DES only), but
# reads the traditional PEM encryption: this copy is for that engine.
if [ "$leaf_new" = 1 ] || [ ! -e "$out/heduid-enc-sec1.key" ]; then
	printf '%s' "$pass" >"$tmp/heduid-enc.pass"
	ossl ec -in "$out/heduid.key" -aes256 \
		-passout "file:$tmp/heduid-enc.pass" -out "$tmp/heduid-enc-sec1.key"
	install_file heduid-enc-sec1.key heduid-enc-sec1.key 600
fi
if [ ! -e "$out/heduid-enc.pass" ]; then
	printf '%s' "$pass" >"$tmp/heduid-enc.pass"
	install_file heduid-enc.pass heduid-enc.pass 600
fi

leaf agency-330106 "$(agency_subj 330106 agency-330106)" client_ext ca "$dev_new"
cli_new=$leaf_new
leaf agency-1101 "$(agency_subj 1101 agency-1101)" client_ext ca "$dev_new"

# The CLI's default identity: a plain copy of agency-330106.
for f in crt key; do
	if [ "$cli_new" = 1 ] || [ ! -e "$out/cli.$f" ]; then
		cp "$out/agency-330106.$f" "$tmp/cli.$f"
		if [ $f = key ]; then m=600; else m=644; fi
		install_file "cli.$f" "cli.$f" $m
	fi
done

# --- the source plane: a CA of its own ----------------------------------
# Sources hold raw balances and incomes and check no agency signature, so
# they must answer heduid alone. Their CA issues nothing but the sources'
# server certificates and heduid's client certificate towards them: an
# agency certificate (dev CA) cannot even complete a handshake with a
# source. The sources' allow list (CN=heduid) is the second fence.
newca source-ca "$o_dev/CN=hedui dev source-plane CA"
src_new=$ca_new
for s in bank tax property; do
	leaf "source-$s" "$o_dev/CN=source-$s" source_server_ext source-ca "$src_new"
done
leaf heduid-sources "$o_dev/CN=heduid" client_ext source-ca "$src_new"
# A source's --certs DIR checks revocation against DIR/source-ca.crl; with
# CRL checking on, a CA without a CRL would fail every client, so the
# source-plane CA publishes one (nothing revoked yet).
if [ "$src_new" = 1 ] || [ ! -e "$out/source-ca.crl" ]; then
	cadb
	ossl ca -batch -config "$tmp/openssl.cnf" -cert "$out/source-ca.crt" \
		-keyfile "$out/source-ca.key" -gencrl -crldays 3650 \
		-out "$tmp/source-ca.crl"
	install_file source-ca.crl source-ca.crl 644
fi

# --- negative cases ------------------------------------------------------
# On the source plane but not heduid: refused by the sources' allow list.
leaf source-plane-other "$o_dev/CN=monitoring" client_ext source-ca "$src_new"
# agency-330106's CN under another region: another agency, which must not
# pass for it (heduid identifies agencies by their whole subject).
leaf same-cn-other-region "$(agency_subj 1101 agency-330106)" client_ext ca "$dev_new"

leaf wrong-eku-client "$(agency_subj 330106 agency-wrong-eku)" \
	wrong_eku_ext ca "$dev_new"

leaf revoked-client "$(agency_subj 330106 agency-revoked)" client_ext ca "$dev_new"
if [ "$leaf_new" = 1 ] || [ ! -e "$out/ca.crl" ]; then
	cadb
	ossl ca -batch -config "$tmp/openssl.cnf" -cert "$out/ca.crt" \
		-keyfile "$out/ca.key" -revoke "$out/revoked-client.crt" \
		-crl_reason keyCompromise
	ossl ca -batch -config "$tmp/openssl.cnf" -cert "$out/ca.crt" \
		-keyfile "$out/ca.key" -gencrl -crldays 3650 -out "$tmp/ca.crl"
	install_file ca.crl ca.crl 644
fi

# "x509 -days" cannot backdate in OpenSSL 3.0; "ca -startdate/-enddate" can.
newkey expired-client
if [ "$key_new" = 1 ] || [ "$dev_new" = 1 ] || [ ! -e "$out/expired-client.crt" ]; then
	cadb
	ossl req -new -config "$tmp/openssl.cnf" -utf8 \
		-key "$out/expired-client.key" \
		-subj "$(agency_subj 330106 agency-expired)" -out "$tmp/expired.csr"
	ossl ca -batch -notext -config "$tmp/openssl.cnf" -cert "$out/ca.crt" \
		-keyfile "$out/ca.key" -in "$tmp/expired.csr" \
		-startdate 20200101000000Z -enddate 20210101000000Z \
		-extfile "$tmp/openssl.cnf" -extensions client_ext \
		-out "$tmp/expired-client.crt"
	install_file expired-client.crt expired-client.crt 644
fi

# A separate CA nobody trusts. Its client claims agency-330106's identity.
newca rogue-ca "/C=CN/O=hedui rogue/CN=hedui rogue CA"
rogue_new=$ca_new
leaf rogue-client "$(agency_subj 330106 agency-330106)" client_ext rogue-ca "$rogue_new"
leaf rogue-server "/C=CN/O=hedui rogue/CN=heduid" server_ext rogue-ca "$rogue_new"

# --- one more agency on request ------------------------------------------
if [ "$agency_set" = 1 ]; then
	a="agency-$agency"
	if [ -e "$out/$a.crt" ] && [ -n "$name" ]; then
		cn=$(openssl x509 -in "$out/$a.crt" -noout -subject -nameopt multiline,utf8 |
			sed -n 's/^ *commonName *= *//p')
		[ "$cn" = "$name" ] ||
			echo "$prog: $out/$a.crt exists with CN=$cn; kept (remove it to re-issue)" >&2
	fi
	leaf "$a" "$(agency_subj "$agency" "${name:-$a}")" client_ext ca "$dev_new"
fi

[ "$made" -gt 0 ] || echo "dev PKI in $out is up to date"
