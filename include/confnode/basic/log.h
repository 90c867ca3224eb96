#pragma once

/* Logging. When stderr is connected to the journal (JOURNAL_STREAM matches
 * it) each record is one sd_journal_send() with MESSAGE=, PRIORITY=, ERRNO=,
 * CONFNODE_PHASE=, CONFNODE_TEE= and CONFNODE_REASON=; otherwise a readable
 * line goes to stderr. Library code logs at debug level at most; the calling
 * boot phase logs once, through log_fail(). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

typedef enum Phase {
        PHASE_CONFIG,
        PHASE_DETECT,
        PHASE_AUTH,
        PHASE_EVIDENCE,
        PHASE_ATTEST,
        PHASE_RESOURCES,
        PHASE_DISK,
        PHASE_KUBELET,
        PHASE_READY,
        _PHASE_MAX,
        _PHASE_INVALID = -EINVAL,
} Phase;

const char *phase_to_string(Phase p);

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
} LogTarget;

void log_setup(LogTarget target);
void log_set_max_level(int level);
int log_get_max_level(void);
/* The TEE every later record is tagged with (CONFNODE_TEE=); NULL clears it. */
void log_set_tee(const char *tee);
bool log_to_journal(void);

/* Returns -abs(error) when error != 0, else 0. %m prints strerror(error). */
int log_internal(int level, int error, Phase phase, const char *reason, const char *file, int line,
                 const char *func, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

#define log_full_errno(level, error, ...)                                                          \
        log_internal(level, error, _PHASE_INVALID, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* A boot phase began or finished: info level, tagged with CONFNODE_PHASE=. */
#define log_phase(phase, ...)                                                                      \
        log_internal(LOG_INFO, 0, phase, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
/* A boot phase failed: error level with a stable reason code
 * (CONFNODE_REASON=, e.g. "tpm.quote_failed"); returns -abs(r). */
#define log_fail(r, phase, reason, ...)                                                            \
        log_internal(LOG_ERR, r, phase, reason, __FILE__, __LINE__, __func__, __VA_ARGS__)
