#pragma once

/* The agent's side of the systemd service protocol. Every call is a no-op
 * when NOTIFY_SOCKET is unset (run by hand), so callers need not care. */

#include <stdint.h>

void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asks systemd for usec more start time; sent while we wait on a verifier. */
void notify_extend_timeout(uint64_t usec);
/* READY=1 with a final STATUS=; only ever sent at the end of a good boot. */
void notify_ready(const char *status);
void notify_stopping(const char *status);
