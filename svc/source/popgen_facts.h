/* SPDX-License-Identifier: MIT */
/*
 * popgen_facts: what the sources know about a generated person. Internal
 * to popgen; all amounts in fen, areas in 0.01 m², shares in bps.
 */
#ifndef HEDUI_POPGEN_FACTS_H
#define HEDUI_POPGEN_FACTS_H

#include "popgen.h"
#include "popgen_rng.h"

/* Income, businesses, accounts and vehicles of one person. */
void popgen_facts_person(pg_rng *r, popgen_person *p, int age, bool rural);
/* The household's homes and other real estate, after the persons. */
void popgen_facts_property(pg_rng *r, popgen_household *h);
/* The generator's random stream (popgen_roster.c draws from it too). */
pg_rng *popgen_rng(popgen *g);

/* Points the messages at their arrays and decides who each source knows. */
void popgen_facts_finish(popgen_person *p);

#endif
