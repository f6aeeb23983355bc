/* SPDX-License-Identifier: MIT */
#include "verify_gate.h"

#include <pthread.h>
#include <stdlib.h>

struct verify_gate {
	pthread_mutex_t mu;
	int free;
	verify_gate_waiter *head, *tail; /* FIFO of waiters with want > 0 */
};

/* Whether this thread is already running grants: a give or an ask from
 * inside run() then leaves the new grants to that outer loop. */
static _Thread_local bool verify_gate_pumping;

verify_gate *verify_gate_alloc(int slots)
{
	verify_gate *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	g->free = slots > 0 ? slots : 1;
	return g;
}

void verify_gate_free(verify_gate *g)
{
	if (g == NULL)
		return;
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* Runs grants while slots are free and someone waits. */
static void verify_gate_pump(verify_gate *g)
{
	if (verify_gate_pumping)
		return;
	verify_gate_pumping = true;
	for (;;) {
		pthread_mutex_lock(&g->mu);
		verify_gate_waiter *w = g->head;
		if (w == NULL || g->free == 0) {
			pthread_mutex_unlock(&g->mu);
			break;
		}
		g->free--;
		if (--w->want == 0) {
			/* Its last grant: out of the queue before it runs,
			 * since the waiter may be gone once it has. */
			g->head = w->next;
			if (g->head == NULL)
				g->tail = NULL;
			w->next = NULL;
		}
		pthread_mutex_unlock(&g->mu);
		w->run(w);
	}
	verify_gate_pumping = false;
}

void verify_gate_ask(verify_gate *g, verify_gate_waiter *w)
{
	if (w->want == 0)
		return;
	pthread_mutex_lock(&g->mu);
	w->next = NULL;
	if (g->tail != NULL)
		g->tail->next = w;
	else
		g->head = w;
	g->tail = w;
	pthread_mutex_unlock(&g->mu);
	verify_gate_pump(g);
}

void verify_gate_give(verify_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->free++;
	pthread_mutex_unlock(&g->mu);
	verify_gate_pump(g);
}

int verify_gate_free_slots(verify_gate *g)
{
	pthread_mutex_lock(&g->mu);
	int n = g->free;
	pthread_mutex_unlock(&g->mu);
	return n;
}
