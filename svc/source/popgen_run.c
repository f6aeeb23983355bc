/* SPDX-License-Identifier: MIT */
/* popgen_run: a generated population into the stores, and a sample of its
 * households as request files for demos. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "popgen.h"
#include "popgen_consent.h"
#include "popgen_roster.h"

static const ProtobufCMessage *pg_facts(
    popgen_person *p, srcdb_kind k, bool *found)
{
	switch (k) {
	case SRCDB_TAX:
		*found = p->tax_found;
		return &p->tax.base;
	case SRCDB_BANK:
		*found = p->bank_found;
		return &p->bank.base;
	default:
		*found = p->property_found;
		return &p->property.base;
	}
}

static void pg_count(popgen_stats *st, const popgen_person *p)
{
	st->persons++;
	st->found[SRCDB_TAX] += p->tax_found;
	st->found[SRCDB_BANK] += p->bank_found;
	st->found[SRCDB_PROPERTY] += p->property_found;
	for (size_t i = 0; i < p->bank.n_accounts; i++)
		if (strcmp(p->account[i].kind, "deposit") == 0 &&
		    p->account[i].balance_fen > 100000 * 100LL) {
			st->deposits_over_100k_yuan++;
			break;
		}
	int homes = 0;
	for (size_t i = 0; i < p->property.n_real_estate; i++)
		homes += strcmp(p->estate[i].usage, "residential") == 0;
	st->several_homes += homes >= 2;
	for (size_t i = 0; i < p->property.n_vehicles; i++)
		if (strcmp(p->vehicle[i].kind, "car") == 0) {
			st->cars++;
			break;
		}
	for (size_t i = 0; i < p->tax.n_businesses; i++)
		if (strcmp(p->business[i].status, "active") == 0) {
			st->active_businesses++;
			break;
		}
	if (p->tax.wage_income_fen > 0) {
		st->wage_earners++;
		st->modest_wages += p->tax.wage_income_fen < 8000 * 12 * 100LL;
	}
}

/* Everyone the sources know goes in; a person a source does not know has
 * no row there, as at a real agency. */
static hd_err pg_put(
    popgen_household *h, srcdb *const stores[SRCDB_KIND_COUNT])
{
	for (int i = 0; i < h->n; i++) {
		popgen_person *p = &h->members[i];
		for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
			if (stores[k] == NULL)
				continue;
			srcdb_record rec = {.id_number = p->id_number};
			rec.facts = pg_facts(p, (srcdb_kind)k, &rec.found);
			/* A roster's gap: the bank fails for this person. */
			if (k == SRCDB_BANK)
				rec.fault = p->bank_fault;
			if (!rec.found && rec.fault == SRCDB_FAULT_NONE)
				continue;
			hd_err err = srcdb_put(stores[k], &rec);
			if (err != HD_OK) {
				char masked[IDNUM_MASKED_LEN + 1];
				idnum_mask(p->id_number, masked);
				log_error("popgen.put", "kind=%s id=%s err=%s",
				    srcdb_kind_name((srcdb_kind)k), masked,
				    hd_strerror(err));
				return err;
			}
		}
	}
	return HD_OK;
}

static long long pg_ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

hd_err popgen_run(const popgen_opts *o, srcdb *const stores[SRCDB_KIND_COUNT],
    popgen_stats *stats)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	popgen_stats local;
	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (o->sample_dir != NULL && mkdir(o->sample_dir, 0755) != 0 &&
	    errno != EEXIST) {
		log_error("popgen.sample", "dir=\"%s\" errno=%d",
		    o->sample_dir, errno);
		return HD_EIO;
	}
	if (o->consent_dir != NULL && mkdir(o->consent_dir, 0755) != 0 &&
	    errno != EEXIST) {
		log_error("popgen.consents", "dir=\"%s\" errno=%d",
		    o->consent_dir, errno);
		return HD_EIO;
	}
	popgen *g = popgen_alloc(o->seed, o->size);
	popgen_household *h = malloc(sizeof *h);
	hd_err err = g == NULL ? HD_EINVAL : h == NULL ? HD_ENOMEM : HD_OK;
	if (err == HD_OK && o->region_prefix != NULL &&
	    !popgen_set_region(g, o->region_prefix)) {
		log_error("popgen.region",
		    "prefix=\"%s\" reason=\"no "
		    "known county has it\"",
		    o->region_prefix);
		err = HD_EINVAL;
	}
	popgen_roster *roster = NULL;
	popgen_consent_sink *consents = NULL;
	FILE *rf = NULL;
	if (err == HD_OK && o->roster_path != NULL) {
		char msg[256];
		roster = popgen_roster_alloc(o->policy_file, msg, sizeof msg);
		rf = fopen(o->roster_path, "w");
		if (roster == NULL || rf == NULL) {
			log_error("popgen.roster", "reason=\"%s\"",
			    roster == NULL ? msg : "cannot write the roster");
			err = HD_EIO;
		}
	}
	if (err == HD_OK && o->roster_path != NULL &&
	    o->roster_consent_dir != NULL &&
	    (consents = popgen_consent_sink_alloc(o->roster_consent_dir)) ==
	        NULL)
		err = HD_EIO;
	int begun = 0;
	for (; err == HD_OK && begun < SRCDB_KIND_COUNT; begun++)
		if (stores[begun] != NULL)
			err = srcdb_begin(stores[begun]);
	while (err == HD_OK && popgen_next(g, h)) {
		if (roster != NULL) {
			popgen_enrollment en;
			err = popgen_roster_enroll(roster, g, h, &en);
			if (err == HD_OK)
				err = popgen_roster_write(rf, h, &en);
			if (err == HD_OK && consents != NULL)
				err = popgen_consent_sink_add(consents, h);
			if (err != HD_OK)
				break;
			stats->enrolled[en.program]++;
			stats->changes[en.change]++;
		}
		err = pg_put(h, stores);
		for (int i = 0; i < h->n; i++)
			pg_count(stats, &h->members[i]);
		stats->households++;
		if (err == HD_OK && o->sample_dir != NULL &&
		    h->index < o->sample_households) {
			char path[4096];
			snprintf(path, sizeof path, "%s/hh-%06lld.json",
			    o->sample_dir, h->index + 1);
			err = popgen_write_household(h, path);
			if (err == HD_OK && o->consent_dir != NULL)
				err = popgen_write_consents(h, o->consent_dir);
		}
	}
	for (int k = 0; k < begun; k++) {
		if (stores[k] == NULL)
			continue;
		if (err == HD_OK)
			err = srcdb_commit(stores[k]);
		else
			srcdb_rollback(stores[k]);
	}
	if (rf != NULL) {
		bool ok = fflush(rf) == 0 && fsync(fileno(rf)) == 0;
		if (fclose(rf) != 0)
			ok = false;
		if (!ok && err == HD_OK) {
			log_error("popgen.roster",
			    "reason=\"cannot write the roster\"");
			err = HD_EIO;
		}
	}
	hd_err cerr = popgen_consent_sink_free(consents);
	if (err == HD_OK)
		err = cerr;
	popgen_roster_free(roster);
	free(h);
	popgen_free(g);
	if (err == HD_OK)
		log_info("popgen.done",
		    "seed=%llu persons=%lld households=%lld found_bank=%lld "
		    "found_tax=%lld found_property=%lld ms=%lld",
		    (unsigned long long)o->seed, stats->persons,
		    stats->households, stats->found[SRCDB_BANK],
		    stats->found[SRCDB_TAX], stats->found[SRCDB_PROPERTY],
		    pg_ms_since(&t0));
	return err;
}

bool popgen_able_supporter(const popgen_household *h, int me)
{
	for (int i = 0; i < h->n; i++) {
		if (i == me)
			continue;
		int age =
		    idnum_age(h->members[i].id_number, POPGEN_REFERENCE_DATE);
		if (age >= 18 && age < 60)
			return true;
	}
	return false;
}

json_t *popgen_household_json(const popgen_household *h, const char *program)
{
	json_t *root = json_object();
	json_t *members = json_array();
	char buf[64];
	int y = POPGEN_REFERENCE_DATE / 10000;
	snprintf(
	    buf, sizeof buf, "%s-%d-%06lld", h->region_code, y, h->index + 1);
	json_object_set_new(root, "case_id", json_string(buf));
	json_object_set_new(root, "region_code", json_string(h->region_code));
	json_object_set_new(
	    root, "area", json_string(h->rural ? "rural" : "urban"));
	json_object_set_new(root, "program", json_string(program));
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", y,
	    POPGEN_REFERENCE_DATE / 100 % 100, POPGEN_REFERENCE_DATE % 100);
	json_object_set_new(root, "as_of", json_string(buf));
	json_object_set_new(root, "currently_enrolled", json_false());
	json_object_set_new(
	    root, "monthly_rigid_expense_fen", json_integer(0));
	json_object_set_new(root, "members", members);
	for (int i = 0; i < h->n; i++) {
		const popgen_person *p = &h->members[i];
		json_t *m = json_object();
		json_object_set_new(m, "id_number", json_string(p->id_number));
		json_object_set_new(m, "name", json_string(p->name));
		json_object_set_new(m, "relation", json_string(p->relation));
		/* A member whose consent is not on file has no reference. */
		if (!p->no_consent) {
			popgen_consent_number(h, i, buf, sizeof buf);
			json_object_set_new(
			    m, "consent_ref", json_string(buf));
		}
		json_object_set_new(m, "severe_disability",
		    json_boolean(p->severe_disability));
		json_object_set_new(
		    m, "severe_illness", json_boolean(p->severe_illness));
		json_object_set_new(m, "has_able_supporter",
		    json_boolean(popgen_able_supporter(h, i)));
		json_array_append_new(members, m);
	}
	return root;
}

hd_err popgen_write_household(const popgen_household *h, const char *path)
{
	json_t *root = popgen_household_json(h, "dibao");
	int rc = json_dump_file(root, path, JSON_INDENT(2));
	json_decref(root);
	if (rc != 0) {
		log_error("popgen.sample",
		    "path=\"%s\" reason=\"cannot write\"", path);
		return HD_EIO;
	}
	return HD_OK;
}
