/* SPDX-License-Identifier: MIT */
/*
 * Report ids (verify_report_id.h): ordered by time for the store's index,
 * kept apart between processes by a random part.
 */
#include "verify_report_id.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "idnum.h"
#include "log_mask.h"

/* Whether s holds LOG_MASK_MIN_RUN or more decimal digits in a row. */
static bool verify_digit_run(const char *s)
{
	int run = 0;
	for (; *s != '\0'; s++) {
		run = *s >= '0' && *s <= '9' ? run + 1 : 0;
		if (run >= LOG_MASK_MIN_RUN)
			return true;
	}
	return false;
}

/* A microsecond clock that never gives the same value twice in this
 * process, nor goes back. */
static uint64_t verify_id_clock(void)
{
	static _Atomic uint64_t last;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now =
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	uint64_t prev = atomic_load(&last), next;
	do {
		next = now > prev ? now : prev + 1;
	} while (!atomic_compare_exchange_weak(&last, &prev, next));
	return next;
}

/*
 * HD-YYYYMMDD- and 16 hex digits: 10 of a microsecond clock (its low 40
 * bits, unique in this process and increasing), 6 random. Ids made one
 * after another sort one after another, so that the store's index of
 * report ids grows at its end: random ids put every insert of a commit
 * on another index page, and each such page is written to the WAL and
 * again at the checkpoint (40% of the store's writes, measured). The
 * random part keeps two processes (a restart with the clock set back)
 * apart.
 */
hd_err verify_report_id_make(char out[VERIFY_REPORT_ID_SIZE])
{
	unsigned char rnd[3];
	idnum_date today = idnum_date_today();
	uint64_t t = verify_id_clock() & 0xffffffffffULL;
	char buf[64];
	/* 15 digits or more in a row would be masked in logs as if they were
	 * an ID number (log_mask.h): the random part drawn again. */
	for (int tries = 0; tries < 16; tries++) {
		if (RAND_bytes(rnd, sizeof rnd) != 1) {
			out[0] = '\0';
			return HD_ECRYPTO;
		}
		snprintf(buf, sizeof buf, "HD-%08d-%010llx%02x%02x%02x",
		    today % 100000000, (unsigned long long)t, rnd[0], rnd[1],
		    rnd[2]);
		if (!verify_digit_run(buf + 12))
			break;
	}
	memcpy(out, buf, VERIFY_REPORT_ID_SIZE - 1);
	out[VERIFY_REPORT_ID_SIZE - 1] = '\0';
	return HD_OK;
}
