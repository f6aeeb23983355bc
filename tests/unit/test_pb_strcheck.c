/* SPDX-License-Identifier: MIT */
/*
 * pb_strcheck: string fields read from the wire, where protobuf-c would
 * cut them at a NUL. Messages are packed with a '#' in place of the byte
 * under test, which is then put into the packed bytes.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/rpc.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "pb_strcheck.h"

typedef struct packed {
	uint8_t buf[4096];
	size_t len;
} packed;

/* Replaces the first '#' after the first occurrence of marker. */
static void poke(packed *p, const char *marker, uint8_t byte)
{
	uint8_t *at = memmem(p->buf, p->len, marker, strlen(marker));
	assert_non_null(at);
	uint8_t *hash = memchr(at, '#', p->len - (size_t)(at - p->buf));
	assert_non_null(hash);
	*hash = byte;
}

typedef struct thh {
	Hedui__V1__Household h;
	Hedui__V1__Member m[3], *mp[3];
} thh;

static void hh_pack(packed *p, const char *name1, const char *id2)
{
	thh t;
	hedui__v1__household__init(&t.h);
	t.h.case_id = "case-1";
	t.h.region_code = "330106";
	t.h.area = "urban";
	t.h.program = "dibao";
	t.h.members = t.mp;
	t.h.n_members = 3;
	static const char *const ids[3] = {
	    "330106197803150013", NULL, "33010620120509003X"};
	for (int i = 0; i < 3; i++) {
		hedui__v1__member__init(&t.m[i]);
		t.m[i].id_number = (char *)(i == 1 ? id2 : ids[i]);
		t.m[i].name = (char *)(i == 1 ? name1 : "张三");
		t.m[i].relation = i == 0 ? "applicant" : "child";
		t.m[i].consent_ref = "SQ-1";
		t.mp[i] = &t.m[i];
	}
	assert_true(
	    hedui__v1__household__get_packed_size(&t.h) < sizeof p->buf);
	p->len = hedui__v1__household__pack(&t.h, p->buf);
}

static bool check(const ProtobufCMessageDescriptor *d, const packed *p,
    pb_strcheck_problem *prob)
{
	return pb_strcheck_message(d, p->buf, p->len, prob);
}

static void clean_household_passes(void **state)
{
	(void)state;
	packed p;
	pb_strcheck_problem prob;
	hh_pack(&p, "李四", "330106198003151231");
	assert_true(check(&hedui__v1__household__descriptor, &p, &prob));
	assert_string_equal(prob.field, "");
	/* The empty message too. */
	assert_true(pb_strcheck_message(
	    &hedui__v1__household__descriptor, NULL, 0, &prob));
}

/* The issue's example: protobuf-c decodes the ID number as its valid
 * first 18 characters; the walker sees the rest. */
static void nul_in_nested_id_number(void **state)
{
	(void)state;
	packed p;
	pb_strcheck_problem prob;
	hh_pack(&p, "李四", "330106197803150013#junk");
	poke(&p, "330106197803150013#", '\0');
	Hedui__V1__Household *h =
	    hedui__v1__household__unpack(NULL, p.len, p.buf);
	assert_non_null(h);
	assert_string_equal(h->members[1]->id_number, "330106197803150013");
	hedui__v1__household__free_unpacked(h, NULL);
	assert_false(check(&hedui__v1__household__descriptor, &p, &prob));
	assert_string_equal(prob.field, "members[1].id_number");
	assert_string_equal(prob.reason, "holds a NUL byte");
}

static void nul_in_name_and_bad_utf8(void **state)
{
	(void)state;
	packed p;
	pb_strcheck_problem prob;
	hh_pack(&p, "ab#cd", "330106198003151231");
	poke(&p, "ab#", '\0');
	assert_false(check(&hedui__v1__household__descriptor, &p, &prob));
	assert_string_equal(prob.field, "members[1].name");
	hh_pack(&p, "ab#cd", "330106198003151231");
	poke(&p, "ab#", 0xff);
	assert_false(check(&hedui__v1__household__descriptor, &p, &prob));
	assert_string_equal(prob.field, "members[1].name");
	assert_string_equal(prob.reason, "is not valid UTF-8");
	/* A NUL at the very end is a NUL too. */
	hh_pack(&p, "ab#", "330106198003151231");
	poke(&p, "ab#", '\0');
	assert_false(check(&hedui__v1__household__descriptor, &p, &prob));
}

/* protobuf-c keeps the last occurrence of a singular field: a bad first
 * one must not hide behind a good second one. */
static void every_occurrence_is_checked(void **state)
{
	(void)state;
	packed p;
	pb_strcheck_problem prob;
	hh_pack(&p, "李四", "330106198003151231");
	uint8_t first[] = {0x0a, 0x03, 'a', 0x00, 'b'}; /* case_id "a\0b" */
	memmove(p.buf + sizeof first, p.buf, p.len);
	memcpy(p.buf, first, sizeof first);
	p.len += sizeof first;
	Hedui__V1__Household *h =
	    hedui__v1__household__unpack(NULL, p.len, p.buf);
	assert_non_null(h);
	assert_string_equal(h->case_id, "case-1");
	hedui__v1__household__free_unpacked(h, NULL);
	assert_false(check(&hedui__v1__household__descriptor, &p, &prob));
	assert_string_equal(prob.field, "case_id");
}

static void repeated_strings_and_envelope(void **state)
{
	(void)state;
	packed p;
	pb_strcheck_problem prob;
	Hedui__V1__LookupRequest lr = HEDUI__V1__LOOKUP_REQUEST__INIT;
	char *ids[3] = {
	    "330106198003151231", "330106198207081247", "33010619800315123#"};
	lr.id_numbers = ids;
	lr.n_id_numbers = 3;
	lr.case_ref = "c-1";
	p.len = hedui__v1__lookup_request__pack(&lr, p.buf);
	assert_true(check(&hedui__v1__lookup_request__descriptor, &p, &prob));
	poke(&p, "33010619800315123#", '\0');
	assert_false(check(&hedui__v1__lookup_request__descriptor, &p, &prob));
	assert_string_equal(prob.field, "id_numbers[2]");

	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Metadata md[2] = {
	    HEDUI__V1__METADATA__INIT, HEDUI__V1__METADATA__INIT};
	Hedui__V1__Metadata *mdp[2] = {&md[0], &md[1]};
	md[0].key = "trace-id";
	md[0].value = "t";
	md[1].key = "operator-id";
	md[1].value = "op#7";
	env.method = "hedui.v1.Health/Check";
	env.request_id = "r-1";
	env.metadata = mdp;
	env.n_metadata = 2;
	/* Bytes fields may hold anything. */
	env.payload.data = (uint8_t *)"\0\xff#";
	env.payload.len = 3;
	p.len = hedui__v1__rpc_request__pack(&env, p.buf);
	assert_true(check(&hedui__v1__rpc_request__descriptor, &p, &prob));
	poke(&p, "op#", '\0');
	assert_false(check(&hedui__v1__rpc_request__descriptor, &p, &prob));
	assert_string_equal(prob.field, "metadata[1].value");
	env.n_metadata = 0;
	env.request_id = "330106197803150013#x";
	p.len = hedui__v1__rpc_request__pack(&env, p.buf);
	poke(&p, "0013#", '\0');
	assert_false(check(&hedui__v1__rpc_request__descriptor, &p, &prob));
	assert_string_equal(prob.field, "request_id");
}

static void unknown_fields_are_skipped(void **state)
{
	(void)state;
	pb_strcheck_problem prob;
	/* Field 99 (unknown to Household), length-delimited, with a NUL:
	 * nobody reads it as a string. Then a fixed64 and a fixed32. */
	const uint8_t buf[] = {0x9a, 0x06, 0x02, 'a', 0x00, 0x99, 0x06, 1, 2,
	    3, 4, 5, 6, 7, 8, 0x9d, 0x06, 1, 2, 3, 4, 0x98, 0x06, 0x96, 0x01};
	assert_true(pb_strcheck_message(
	    &hedui__v1__household__descriptor, buf, sizeof buf, &prob));
}

static void malformed_wire_bytes(void **state)
{
	(void)state;
	pb_strcheck_problem prob;
	const ProtobufCMessageDescriptor *d =
	    &hedui__v1__household__descriptor;
	static const struct {
		const char *what;
		uint8_t b[12];
		size_t n;
	} bad[] = {
	    {"length past the end", {0x0a, 0x10, 'h', 'e'}, 4},
	    {"varint cut short", {0x40, 0x80}, 2},
	    {"eleven-byte varint",
	        {0x40, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	            0x80, 0x01},
	        12},
	    {"field number 0", {0x02, 0x00}, 2},
	    {"start group", {0x0b, 0x0c}, 2},
	    {"wire type 7", {0x0f}, 1},
	    {"fixed64 cut short", {0x09, 1, 2, 3}, 4},
	    {"nested member cut", {0x4a, 0x04, 0x0a, 0x05, 'a', 'b'}, 6},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (pb_strcheck_message(d, bad[i].b, bad[i].n, &prob))
			fail_msg("accepted: %s", bad[i].what);
		assert_string_equal(prob.reason, "does not decode");
	}
}

/* A message type that contains itself, as ours do not: the depth bound. */
extern const ProtobufCMessageDescriptor deep_descriptor;
static const ProtobufCFieldDescriptor deep_fields[2] = {
    {"child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, 0,
        &deep_descriptor, NULL, 0, 0, NULL, NULL},
    {"text", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, 0, NULL,
        NULL, 0, 0, NULL, NULL},
};
static const unsigned deep_by_name[] = {0, 1};
static const ProtobufCIntRange deep_ranges[2] = {{1, 0}, {0, 2}};
const ProtobufCMessageDescriptor deep_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "t.Deep", "Deep", "Deep", "t",
    sizeof(ProtobufCMessage), 2, deep_fields, deep_by_name, 1, deep_ranges,
    NULL, NULL, NULL, NULL};

/* levels nested "child" messages around a "text" of 1 byte. */
static size_t deep_pack(uint8_t *out, int levels, uint8_t text)
{
	uint8_t tmp[256];
	size_t n = 0;
	tmp[n++] = 0x12;
	tmp[n++] = 1;
	tmp[n++] = text;
	for (int i = 0; i < levels; i++) {
		memmove(tmp + 2, tmp, n);
		tmp[0] = 0x0a;
		tmp[1] = (uint8_t)n;
		n += 2;
	}
	memcpy(out, tmp, n);
	return n;
}

static void depth_is_bounded(void **state)
{
	(void)state;
	pb_strcheck_problem prob;
	uint8_t buf[256];
	size_t n = deep_pack(buf, PB_STRCHECK_MAX_DEPTH - 1, 'a');
	assert_true(pb_strcheck_message(&deep_descriptor, buf, n, &prob));
	n = deep_pack(buf, PB_STRCHECK_MAX_DEPTH - 1, 0);
	assert_false(pb_strcheck_message(&deep_descriptor, buf, n, &prob));
	assert_string_equal(prob.reason, "holds a NUL byte");
	assert_non_null(strstr(prob.field, "child.child.child"));
	n = deep_pack(buf, PB_STRCHECK_MAX_DEPTH, 'a');
	assert_false(pb_strcheck_message(&deep_descriptor, buf, n, &prob));
	assert_string_equal(prob.reason, "nests messages too deep");
	/* A long path is cut, never overflowing. */
	n = deep_pack(buf, 60, 'a');
	assert_false(pb_strcheck_message(&deep_descriptor, buf, n, &prob));
	assert_true(strlen(prob.field) < sizeof prob.field);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(clean_household_passes),
	    cmocka_unit_test(nul_in_nested_id_number),
	    cmocka_unit_test(nul_in_name_and_bad_utf8),
	    cmocka_unit_test(every_occurrence_is_checked),
	    cmocka_unit_test(repeated_strings_and_envelope),
	    cmocka_unit_test(unknown_fields_are_skipped),
	    cmocka_unit_test(malformed_wire_bytes),
	    cmocka_unit_test(depth_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
