/* SPDX-License-Identifier: MIT */
/*
 * svc_notify: tells systemd (a Type=notify unit, etc/systemd/) where a
 * service is: ready once it accepts calls, stopping once it drains. Both
 * heduid and hedui-source use it. Without $NOTIFY_SOCKET (not started by
 * systemd) every call does nothing.
 */
#ifndef HEDUI_SVC_NOTIFY_H
#define HEDUI_SVC_NOTIFY_H

/* READY=1 with a one-line STATUS (e.g. "serving tls+tcp://..."). */
void svc_notify_ready(const char *status);
/* STOPPING=1: systemd then waits up to TimeoutStopSec for the exit. */
void svc_notify_stopping(void);

#endif
