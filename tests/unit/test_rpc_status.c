/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <nng/nng.h>

#include "hedui/v1/rpc.pb-c.h"
#include "rpc_status.h"

/* The numbers must be gRPC's, and the enum in rpc.proto must agree. */
static void codes_match_grpc_and_proto(void **state)
{
	(void)state;
	static const struct {
		int code;
		const char *name;
		int proto;
	} table[] = {
	    {0, "OK", HEDUI__V1__STATUS_CODE__OK},
	    {1, "CANCELLED", HEDUI__V1__STATUS_CODE__CANCELLED},
	    {2, "UNKNOWN", HEDUI__V1__STATUS_CODE__UNKNOWN},
	    {3, "INVALID_ARGUMENT", HEDUI__V1__STATUS_CODE__INVALID_ARGUMENT},
	    {4, "DEADLINE_EXCEEDED",
	        HEDUI__V1__STATUS_CODE__DEADLINE_EXCEEDED},
	    {5, "NOT_FOUND", HEDUI__V1__STATUS_CODE__NOT_FOUND},
	    {6, "ALREADY_EXISTS", HEDUI__V1__STATUS_CODE__ALREADY_EXISTS},
	    {7, "PERMISSION_DENIED",
	        HEDUI__V1__STATUS_CODE__PERMISSION_DENIED},
	    {8, "RESOURCE_EXHAUSTED",
	        HEDUI__V1__STATUS_CODE__RESOURCE_EXHAUSTED},
	    {9, "FAILED_PRECONDITION",
	        HEDUI__V1__STATUS_CODE__FAILED_PRECONDITION},
	    {10, "ABORTED", HEDUI__V1__STATUS_CODE__ABORTED},
	    {11, "OUT_OF_RANGE", HEDUI__V1__STATUS_CODE__OUT_OF_RANGE},
	    {12, "UNIMPLEMENTED", HEDUI__V1__STATUS_CODE__UNIMPLEMENTED},
	    {13, "INTERNAL", HEDUI__V1__STATUS_CODE__INTERNAL},
	    {14, "UNAVAILABLE", HEDUI__V1__STATUS_CODE__UNAVAILABLE},
	    {15, "DATA_LOSS", HEDUI__V1__STATUS_CODE__DATA_LOSS},
	    {16, "UNAUTHENTICATED", HEDUI__V1__STATUS_CODE__UNAUTHENTICATED},
	};
	assert_int_equal(sizeof table / sizeof table[0], RPC_CODE_COUNT);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		assert_int_equal(table[i].code, table[i].proto);
		assert_string_equal(
		    rpc_code_name(table[i].code), table[i].name);
		rpc_code parsed;
		assert_true(rpc_code_parse(table[i].name, &parsed));
		assert_int_equal(parsed, table[i].code);
		assert_non_null(rpc_code_meaning(table[i].code));
	}
}

static void out_of_range_is_unknown(void **state)
{
	(void)state;
	assert_string_equal(rpc_code_name(17), "UNKNOWN");
	assert_string_equal(rpc_code_name(-1), "UNKNOWN");
	rpc_code c;
	assert_false(rpc_code_parse("NOPE", &c));
	assert_false(rpc_code_parse(NULL, &c));
	assert_string_equal(
	    rpc_code_meaning(99), rpc_code_meaning(RPC_UNKNOWN));
}

static void errors_map_to_statuses(void **state)
{
	(void)state;
	assert_int_equal(rpc_code_from_err(HD_OK), RPC_OK);
	assert_int_equal(rpc_code_from_err(HD_EINVAL), RPC_INVALID_ARGUMENT);
	assert_int_equal(rpc_code_from_err(HD_EDECODE), RPC_INVALID_ARGUMENT);
	assert_int_equal(
	    rpc_code_from_err(HD_ETOOBIG), RPC_RESOURCE_EXHAUSTED);
	assert_int_equal(rpc_code_from_err(HD_EBUSY), RPC_RESOURCE_EXHAUSTED);
	assert_int_equal(
	    rpc_code_from_err(HD_ETIMEDOUT), RPC_DEADLINE_EXCEEDED);
	assert_int_equal(rpc_code_from_err(HD_EUNAVAIL), RPC_UNAVAILABLE);
	assert_int_equal(rpc_code_from_err(HD_ETLS), RPC_UNAVAILABLE);
	assert_int_equal(rpc_code_from_err(HD_EAUTH), RPC_UNAUTHENTICATED);
	assert_int_equal(rpc_code_from_err(HD_EPERM), RPC_PERMISSION_DENIED);
	assert_int_equal(rpc_code_from_err(HD_ENOTFOUND), RPC_NOT_FOUND);
	assert_int_equal(rpc_code_from_err(HD_EEXIST), RPC_ALREADY_EXISTS);
	assert_int_equal(rpc_code_from_err(HD_ENOTSUP), RPC_UNIMPLEMENTED);
	assert_int_equal(rpc_code_from_err(HD_EINTERNAL), RPC_INTERNAL);
	assert_int_equal(rpc_code_from_err((hd_err)999), RPC_INTERNAL);
}

static void every_error_has_text(void **state)
{
	(void)state;
	for (int e = 0; e < HD_ERR_COUNT; e++) {
		assert_non_null(hd_strerror((hd_err)e));
		assert_true(strlen(hd_strerror((hd_err)e)) > 0);
	}
	assert_string_equal(
	    hd_strerror((hd_err)HD_ERR_COUNT), "unknown error");
}

static void nng_errors_map(void **state)
{
	(void)state;
	assert_int_equal(hd_err_from_nng(0), HD_OK);
	assert_int_equal(hd_err_from_nng(NNG_ETIMEDOUT), HD_ETIMEDOUT);
	assert_int_equal(hd_err_from_nng(NNG_ECONNREFUSED), HD_EUNAVAIL);
	assert_int_equal(hd_err_from_nng(NNG_EMSGSIZE), HD_ETOOBIG);
	assert_int_equal(hd_err_from_nng(NNG_EPEERAUTH), HD_ETLS);
	assert_int_equal(hd_err_from_nng(NNG_ECRYPTO), HD_ETLS);
	assert_int_equal(hd_err_from_nng(NNG_ENOMEM), HD_ENOMEM);
}

static void status_set_formats(void **state)
{
	(void)state;
	rpc_status st;
	st.local = true;
	rpc_status_set(&st, RPC_NOT_FOUND, "report %d", 42);
	assert_int_equal(st.code, RPC_NOT_FOUND);
	assert_false(st.local);
	assert_string_equal(st.message, "report 42");
	rpc_status_set(NULL, RPC_OK, "ignored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(codes_match_grpc_and_proto),
	    cmocka_unit_test(out_of_range_is_unknown),
	    cmocka_unit_test(errors_map_to_statuses),
	    cmocka_unit_test(every_error_has_text),
	    cmocka_unit_test(nng_errors_map),
	    cmocka_unit_test(status_set_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
