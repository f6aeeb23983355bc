# SPDX-License-Identifier: MIT
# Sourced by the interop checks: starts the bank, tax and property sources
# (from tests/fixtures/households.json) and heduid in front of them, on
# free ports of 127.0.0.1, with TLS 1.2 allowed (Debian's nng does TLS
# through mbedTLS 2.28, which stops at 1.2) and the Debug service on.
# Every process started here is stopped on exit, whatever happens; the
# logs are kept in $HEDUI_BUILD/interop.* when a check failed.
#
# Needs HEDUI_BIN, HEDUI_CERTS, HEDUI_SRC, HEDUI_BUILD (set by make).
# Sets HEDUI_INTEROP_URL and stack_dir; stack_up returns non-zero when the
# stack did not come up.
bin=${HEDUI_BIN:-build/bin}
certs=${HEDUI_CERTS:-build/certs}
src=${HEDUI_SRC:-.}
stack_pids=
mkdir -p "${HEDUI_BUILD:-${TMPDIR:-/tmp}}"
stack_dir=$(mktemp -d "${HEDUI_BUILD:-${TMPDIR:-/tmp}}/interop.XXXXXX")

stack_down() {
	for p in $stack_pids; do kill -TERM "$p" 2>/dev/null; done
	# heduid drains on SIGTERM; give it a moment, then make sure.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		alive=
		for p in $stack_pids; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.3
	done
	for p in $stack_pids; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	stack_pids=
	if [ -n "${stack_keep_logs:-}" ]; then
		echo "(logs kept in $stack_dir)"
	else
		rm -rf "$stack_dir"
	fi
}
trap stack_down EXIT
trap 'exit 1' INT TERM HUP

# Free TCP ports on 127.0.0.1, as the kernel hands them out.
free_ports() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

port_open() {
	/usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$1" 2>/dev/null
}

stack_up() {
	set -- $(free_ports 4)
	hport=$1
	n=0
	for kind in bank tax property; do
		n=$((n + 1))
		eval "p=\${$((n + 1))}"
		"$bin/hedui-source" serve --kind "$kind" \
			--fixtures "$src/tests/fixtures/households.json" \
			--certs "$certs" --listen "tls+tcp://127.0.0.1:$p" \
			2>"$stack_dir/source-$kind.log" &
		stack_pids="$stack_pids $!"
		eval "port_$kind=$p"
	done
	"$bin/heduid" --listen "tls+tcp://127.0.0.1:$hport" \
		--ca "$certs/ca.crt" --crl "$certs/ca.crl" \
		--cert "$certs/heduid.crt" --key "$certs/heduid.key" \
		--source-ca "$certs/source-ca.crt" \
		--source-cert "$certs/heduid-sources.crt" \
		--source-key "$certs/heduid-sources.key" \
		--allow-tls12 --debug-service \
		--bank "tls+tcp://127.0.0.1:$port_bank" \
		--tax "tls+tcp://127.0.0.1:$port_tax" \
		--property "tls+tcp://127.0.0.1:$port_property" \
		--store "$stack_dir/heduid.db" \
		2>"$stack_dir/heduid.log" &
	stack_pids="$stack_pids $!"
	HEDUI_INTEROP_URL="tls+tcp://127.0.0.1:$hport"
	export HEDUI_INTEROP_URL
	for i in $(seq 1 100); do
		for p in $stack_pids; do
			# Died, e.g. a port taken by someone else meanwhile.
			kill -0 "$p" 2>/dev/null || { i=dead; break; }
		done
		[ "$i" = dead ] && break
		if port_open "$hport" && port_open "$port_bank" &&
			port_open "$port_tax" && port_open "$port_property"; then
			return 0
		fi
		sleep 0.1
	done
	echo "the stack did not come up:"
	tail -n 20 "$stack_dir"/*.log
	return 1
}
