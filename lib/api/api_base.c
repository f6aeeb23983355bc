/* SPDX-License-Identifier: MIT */
/*
 * api_base: the public names (include/hedui/) of errors, status codes,
 * logging and the TLS engine, as thin wrappers over the tree's own.
 *
 * Wrappers rather than renames: the tree keeps its module names (hd_err,
 * rpc_status, log, tls_setup) and the public prefix costs one call.
 */
#include <hedui/err.h>
#include <hedui/log.h>
#include <hedui/status.h>
#include <hedui/tls.h>

#include "hd_err.h"
#include "log.h"
#include "rpc_status.h"
#include "tls_setup.h"

const char *hedui_strerror(hedui_err err)
{
	return hd_strerror(err);
}

const char *hedui_code_name(int code)
{
	return rpc_code_name(code);
}

bool hedui_code_parse(const char *name, hedui_code *out)
{
	return rpc_code_parse(name, out);
}

const char *hedui_code_meaning(int code)
{
	return rpc_code_meaning(code);
}

void hedui_log_set_program(const char *prog)
{
	log_set_program(prog);
}

void hedui_log_set_level(hedui_log_level level)
{
	log_set_level(level);
}

hedui_err hedui_tls_setup_engine(const char *which)
{
	return tls_setup_engine(which);
}

const char *hedui_tls_engine_name(void)
{
	return tls_setup_engine_name();
}

const char *hedui_tls_engine_description(void)
{
	return tls_setup_engine_description();
}
