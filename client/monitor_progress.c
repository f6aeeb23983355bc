/* SPDX-License-Identifier: MIT */
/* monitor_progress: done/total, rate, ETA and counts per class. */
#include "monitor_progress.h"

#include <string.h>

void mon_thousands(uint64_t v, char *out, size_t cap)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* Short names: the line must fit a terminal. */
static const char *const mp_short[MON_CLASS_COUNT] = {
    [MON_UNCHANGED] = "unchanged",
    [MON_BENEFIT_CHANGED] = "changed",
    [MON_GRADUAL_EXIT] = "exit",
    [MON_NO_LONGER_ELIGIBLE] = "ineligible",
    [MON_NEEDS_REVIEW] = "review",
    [MON_REFUSED] = "refused",
};

void mon_progress_format(char *buf, size_t cap, uint64_t done, uint64_t total,
    double rate, const uint64_t classes[MON_CLASS_COUNT])
{
	char d[32], t[32], eta[32] = "ETA -";
	mon_thousands(done, d, sizeof d);
	mon_thousands(total, t, sizeof t);
	unsigned pm = total ? (unsigned)(done * 1000 / total) : 1000;
	if (rate > 0 && done < total) {
		uint64_t s = (uint64_t)((double)(total - done) / rate + 0.5);
		if (s >= 3600)
			snprintf(eta, sizeof eta, "ETA %llu:%02llu:%02llu",
			    (unsigned long long)(s / 3600),
			    (unsigned long long)(s / 60 % 60),
			    (unsigned long long)(s % 60));
		else
			snprintf(eta, sizeof eta, "ETA %llu:%02llu",
			    (unsigned long long)(s / 60),
			    (unsigned long long)(s % 60));
	} else if (done >= total) {
		snprintf(eta, sizeof eta, "ETA 0:00");
	}
	char r[32] = "-";
	if (rate >= 0)
		snprintf(r, sizeof r, "%.0f", rate);
	int o = snprintf(buf, cap, "%s/%s %u.%u%% %s/s %s |", d, t, pm / 10,
	    pm % 10, r, eta);
	for (int c = 0; c < MON_CLASS_COUNT && o > 0 && (size_t)o < cap; c++) {
		char v[32];
		mon_thousands(classes[c], v, sizeof v);
		o += snprintf(
		    buf + o, cap - (size_t)o, " %s %s", mp_short[c], v);
	}
}

void mon_progress_init(
    mon_progress *p, FILE *out, bool tty, unsigned interval_s)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->tty = tty;
	p->interval_ms = tty ? 500 : (uint64_t)interval_s * 1000;
}

static double mp_rate(mon_progress *p, uint64_t now, uint64_t done)
{
	size_t slot = (p->head + p->n) % MON_PROGRESS_SAMPLES;
	if (p->n == MON_PROGRESS_SAMPLES) {
		p->head = (p->head + 1) % MON_PROGRESS_SAMPLES;
		p->n--;
	}
	p->t[slot] = now;
	p->d[slot] = done;
	p->n++;
	uint64_t t0 = p->t[p->head], d0 = p->d[p->head];
	if (p->n < 2 || now <= t0)
		return -1;
	return (double)(done - d0) * 1000.0 / (double)(now - t0);
}

void mon_progress_tick(mon_progress *p, uint64_t now_ms, uint64_t done,
    uint64_t total, const uint64_t classes[MON_CLASS_COUNT], bool force)
{
	if (!force && p->last_ms != 0 && now_ms - p->last_ms < p->interval_ms)
		return;
	/* Samples every half second at most, so that 20 span ~10 s. */
	if (p->n == 0 ||
	    now_ms - p->t[(p->head + p->n - 1) % MON_PROGRESS_SAMPLES] >= 500)
		(void)mp_rate(p, now_ms, done);
	double rate = -1;
	if (p->n >= 2) {
		size_t last = (p->head + p->n - 1) % MON_PROGRESS_SAMPLES;
		uint64_t dt = p->t[last] - p->t[p->head];
		if (dt > 0)
			rate = (double)(p->d[last] - p->d[p->head]) * 1000.0 /
			       (double)dt;
	}
	p->last_ms = now_ms;
	char line[512];
	mon_progress_format(line, sizeof line, done, total, rate, classes);
	if (p->tty) {
		/* \r and clear to the end of the line: no stale tail. */
		fprintf(p->out, "\r\033[Kmonitor %s", line);
		p->drawn = true;
	} else {
		fprintf(p->out, "hedui: monitor: %s\n", line);
	}
	fflush(p->out);
}

void mon_progress_end(mon_progress *p)
{
	if (p->drawn) {
		fputc('\n', p->out);
		fflush(p->out);
		p->drawn = false;
	}
}
