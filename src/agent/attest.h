#pragma once

/* The attest phase, shared by `confnode boot` and `confnode attest`: a
 * fresh ephemeral key, KBS auth, evidence bound to the session in two
 * stages, attest, and the resources (the disk key and the kubelet join
 * bundle) decrypted straight into locked memory. Endpoints are tried in
 * turn; transient failures retry with jittered exponential backoff (or
 * until [verifier] retry_deadline), a rejection at [verifier]
 * rejection_retry, while systemd hears STATUS= and EXTEND_TIMEOUT_USEC=.
 * Every failure is logged once here, with CONFNODE_REASON=. */

#include <signal.h>
#include <stdbool.h>

#include "config.h"
#include "confnode/evidence/tee-detect.h"
#include "confnode/kbs/kbs-client.h"

/* A canonical UUID, 36 characters. */
#define ATTEST_UUID_STRING_MAX 37

typedef struct AttestOptions {
        const Config *config;
        const TeeDetection *tee;           /* what the detect phase found */
        const char *disk_uuid;             /* canonical lower-case; NULL: no disk key */
        bool once;                         /* each endpoint once, no retries */
        bool stop_on_rejection;            /* a rejection ends the run (`confnode attest`) */
        bool notify;                       /* STATUS= and EXTEND_TIMEOUT_USEC= to systemd */
        const char *save_bundle;           /* write each round's bodies here, or NULL */
        const volatile sig_atomic_t *stop; /* set by SIGTERM/SIGINT */
} AttestOptions;

typedef struct AttestResult {
        KbsRoundResult released;
        char *url;                          /* the endpoint that released them */
        char reason[KBS_CLIENT_MAX_REASON]; /* on failure: the last reason */
} AttestResult;

void attest_result_done(AttestResult *r);

/* Runs the phase. 0: every resource released into ret. Failures, logged:
 *   -EACCES     rejected (stop_on_rejection or once, or the deadline passed
 *               after a rejection); ret->reason is the verifier's code
 *   -ETIMEDOUT  retry_deadline passed (or once) without an answer
 *   -EINTR      *stop was set
 *   other       a fatal local error (evidence, memory, configuration) */
int attest_run(const AttestOptions *o, AttestResult *ret);

/* Detects the TEE as [agent] tee says, logging the result (phase detect). */
int attest_detect_tee(const Config *c, TeeDetection *ret);

/* The UUID whose disk key to ask for, from disk_key_uuid(): an existing
 * confnode volume's, or a fresh one for a blank disk; NULL (logged) when
 * no disk is configured or the disk would be refused. Only reads the
 * device. -ENOMEM only. */
int attest_disk_uuid(const Config *c, char **ret);

/* A UUID in canonical lower-case form into ret; -EINVAL if s is not one. */
int attest_uuid_normalize(const char *s, char ret[static ATTEST_UUID_STRING_MAX]);

/* "released PATH (N bytes, sha256 abcd1234)" per resource, for the log
 * and `confnode attest`. */
void attest_released_line(const KbsReleased *r, char *buf, size_t size);
