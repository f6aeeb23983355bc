# SPDX-License-Identifier: MIT
# hedui build.
#
#   make                 build everything into build/
#   make check           build, make the dev PKI, run every test
#   make SAN=1 check     the same with ASan + UBSan, into build-san/
#   make fuzz            libFuzzer targets (clang) into build-fuzz/, a short
#                        run of each; make fuzz-long FUZZ_SECONDS=600
#   make demo            a real verification end to end on loopback
#   make install PREFIX=/usr/local
#   make spdx            add the SPDX line to new source files (LICENSE)
#   make bench           throughput and latency on loopback (docs/PERFORMANCE.md)
#   make bench-engines   echo and verify with the OpenSSL and mbedTLS engines
#   make attack          idle floods and burst-and-reset clients, minutes long
#
# Sources are found by wildcard: a new lib/LAYER/*.c joins libhedui, a new
# tests/unit/test_*.c becomes a test program, nothing else to edit.

SAN ?= 0
FUZZ ?= 0
ifeq ($(FUZZ),1)
# libFuzzer needs clang; every object is instrumented for coverage and
# built with ASan + UBSan, the fuzz targets link libFuzzer's main.
BUILD ?= build-fuzz
CC = clang
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LDFLAGS = -fsanitize=fuzzer,address,undefined
NNG_SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
OPT ?= -O1
else ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
NNG_SANFLAGS = $(SANFLAGS)
OPT ?= -O1
else
BUILD ?= build
SANFLAGS =
NNG_SANFLAGS =
OPT ?= -O2
endif

CC ?= cc
PREFIX ?= /usr/local
PROTOC_C ?= protoc-c

# nng: Debian's 1.5.2 source package with Debian's patches and ours
# (third_party/nng/), built by scripts/build-nng.sh into each build
# directory with that build's sanitizers, and linked statically.
NNG_DIR = $(BUILD)/nng
NNG_LIB = $(NNG_DIR)/inst/lib/libnng.a
NNG_LIBS = $(NNG_LIB) -lmbedtls -lmbedx509 -lmbedcrypto

# Hidden by default: libhedui.so exports only what include/hedui/ marks
# HEDUI_EXPORT (tests/install/check-api.sh holds it to that).
CFLAGS_BASE = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Werror -g $(OPT) -fPIC -fvisibility=hidden $(SANFLAGS)
CPPFLAGS_BASE = -Iinclude -I$(NNG_DIR)/inst/include -I$(BUILD)/gen \
	$(PQ_CPPFLAGS)
# libpq: the PostgreSQL store (svc/heduid/store_pg*.c) and `hedui audit
# verify` of one; the client library (libhedui.so) does not need it.
PQ_CPPFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || \
	echo -I/usr/include/postgresql)

# lib/ in layers, each seeing its own headers and those below it: base
# (errors, logging, UTF-8, protobuf helpers), rpc (the RPC server and
# client, TLS), hedui (the domain: ID numbers, households, signatures, the
# audit chain), then two beside each other over hedui: policy (the rules
# engine, pure: facts in, verdict out; and apart from it the policy-file
# loader and Policy/Show's message) and api (the exported hedui_* wrappers).
# The RPC layer cannot include a domain header: it is not on its path.
# policy is a layer of its own, not part of hedui, because three programs
# use it (heduid evaluates, hedui-source enrolls its rosters through it,
# the CLI shows policy files) while the library's API does not: api does
# not see it, and libhedui.so carries it hidden (tests/install/check-api.sh).
#
# Locking and atomics, one way per layer, C11 <stdatomic.h> for atomics
# everywhere (no GCC __atomic builtins): base, hedui, policy, svc/, client/
# and the tests lock with pthreads; rpc locks with nng's nng_mtx and nng_cv,
# whose threads and callbacks run its code, and starts threads with
# nng_thread. The one exception is rpc_close.c's helper, which must be a
# detached pthread waited for on CLOCK_MONOTONIC: it is the thread a wedged
# nng_close may never give back (nng_thread cannot be detached) and nng
# 1.5.2's own clock and condition variables are CLOCK_REALTIME.
LIB_LAYERS = base rpc hedui policy api
INC_base = -Ilib/base
INC_rpc = $(INC_base) -Ilib/rpc
INC_hedui = $(INC_rpc) -Ilib/hedui
INC_policy = $(INC_hedui) -Ilib/policy
INC_api = $(INC_hedui)
# Programs see all of lib/, their own headers, and svc/common/ (what the
# services share: systemd notification) when they are services; no
# program sees another program's. Tests, benchmarks and fuzz targets see
# everything.
INC_prog = $(INC_policy)
INC_DIRS = $(INC_prog) -Isvc/common -Isvc/heduid -Isvc/source -Iclient \
	-Itests/support
$(BUILD)/obj/lib/base/%.o: INC_DIRS = $(INC_base)
$(BUILD)/obj/lib/rpc/%.o: INC_DIRS = $(INC_rpc)
$(BUILD)/obj/lib/hedui/%.o: INC_DIRS = $(INC_hedui)
$(BUILD)/obj/lib/policy/%.o: INC_DIRS = $(INC_policy)
$(BUILD)/obj/lib/api/%.o: INC_DIRS = $(INC_api)
$(BUILD)/obj/svc/common/%.o: INC_DIRS = $(INC_prog) -Isvc/common
$(BUILD)/obj/svc/heduid/%.o: INC_DIRS = $(INC_prog) -Isvc/common -Isvc/heduid
$(BUILD)/obj/svc/source/%.o: INC_DIRS = $(INC_prog) -Isvc/common -Isvc/source
$(BUILD)/obj/client/%.o: INC_DIRS = $(INC_prog) -Iclient
LDLIBS_BASE = $(NNG_LIBS) -lprotobuf-c -lssl -lcrypto -lsqlite3 -lpq -ljansson \
	-linih -lpthread -lm
# Programs (and the tests and fuzzers that link their modules) also tell
# systemd when they are ready (svc/heduid/svc_notify.h); the library does
# not.
LDLIBS_PROG = $(LDLIBS_BASE) -lsystemd
ALL_CFLAGS = $(CFLAGS_BASE) $(CPPFLAGS_BASE) $(INC_DIRS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

PROTOS := $(wildcard proto/hedui/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

LIB_SRCS := $(foreach l,$(LIB_LAYERS),$(wildcard lib/$(l)/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) \
	$(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))

# Each program's main.c stays out of its archive so that tests can link the
# rest of the program's modules.
HEDUID_SRCS := $(filter-out svc/heduid/main.c,$(wildcard svc/heduid/*.c))
SOURCE_SRCS := $(filter-out svc/source/main.c,$(wildcard svc/source/*.c))
CLIENT_SRCS := $(filter-out client/main.c,$(wildcard client/*.c))
SVC_SRCS := $(wildcard svc/common/*.c)
HEDUID_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(HEDUID_SRCS))
SOURCE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SOURCE_SRCS))
CLIENT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLIENT_SRCS))
SVC_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SVC_SRCS))

LIBA = $(BUILD)/libhedui.a
LIBSO = $(BUILD)/libhedui.so
HEDUIDA = $(BUILD)/libheduid.a
SOURCEA = $(BUILD)/libsource.a
CLIENTA = $(BUILD)/libclient.a
SVCA = $(BUILD)/libsvc.a
PROGS = $(BUILD)/bin/heduid $(BUILD)/bin/hedui-source $(BUILD)/bin/hedui
# The public API (docs/API.md): what make install puts in include/hedui/.
# Its major version is the shared library's: raise both when a public
# type or function changes incompatibly.
PUBLIC_HEADERS := $(wildcard include/hedui/*.h)
SONAME_MAJOR = 2

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(INTEG_SRCS))
TEST_BINS := $(UNIT_BINS) $(INTEG_BINS)
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRCS))
BENCH_BIN = $(BUILD)/bin/hedui-bench
ATTACK_BIN = $(BUILD)/bin/hedui-attack
# A synthetic store of millions of reports: statistics and retention
# timings (docs/PERFORMANCE.md).
GENSTORE_BIN = $(BUILD)/bin/hedui-genstore
# Shell checks that build against or inspect the installed tree; the
# sanitizer build's library can't be loaded by an unsanitized program.
ifeq ($(SAN),1)
SCRIPT_TESTS := $(wildcard tests/certs/check-*.sh tests/systemd/check-*.sh)
else
SCRIPT_TESTS := $(wildcard tests/certs/check-*.sh tests/systemd/check-*.sh \
	tests/install/check-*.sh \
	tests/bench/check-*.sh)
endif
# The documentation's links resolve inside the repository, and every
# source file carries its SPDX line (both builds: a second each).
SCRIPT_TESTS += $(wildcard tests/docs/check-*.sh) scripts/spdx-check.sh

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60
# The normal check also runs each fuzz target briefly (tests/fuzz/
# check-fuzz.sh), so it builds them first; the interop checks run against
# whichever heduid this build made.
INTEROP_TESTS := $(wildcard tests/interop/check-*.sh)
ifeq ($(SAN)$(FUZZ),00)
SCRIPT_TESTS += $(wildcard tests/fuzz/check-*.sh)
CHECK_FUZZ = fuzz-build-sub
endif
SCRIPT_TESTS += $(INTEROP_TESTS)

CERTS = $(BUILD)/certs

.PHONY: all check test unit integration certs demo install clean fuzz \
	fuzz-long fuzz-build fuzz-build-sub bench bench-engines attack format \
	spdx
.SECONDARY:

all: $(PROGS) $(LIBSO) $(TEST_BINS) $(BENCH_BIN) $(ATTACK_BIN) $(GENSTORE_BIN)

# --- generated protobuf code --------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --proto_path=proto --c_out=$(BUILD)/gen $<

$(NNG_LIB): scripts/build-nng.sh third_party/nng/SHA256SUMS \
		$(wildcard third_party/nng/patches/*)
	sh scripts/build-nng.sh $(NNG_DIR) "$(CC)" "-g -O2 $(NNG_SANFLAGS)"

# Every object may include any generated header, and nng's.
$(BUILD)/obj/%.o: %.c $(GEN_H) | $(NNG_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_H) | $(NNG_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Werror,$(ALL_CFLAGS)) -c -o $@ $<

# --- libraries and programs ----------------------------------------------
$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The shared library carries the nng it was built with, and exports none
# of it: a program may link another nng beside it. Of its own objects it
# exports the HEDUI_EXPORT functions only (-fvisibility=hidden).
$(LIBSO): $(LIB_OBJS) $(NNG_LIB)
	$(CC) -shared -Wl,-soname,libhedui.so.$(SONAME_MAJOR) \
		-Wl,--exclude-libs,libnng.a \
		$(ALL_LDFLAGS) -o $@ $(LIB_OBJS) $(filter-out -lpq,$(LDLIBS_BASE))

$(HEDUIDA): $(HEDUID_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(SOURCEA): $(SOURCE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(CLIENTA): $(CLIENT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(SVCA): $(SVC_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/heduid: $(BUILD)/obj/svc/heduid/main.o $(HEDUIDA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG)
# The generator's rosters (gen --roster) put each household's facts at
# enrollment through the rules engine (lib/policy/), as heduid does.
$(BUILD)/bin/hedui-source: $(BUILD)/obj/svc/source/main.o $(SOURCEA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG)
# The CLI reads policy files with the loader heduid uses (lib/policy/,
# hedui policy show --file).
$(BUILD)/bin/hedui: $(BUILD)/obj/client/main.o $(CLIENTA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG)

$(BENCH_BIN): $(BENCH_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG)

$(GENSTORE_BIN): $(BUILD)/obj/tests/bench/genstore/genstore.o $(HEDUIDA) \
		$(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_BASE)

# The full-scale attack of docs/ATTACKS.md (make attack): the tests'
# raw clients, at scale.
$(ATTACK_BIN): $(BUILD)/obj/tests/attack/attack_main.o $(TEST_SUPPORT_OBJS) \
		$(SOURCEA) $(CLIENTA) $(HEDUIDA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG) -lcmocka

# --- tests ---------------------------------------------------------------
# Archives after those that use them.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJS) \
		$(SOURCEA) $(CLIENTA) $(HEDUIDA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG) -lcmocka
# Fails OpenSSL's random bytes on demand (tests/unit/test_report_id.c).
$(BUILD)/tests/test_report_id: private ALL_LDFLAGS += -Wl,--wrap=RAND_bytes
$(BUILD)/tests/%: $(BUILD)/obj/tests/integration/%.o $(TEST_SUPPORT_OBJS) \
		$(SOURCEA) $(CLIENTA) $(HEDUIDA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_PROG) -lcmocka

$(CERTS)/.done: certs/make-dev-pki.sh
	sh certs/make-dev-pki.sh $(CERTS)
	@touch $@
certs: $(CERTS)/.done

# Test programs find the binaries and certificates through these.
TEST_ENV = HEDUI_BIN=$(abspath $(BUILD)/bin) HEDUI_CERTS=$(abspath $(CERTS)) \
	HEDUI_SRC=$(abspath .) HEDUI_BUILD=$(abspath $(BUILD))

check: all certs $(CHECK_FUZZ)
	@$(TEST_ENV) sh tests/run-tests.sh $(TEST_BINS) $(SCRIPT_TESTS)

# The README's test command: normal build, then ASan + UBSan.
test:
	$(MAKE) check
	$(MAKE) SAN=1 check

unit: $(UNIT_BINS)
	@$(TEST_ENV) sh tests/run-tests.sh $(UNIT_BINS)

integration: $(PROGS) $(INTEG_BINS) certs
	@$(TEST_ENV) sh tests/run-tests.sh $(INTEG_BINS)

demo: $(PROGS) certs
	@$(TEST_ENV) sh tests/demo.sh

# --- fuzzing -------------------------------------------------------------
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(SOURCEA) $(CLIENTA) \
		$(HEDUIDA) $(SVCA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS_PROG)

ifeq ($(FUZZ),1)
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@FUZZ_BIN=$(abspath $(BUILD)/fuzz) sh tests/fuzz/run-fuzz.sh 5
fuzz-long: fuzz-build
	@FUZZ_BIN=$(abspath $(BUILD)/fuzz) sh tests/fuzz/run-fuzz.sh \
		$(FUZZ_SECONDS)
else
# Spelled out: a BUILD or CC given for the normal build must not reach the
# fuzz build (check-fuzz.sh looks in build-fuzz/).
fuzz fuzz-long fuzz-build:
	$(MAKE) FUZZ=1 SAN=0 BUILD=build-fuzz CC=clang $@
endif
fuzz-build-sub:
	@$(MAKE) --no-print-directory FUZZ=1 SAN=0 BUILD=build-fuzz CC=clang \
		fuzz-build

# A benchmark, not a test: its numbers depend on the machine. Settings
# through the environment (BENCH_DURATION, BENCH_BIG=0 to skip the
# million-person population, ...): see tests/bench/run-bench.sh.
bench: $(PROGS) $(BENCH_BIN) certs
	@$(TEST_ENV) sh tests/bench/run-bench.sh

bench-engines: $(PROGS) $(BENCH_BIN) certs
	@$(TEST_ENV) BENCH_PARTS=engines sh tests/bench/run-bench.sh

# Minutes of idle floods and burst-and-reset clients against heduid, with
# its descriptors, memory and a real client's latency (docs/ATTACKS.md).
# ATTACK_SECONDS (300), ATTACK_IDLE (20000), ATTACK_BURST_THREADS (4).
attack: $(PROGS) $(ATTACK_BIN) certs
	@$(TEST_ENV) sh tests/attack/run-attack.sh

# --- install -------------------------------------------------------------
# The installed static library holds nng's objects too (an integrator
# links it with pkg-config's --static flags and nothing of nng's own).
# Only include/hedui/ is installed: no internal header, no generated
# protobuf-c header (integrators generate their own from the .proto files,
# docs/API.md), no nng header (no public type is nng's).
install: $(PROGS) $(LIBSO) $(LIBA)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/hedui \
		$(DESTDIR)$(PREFIX)/share/hedui/proto/hedui/v1
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	rm -f $(BUILD)/libhedui-full.a
	printf 'create $(BUILD)/libhedui-full.a\naddlib $(LIBA)\naddlib $(NNG_LIB)\nsave\nend\n' | ar -M
	install -m 644 $(BUILD)/libhedui-full.a $(DESTDIR)$(PREFIX)/lib/libhedui.a
	install -m 755 $(LIBSO) \
		$(DESTDIR)$(PREFIX)/lib/libhedui.so.$(SONAME_MAJOR)
	ln -sf libhedui.so.$(SONAME_MAJOR) $(DESTDIR)$(PREFIX)/lib/libhedui.so
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/hedui/
	install -m 644 $(PROTOS) $(DESTDIR)$(PREFIX)/share/hedui/proto/hedui/v1/
	install -d $(DESTDIR)$(PREFIX)/share/doc/hedui
	install -m 644 LICENSE docs/API.md $(DESTDIR)$(PREFIX)/share/doc/hedui/
	sed -e 's|@PREFIX@|$(PREFIX)|g' lib/hedui.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/hedui.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Adds the SPDX line (LICENSE) to every source file that lacks it, e.g.
# after a merge brought new files; make check fails until it is done.
spdx:
	sh scripts/spdx-check.sh --fix

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
