#include "notify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "confnode/basic/log.h"

static void notify_send(const char *msg) {
        int r = sd_notify(0, msg);

        if (r < 0)
                log_debug_errno(r, "sd_notify('%s') failed, ignoring: %m", msg);
}

void notify_status(const char *fmt, ...) {
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "STATUS=");
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf + n, sizeof(buf) - (size_t) n, fmt, ap);
        va_end(ap);
        notify_send(buf);
}

void notify_extend_timeout(uint64_t usec) {
        char buf[64];

        snprintf(buf, sizeof(buf), "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
        notify_send(buf);
}

void notify_ready(const char *status) {
        char buf[512];

        snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
        notify_send(buf);
}

void notify_stopping(const char *status) {
        char buf[512];

        snprintf(buf, sizeof(buf), "STOPPING=1\nSTATUS=%s", status);
        notify_send(buf);
}
