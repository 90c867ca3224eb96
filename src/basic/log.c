#include "confnode/basic/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

static int max_level = LOG_INFO;
static bool use_journal;
static char tee_name[32];

static const char *const phase_names[_PHASE_MAX] = {
        [PHASE_CONFIG] = "config",       [PHASE_DETECT] = "detect", [PHASE_AUTH] = "auth",
        [PHASE_EVIDENCE] = "evidence",   [PHASE_ATTEST] = "attest", [PHASE_RESOURCES] = "resources",
        [PHASE_DISK] = "disk",           [PHASE_KUBELET] = "kubelet", [PHASE_READY] = "ready",
};

const char *phase_to_string(Phase p) {
        if (p < 0 || p >= _PHASE_MAX)
                return NULL;
        return phase_names[p];
}

/* systemd sets JOURNAL_STREAM=dev:ino for a service whose stderr goes to the
 * journal; matching it against our own stderr tells us the journal will see
 * what we write, so structured records are worth sending. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(LogTarget target) {
        switch (target) {
        case LOG_TARGET_JOURNAL:
                use_journal = true;
                break;
        case LOG_TARGET_CONSOLE:
                use_journal = false;
                break;
        default:
                use_journal = stderr_is_journal();
        }
}

bool log_to_journal(void) {
        return use_journal;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_tee(const char *tee) {
        snprintf(tee_name, sizeof(tee_name), "%s", tee ? tee : "");
}

static const char *level_prefix(int level) {
        switch (level) {
        case LOG_DEBUG:
                return "debug: ";
        case LOG_WARNING:
                return "warning: ";
        case LOG_ERR:
        case LOG_CRIT:
        case LOG_ALERT:
        case LOG_EMERG:
                return "error: ";
        default:
                return "";
        }
}

int log_internal(int level, int error, Phase phase, const char *reason, const char *file, int line,
                 const char *func, const char *fmt, ...) {
        int saved = errno, ret = error == 0 ? 0 : -abs(error);
        char msg[2048];
        va_list ap;

        if (level > max_level)
                return ret;

        errno = abs(error);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (use_journal) {
                char f[10][2200];
                struct iovec iov[10];
                const char *ph = phase_to_string(phase);
                int n = 0;

                snprintf(f[n++], sizeof(f[0]), "MESSAGE=%s", msg);
                snprintf(f[n++], sizeof(f[0]), "PRIORITY=%d", level);
                snprintf(f[n++], sizeof(f[0]), "SYSLOG_IDENTIFIER=%s", program_invocation_short_name);
                snprintf(f[n++], sizeof(f[0]), "CODE_FILE=%s", file);
                snprintf(f[n++], sizeof(f[0]), "CODE_LINE=%d", line);
                snprintf(f[n++], sizeof(f[0]), "CODE_FUNC=%s", func);
                if (error != 0)
                        snprintf(f[n++], sizeof(f[0]), "ERRNO=%d", abs(error));
                if (ph)
                        snprintf(f[n++], sizeof(f[0]), "CONFNODE_PHASE=%s", ph);
                if (tee_name[0])
                        snprintf(f[n++], sizeof(f[0]), "CONFNODE_TEE=%s", tee_name);
                if (reason)
                        snprintf(f[n++], sizeof(f[0]), "CONFNODE_REASON=%s", reason);
                for (int i = 0; i < n; i++)
                        iov[i] = (struct iovec){ .iov_base = f[i], .iov_len = strlen(f[i]) };
                (void) sd_journal_sendv(iov, n);
        } else {
                const char *ph = phase_to_string(phase);

                if (ph && reason)
                        fprintf(stderr, "%s[%s] %s (reason: %s)\n", level_prefix(level), ph, msg, reason);
                else if (ph)
                        fprintf(stderr, "%s[%s] %s\n", level_prefix(level), ph, msg);
                else if (reason)
                        fprintf(stderr, "%s%s (reason: %s)\n", level_prefix(level), msg, reason);
                else
                        fprintf(stderr, "%s%s\n", level_prefix(level), msg);
                if (max_level >= LOG_DEBUG)
                        fprintf(stderr, "        at %s:%d %s()\n", file, line, func);
        }
        errno = saved;
        return ret;
}
