/* SPDX-License-Identifier: MIT */
/* svc_notify: sd_notify(3) through Debian's libsystemd. */
#include "svc_notify.h"

#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "log.h"

static void svc_notify_send(const char *what, const char *state)
{
	/* 0 when not under systemd (no $NOTIFY_SOCKET): nothing to say. */
	int rc = sd_notify(0, state);
	if (rc < 0)
		log_warn("svc.notify", "state=%s error=%d", what, -rc);
}

void svc_notify_ready(const char *status)
{
	char state[512];
	snprintf(state, sizeof state, "READY=1\nSTATUS=%s", status);
	svc_notify_send("ready", state);
}

void svc_notify_stopping(void)
{
	svc_notify_send("stopping", "STOPPING=1\nSTATUS=draining");
}
