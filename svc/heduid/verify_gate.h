/* SPDX-License-Identifier: MIT */
/*
 * verify_gate: a service-wide bound on the batch households being worked
 * on at once (their facts and working state, see verify_household.h), so
 * that a batch of 256 households, or many batches, never need 256 times
 * a household's memory at once.
 *
 * A waiter (a batch) asks for up to `want` slots; the gate grants them one
 * at a time, first come first served: the batch that asked first gets the
 * slots that come free until it has started all its households, then the
 * next one. Each grant runs the waiter's run() once, outside the gate's
 * lock, on the thread that made the slot free (or asked). A slot is given
 * back with verify_gate_give, possibly from inside run() itself (a
 * household refused at once): the grants that this frees run in the
 * outer loop of that thread, never by recursion.
 *
 * The real-time path (VerifyHousehold) does not pass the gate: its
 * memory is bounded by max_inflight, and batch work never makes it wait.
 */
#ifndef HEDUI_VERIFY_GATE_H
#define HEDUI_VERIFY_GATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct verify_gate verify_gate;

typedef struct verify_gate_waiter {
	/* Set by the owner before verify_gate_ask; the gate's afterwards
	 * until want is 0. */
	size_t want;
	void (*run)(struct verify_gate_waiter *w);
	/* The gate's. */
	struct verify_gate_waiter *next;
} verify_gate_waiter;

/* NULL when out of memory. slots >= 1. */
verify_gate *verify_gate_alloc(int slots);
void verify_gate_free(verify_gate *g); /* accepts NULL */

/* Queues w for w->want grants (w->want >= 1); some may run before this
 * returns. w must live until its last grant has run. */
void verify_gate_ask(verify_gate *g, verify_gate_waiter *w);
/* Gives one slot back. */
void verify_gate_give(verify_gate *g);

/* Slots free now (tests and logs). */
int verify_gate_free_slots(verify_gate *g);

#endif
