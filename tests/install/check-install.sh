#!/bin/sh
# Installs into a temporary prefix and builds a C program against the
# installed client library through pkg-config, as another system would.
# Also checks the .proto files are there for other languages' stubs.
set -u
build=${HEDUI_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

if make -s install PREFIX="$tmp/prefix" BUILD="$build" >"$tmp/install.log" 2>&1; then
	ok "make install"
else
	bad "make install"; cat "$tmp/install.log"
fi
for f in bin/heduid bin/hedui bin/hedui-source lib/libhedui.so lib/libhedui.a \
	lib/pkgconfig/hedui.pc include/hedui/rpc_client.h \
	include/hedui/v1/health.pb-c.h share/hedui/proto/hedui/v1/rpc.proto; do
	if [ -e "$tmp/prefix/$f" ]; then ok "installed $f"; else bad "missing $f"; fi
done

cat >"$tmp/caller.c" <<'C'
#include <stdio.h>
#include <rpc_client.h>
#include <hedui/v1/health.pb-c.h>
int main(void)
{
	Hedui__V1__HealthCheckRequest req = HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	printf("%s %zu\n", rpc_code_name(RPC_UNIMPLEMENTED),
	    protobuf_c_message_get_packed_size(&req.base));
	return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
if cc -o "$tmp/caller" "$tmp/caller.c" $(pkg-config --cflags hedui) \
	$(pkg-config --libs hedui) -lprotobuf-c -lssl -lcrypto \
	>"$tmp/cc.log" 2>&1; then
	ok "compile against pkg-config hedui"
else
	bad "compile against pkg-config hedui"; cat "$tmp/cc.log"
fi
if [ -x "$tmp/caller" ] &&
	out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/caller") &&
	[ "$out" = "UNIMPLEMENTED 0" ]; then
	ok "run the program"
else
	bad "run the program"
fi
if command -v protoc >/dev/null &&
	protoc --proto_path="$tmp/prefix/share/hedui/proto" \
		--python_out="$tmp" \
		"$tmp/prefix/share/hedui/proto/hedui/v1/"*.proto 2>"$tmp/protoc.log"; then
	ok "installed .proto files compile with Google's protoc"
else
	bad "installed .proto files compile with Google's protoc"
	cat "$tmp/protoc.log" 2>/dev/null
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
