/* SPDX-License-Identifier: MIT */
#include "tsource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/source.pb-c.h"

const char *tsource_fixtures(void)
{
	static char path[512];
	const char *src = getenv("HEDUI_SRC");
	snprintf(path, sizeof path, "%s/tests/fixtures/households.json",
	    src != NULL ? src : ".");
	return path;
}

tproc *tsource_start(const char *kind, const char *store_flag,
    const char *store, const char *const extra[], int *port)
{
	static char bin[512], url[64], certs[512], name[32];
	char *argv[64];
	int n = 0;
	*port = tport_free();
	snprintf(bin, sizeof bin, "%s", tbin("hedui-source"));
	snprintf(url, sizeof url, "%s", turl(*port));
	const char *d = getenv("HEDUI_CERTS");
	snprintf(certs, sizeof certs, "%s", d != NULL ? d : "build/certs");
	snprintf(name, sizeof name, "source-%s", kind);
	argv[n++] = bin;
	argv[n++] = "--kind";
	argv[n++] = (char *)kind;
	argv[n++] = "--listen";
	argv[n++] = url;
	argv[n++] = (char *)store_flag;
	argv[n++] = (char *)store;
	argv[n++] = "--certs";
	argv[n++] = certs;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	tproc *p = tproc_start(name, argv);
	if (p == NULL)
		return NULL;
	if (!tport_wait(*port, 5000)) {
		tproc_stop(p);
		return NULL;
	}
	return p;
}

rpc_client *tsource_client(int port)
{
	return tclient_ca(port, "heduid-sources", "source-ca");
}

const char *tsource_method(const char *kind)
{
	if (strcmp(kind, "bank") == 0)
		return "hedui.v1.BankSource/Lookup";
	if (strcmp(kind, "tax") == 0)
		return "hedui.v1.TaxSource/Lookup";
	if (strcmp(kind, "property") == 0)
		return "hedui.v1.PropertySource/Lookup";
	return NULL;
}

const ProtobufCMessageDescriptor *tsource_response_desc(const char *kind)
{
	if (strcmp(kind, "bank") == 0)
		return &hedui__v1__bank_lookup_response__descriptor;
	if (strcmp(kind, "tax") == 0)
		return &hedui__v1__tax_lookup_response__descriptor;
	return &hedui__v1__property_lookup_response__descriptor;
}

rpc_code tsource_lookup(rpc_client *c, const char *kind,
    const char *const *ids, size_t n, uint32_t deadline_ms,
    ProtobufCMessage **resp, rpc_status *st)
{
	Hedui__V1__LookupRequest req = HEDUI__V1__LOOKUP_REQUEST__INIT;
	req.id_numbers = (char **)ids;
	req.n_id_numbers = n;
	req.as_of = "2026-11-01";
	req.case_ref = "330106-2026-000123";
	rpc_call_opts o = {.deadline_ms = deadline_ms};
	*resp = NULL;
	return rpc_client_call(c, tsource_method(kind), &req.base,
	    tsource_response_desc(kind), resp, &o, st);
}
