#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop with a client we did not write: nngcat (Debian nng-utils; nng's
# built-in mbedTLS engine, TLS 1.2) sends envelopes built by Google's
# protoc --encode from our .proto files to heduid over tls+tcp with a
# client certificate, and protoc --decode reads the replies.
# Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stack.sh"
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); stack_keep_logs=1; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

for tool in nngcat protoc; do
	if ! command -v $tool >/dev/null; then
		fail "$tool is not installed (scripts/install-deps.sh)"
		finish
	fi
done
stack_up || { fail "stack did not start"; finish; }

proto() { # MODE TYPE: protoc --encode/--decode with our .proto files
	protoc --proto_path="$src/proto" "--$1=hedui.v1.$2" \
		hedui/v1/rpc.proto hedui/v1/health.proto
}

# nngcat sends FILE once and writes the raw reply to OUT.
call() { # FILE OUT [nngcat options...]
	f=$1 o=$2
	shift 2
	timeout 20 nngcat --req0 --dial "$HEDUI_INTEROP_URL" \
		--cacert "$certs/ca.crt" --raw --file "$f" \
		--recv-timeout 5 "$@" >"$o" 2>"$o.err"
}
with_cert="--cert $certs/cli.crt --key $certs/cli.key"
d=$stack_dir

# 1. Health/Check: OK, and the payload is HealthCheckResponse SERVING.
printf 'method: "hedui.v1.Health/Check"\nrequest_id: "nngcat-1"\n' |
	proto encode RpcRequest >"$d/health.bin"
if call "$d/health.bin" "$d/health.out" $with_cert &&
	proto decode RpcReply <"$d/health.out" >"$d/health.txt"; then
	# proto3 leaves code OK (0) out of the text; payload 08 01 is
	# status: SERVING.
	if grep -q 'request_id: "nngcat-1"' "$d/health.txt" &&
		! grep -q 'code:' "$d/health.txt" &&
		grep -q 'payload: "\\010\\001"' "$d/health.txt"; then
		ok "Health/Check over TLS 1.2: OK, SERVING"
	else
		fail "Health/Check reply: $(tr '\n' ' ' <"$d/health.txt")"
	fi
else
	fail "Health/Check: no decodable reply ($(cat "$d/health.out.err"))"
fi

# 2. An unknown method: UNIMPLEMENTED with a message.
printf 'method: "grpc.testing.UnimplementedService/UnimplementedCall"\nrequest_id: "nngcat-2"\ntimeout { ms: 3000 }\nmetadata { key: "trace-id" value: "nngcat" }\n' |
	proto encode RpcRequest >"$d/unimpl.bin"
if call "$d/unimpl.bin" "$d/unimpl.out" $with_cert &&
	proto decode RpcReply <"$d/unimpl.out" >"$d/unimpl.txt" &&
	grep -q 'code: UNIMPLEMENTED' "$d/unimpl.txt" &&
	grep -q 'message: "unknown method' "$d/unimpl.txt"; then
	ok "unknown method: UNIMPLEMENTED"
else
	fail "unknown method: $(tr '\n' ' ' <"$d/unimpl.txt" 2>/dev/null)"
fi

# 3. A truncated envelope: INVALID_ARGUMENT, still a decodable reply.
head -c 10 "$d/unimpl.bin" >"$d/trunc.bin"
if call "$d/trunc.bin" "$d/trunc.out" $with_cert &&
	proto decode RpcReply <"$d/trunc.out" >"$d/trunc.txt" &&
	grep -q 'code: INVALID_ARGUMENT' "$d/trunc.txt"; then
	ok "truncated envelope: INVALID_ARGUMENT"
else
	fail "truncated envelope: $(tr '\n' ' ' <"$d/trunc.txt" 2>/dev/null)"
fi

# 4. Reflection: the method list names the Verifier.
printf 'method: "hedui.v1.Reflection/ListMethods"\nrequest_id: "nngcat-4"\n' |
	proto encode RpcRequest >"$d/list.bin"
if call "$d/list.bin" "$d/list.out" $with_cert &&
	proto decode RpcReply <"$d/list.out" >"$d/list.txt" &&
	grep -q 'Verifier/VerifyHousehold' "$d/list.txt"; then
	ok "Reflection/ListMethods lists hedui.v1.Verifier/VerifyHousehold"
else
	fail "Reflection/ListMethods: $(tr '\n' ' ' <"$d/list.txt" 2>/dev/null)"
fi

# 5. No client certificate: the handshake is refused, no reply.
if call "$d/health.bin" "$d/nocert.out" && [ -s "$d/nocert.out" ]; then
	fail "a client without a certificate got a reply"
else
	ok "no client certificate: refused"
fi

# 6. The service still answers after all that.
if call "$d/health.bin" "$d/again.out" $with_cert &&
	proto decode RpcReply <"$d/again.out" | grep -q 'payload: "\\010\\001"'; then
	ok "still serving"
else
	fail "no answer after the other cases"
fi
finish
