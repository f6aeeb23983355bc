/* SPDX-License-Identifier: MIT */
/* Default parameters, their canonical text and the policy_version. */
#include "policy_internal.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define FIELD(type, member)                                                   \
	{                                                                     \
#member, POLICY_FIELD_##type, offsetof(policy_params, member) \
	}

const policy_field policy_fields[] = {
    FIELD(AREA, dibao_standard_fen),
    FIELD(INT, marginal_bps),
    FIELD(INT, financial_assets_months),
    FIELD(INT, max_residences),
    FIELD(BOOL, allow_non_residential),
    FIELD(INT, max_residential_area_per_capita_centi_m2),
    FIELD(KINDS, vehicle_exempt_kinds),
    FIELD(INT, vehicle_value_cap_fen),
    FIELD(INT, business_capital_cap_fen),
    FIELD(INT, employment_cost_bps),
    FIELD(INT, employment_cost_cap_fen),
    FIELD(INT, gradual_exit_months),
    FIELD(INT, tekun_bps),
    FIELD(AREA, disposable_income_monthly_fen),
    FIELD(INT, rigid_expense_share_bps),
};
const size_t policy_field_count =
    sizeof(policy_fields) / sizeof(policy_fields[0]);
/* A slot per field and area, and a bit of policy_set_info.named each. */
_Static_assert(
    sizeof(policy_fields) / sizeof(policy_fields[0]) * POLICY_AREA_COUNT <=
        POLICY_SLOT_MAX,
    "every slot has a bit");

#define ALL_KINDS ((1u << POLICY_VEHICLE_KIND_COUNT) - 1u)

void policy_params_defaults(policy_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dibao_standard_fen[POLICY_AREA_URBAN] = 100000;
	p->dibao_standard_fen[POLICY_AREA_RURAL] = 80000;
	p->marginal_bps = 15000;
	p->financial_assets_months = 24;
	p->max_residences = 1;
	p->allow_non_residential = false;
	p->max_residential_area_per_capita_centi_m2 = 0;
	p->vehicle_exempt_kinds =
	    POLICY_VEHICLE_BIT(POLICY_VEHICLE_MOTORCYCLE) |
	    POLICY_VEHICLE_BIT(POLICY_VEHICLE_ELECTRIC_BIKE) |
	    POLICY_VEHICLE_BIT(POLICY_VEHICLE_DISABILITY_MOBILITY);
	p->vehicle_value_cap_fen = 0;
	p->business_capital_cap_fen = 10000000;
	p->employment_cost_bps = 2000;
	p->employment_cost_cap_fen = 50000;
	p->gradual_exit_months = 6;
	p->tekun_bps = 13000;
	p->disposable_income_monthly_fen[POLICY_AREA_URBAN] = 400000;
	p->disposable_income_monthly_fen[POLICY_AREA_RURAL] = 200000;
	p->rigid_expense_share_bps = 5000;
}

bool policy_params_valid(const policy_params *p)
{
	const char *base = (const char *)p;
	for (size_t i = 0; i < policy_field_count; i++) {
		const policy_field *f = &policy_fields[i];
		int64_t v[POLICY_AREA_COUNT];
		switch (f->type) {
		case POLICY_FIELD_INT:
			memcpy(v, base + f->offset, sizeof(int64_t));
			if (v[0] < 0)
				return false;
			break;
		case POLICY_FIELD_AREA:
			memcpy(v, base + f->offset, sizeof(v));
			for (int a = 0; a < POLICY_AREA_COUNT; a++)
				if (v[a] < 0)
					return false;
			break;
		case POLICY_FIELD_KINDS:
			if (p->vehicle_exempt_kinds & ~ALL_KINDS)
				return false;
			break;
		case POLICY_FIELD_BOOL:
			break;
		}
	}
	return true;
}

size_t policy_params_texts(
    const policy_params *p, policy_param_text out[POLICY_SLOT_MAX])
{
	const char *base = (const char *)p;
	size_t n = 0;

	for (size_t i = 0; i < policy_field_count; i++) {
		const policy_field *f = &policy_fields[i];
		int64_t v[POLICY_AREA_COUNT];
		policy_param_text *t = &out[n];
		switch (f->type) {
		case POLICY_FIELD_INT:
			memcpy(v, base + f->offset, sizeof(int64_t));
			t->slot = POLICY_SLOT(i, 0);
			snprintf(t->name, sizeof t->name, "%s", f->name);
			snprintf(t->value, sizeof t->value, "%" PRId64, v[0]);
			n++;
			break;
		case POLICY_FIELD_AREA:
			memcpy(v, base + f->offset, sizeof(v));
			for (int a = 0; a < POLICY_AREA_COUNT; a++) {
				t = &out[n++];
				t->slot = POLICY_SLOT(i, a);
				snprintf(t->name, sizeof t->name, "%s.%s",
				    f->name, policy_area_name((policy_area)a));
				snprintf(t->value, sizeof t->value, "%" PRId64,
				    v[a]);
			}
			break;
		case POLICY_FIELD_BOOL:
			t->slot = POLICY_SLOT(i, 0);
			snprintf(t->name, sizeof t->name, "%s", f->name);
			snprintf(t->value, sizeof t->value, "%s",
			    p->allow_non_residential ? "true" : "false");
			n++;
			break;
		case POLICY_FIELD_KINDS: {
			size_t at = 0;
			t->slot = POLICY_SLOT(i, 0);
			snprintf(t->name, sizeof t->name, "%s", f->name);
			t->value[0] = '\0';
			/* At most 68 characters: every kind fits. */
			for (int k = 0; k < POLICY_VEHICLE_KIND_COUNT; k++) {
				if (!(p->vehicle_exempt_kinds &
				        POLICY_VEHICLE_BIT(k)))
					continue;
				int w = snprintf(t->value + at,
				    sizeof t->value - at, "%s%s",
				    at > 0 ? "," : "",
				    policy_vehicle_kind_name(
				        (policy_vehicle_kind)k));
				if (w > 0 && (size_t)w < sizeof t->value - at)
					at += (size_t)w;
			}
			n++;
			break;
		}
		}
	}
	return n;
}

size_t policy_params_canonical(const policy_params *p, char *buf, size_t len)
{
	static const char header[] = "hedui-policy-params 1\n";
	policy_param_text t[POLICY_SLOT_MAX];
	size_t n = policy_params_texts(p, t), at = 0;

	if (buf == NULL)
		len = 0;
	if (len > 0)
		buf[0] = '\0';
	/* Like snprintf: what fits, terminated; the length it needs. */
	int w = snprintf(buf, len, "%s", header);
	at = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		w = snprintf(at < len ? buf + at : NULL,
		    at < len ? len - at : 0, "%s=%s\n", t[i].name, t[i].value);
		if (w > 0)
			at += (size_t)w;
	}
	return at;
}

hd_err policy_params_version(
    const policy_params *p, char version[POLICY_DIGEST_SIZE])
{
	char text[2048];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	size_t n = policy_params_canonical(p, text, sizeof(text));
	if (n >= sizeof(text))
		return HD_EINTERNAL;
	if (EVP_Digest(text, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 8) {
		log_error("policy.version", "reason=sha256_failed");
		return HD_ECRYPTO;
	}
	memcpy(version, "pv1-", 4);
	for (int i = 0; i < 8; i++)
		snprintf(version + 4 + 2 * i, 3, "%02x", md[i]);
	return HD_OK;
}
