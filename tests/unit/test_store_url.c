/* SPDX-License-Identifier: MIT */
/*
 * store_url: which paths name a PostgreSQL store, and what of them may be
 * logged (never a password).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "store_url.h"

static void kinds(void **state)
{
	(void)state;
	assert_int_equal(store_url_kind_of("heduid.db"), STORE_URL_SQLITE);
	assert_int_equal(
	    store_url_kind_of("/var/lib/hedui/x.db"), STORE_URL_SQLITE);
	assert_int_equal(store_url_kind_of("./a:b//c"), STORE_URL_SQLITE);
	assert_int_equal(
	    store_url_kind_of("postgresql://db/hedui"), STORE_URL_POSTGRESQL);
	assert_int_equal(
	    store_url_kind_of("POSTGRES://db/hedui"), STORE_URL_POSTGRESQL);
	assert_int_equal(
	    store_url_kind_of("mysql://db/hedui"), STORE_URL_UNKNOWN);
	assert_int_equal(store_url_kind_of("file://x.db"), STORE_URL_UNKNOWN);
}

static void passwords_are_masked(void **state)
{
	(void)state;
	char out[256];
	store_url_mask(
	    "postgresql://hedui:pw@db1:5432/hedui", out, sizeof out);
	assert_string_equal(out, "postgresql://hedui:***@db1:5432/hedui");
	store_url_mask("postgresql://hedui@db1/hedui?sslmode=verify-full"
	               "&PassWord=pw&connect_timeout=3",
	    out, sizeof out);
	assert_string_equal(out, "postgresql://hedui@db1/hedui?sslmode=verify-"
	                         "full&PassWord=***&connect_timeout=3");
	/* A '@' in the password itself (percent-encoding forgotten). */
	store_url_mask("postgres://u:p@ss@db1", out, sizeof out);
	assert_string_equal(out, "postgres://u:***@db1");
	store_url_mask("postgresql://db1", out, sizeof out);
	assert_string_equal(out, "postgresql://db1");
	store_url_mask("heduid.db", out, sizeof out);
	assert_string_equal(out, "heduid.db");
	/* Truncated, still without it. */
	store_url_mask("postgresql://u:secretpw@db1/x", out, 20);
	assert_null(strstr(out, "secret"));
}

/* libpq quotes a badly percent-encoded token of the URL, the password
 * included, in its error message. */
static void passwords_are_redacted_from_messages(void **state)
{
	(void)state;
	char msg[128] = "invalid percent-encoded token: \"bad%zzpw\"";
	store_url_redact(
	    "postgresql://u:bad%zzpw@127.0.0.1/x", msg, sizeof msg);
	assert_string_equal(msg, "invalid percent-encoded token: \"***\"");
	snprintf(msg, sizeof msg, "token \"se%%zzcret\", again se%%zzcret");
	store_url_redact(
	    "postgres://u@h/x?a=1&password=se%zzcret&b=2", msg, sizeof msg);
	assert_string_equal(msg, "token \"***\", again ***");
	snprintf(msg, sizeof msg, "no secret here");
	store_url_redact("postgresql://u@h/x", msg, sizeof msg);
	assert_string_equal(msg, "no secret here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kinds),
	    cmocka_unit_test(passwords_are_masked),
	    cmocka_unit_test(passwords_are_redacted_from_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
