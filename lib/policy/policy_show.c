/* SPDX-License-Identifier: MIT */
#include "policy_show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct show_set {
	Hedui__V1__PolicySet msg;
	char name[32], key[7], from[11], until[11], ends[11];
	char *names[POLICY_SLOT_MAX];
} show_set;

struct policy_show {
	Hedui__V1__ShowPolicyResponse msg;
	char region[7], as_of[11];
	char version[POLICY_VERSION_SIZE];
	policy_param_text texts[POLICY_SLOT_MAX];
	char sources[POLICY_SLOT_MAX][32];
	Hedui__V1__PolicyValue values[POLICY_SLOT_MAX];
	Hedui__V1__PolicyValue *value_ptrs[POLICY_SLOT_MAX];
	size_t n_sets;
	show_set *sets;
	Hedui__V1__PolicySet **set_ptrs;
};

/* "" for 0 (no date). */
static void show_date(idnum_date d, char out[11])
{
	unsigned u = (unsigned)d;
	if (d == 0)
		out[0] = '\0';
	else
		snprintf(out, 11, "%04u-%02u-%02u", (u / 10000) % 10000,
		    (u / 100) % 100, u % 100);
}

static bool same_set(const policy_set_info *a, const policy_set_info *b)
{
	return a->builtin == b->builtin && strcmp(a->key, b->key) == 0 &&
	       a->from == b->from;
}

static void show_set_fill(show_set *o, const policy_set_info *s,
    const policy_applied *a, const policy_param_text *texts, size_t n_texts)
{
	Hedui__V1__PolicySet *m = &o->msg;
	hedui__v1__policy_set__init(m);
	policy_set_name(s, o->name, sizeof o->name);
	memcpy(o->key, s->key, sizeof o->key);
	show_date(s->from, o->from);
	show_date(s->until, o->until);
	show_date(s->ends, o->ends);
	m->name = o->name;
	m->builtin = s->builtin;
	m->key = o->key;
	m->index = s->index;
	m->from = o->from;
	m->until = o->until;
	m->ends = o->ends;
	for (size_t k = 0; k < a->n; k++)
		m->in_force |= same_set(s, &a->sets[k]);
	/* The names of the canonical text, in its order. */
	for (size_t i = 0; i < n_texts; i++)
		if (s->named & (1u << texts[i].slot))
			o->names[m->n_names++] = (char *)texts[i].name;
	m->names = o->names;
}

hd_err policy_show_build(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_show **out)
{
	policy_params p;
	policy_applied a;

	*out = NULL;
	hd_err rv = policy_book_apply(book, region_code, as_of, &p, &a);
	if (rv != HD_OK)
		return rv;
	policy_show *s = calloc(1, sizeof *s);
	if (s == NULL)
		return HD_ENOMEM;
	Hedui__V1__ShowPolicyResponse *m = &s->msg;
	hedui__v1__show_policy_response__init(m);
	snprintf(s->region, sizeof s->region, "%s", region_code);
	show_date(as_of, s->as_of);
	memcpy(s->version, a.version, sizeof s->version);
	m->region_code = s->region;
	m->as_of = s->as_of;
	m->policy_version = s->version;
	m->file_sha256 = (char *)policy_book_file_sha256(book);

	size_t n = policy_params_texts(&p, s->texts);
	for (size_t i = 0; i < n; i++) {
		Hedui__V1__PolicyValue *v = &s->values[i];
		int o = a.origin[s->texts[i].slot];
		hedui__v1__policy_value__init(v);
		if (o < 0)
			snprintf(
			    s->sources[i], sizeof s->sources[i], "default");
		else
			policy_set_name(
			    &a.sets[o], s->sources[i], sizeof s->sources[i]);
		v->name = s->texts[i].name;
		v->value = s->texts[i].value;
		v->source = s->sources[i];
		s->value_ptrs[i] = v;
	}
	m->values = s->value_ptrs;
	m->n_values = n;

	size_t total = policy_book_sets(book, region_code, NULL, 0);
	policy_set_info *infos = calloc(total + 1, sizeof *infos);
	s->sets = calloc(total + 1, sizeof *s->sets);
	s->set_ptrs = calloc(total + 1, sizeof *s->set_ptrs);
	if (infos == NULL || s->sets == NULL || s->set_ptrs == NULL) {
		free(infos);
		policy_show_free(s);
		return HD_ENOMEM;
	}
	s->n_sets = policy_book_sets(book, region_code, infos, total);
	for (size_t i = 0; i < s->n_sets; i++) {
		show_set_fill(&s->sets[i], &infos[i], &a, s->texts, n);
		s->set_ptrs[i] = &s->sets[i].msg;
	}
	free(infos);
	m->sets = s->set_ptrs;
	m->n_sets = s->n_sets;
	*out = s;
	return HD_OK;
}

const Hedui__V1__ShowPolicyResponse *policy_show_message(const policy_show *s)
{
	return &s->msg;
}

void policy_show_free(policy_show *s)
{
	if (s == NULL)
		return;
	free(s->sets);
	free(s->set_ptrs);
	free(s);
}
