#pragma once

/* The agent's side of a Trustee KBS session (protocol 0.4.0) over
 * kbs-http, one "round" at a time against one endpoint:
 *
 *   POST /kbs/v0/auth       Request -> Challenge + kbs-session-id cookie
 *   (the caller collects evidence bound to the nonce and the tee-pubkey)
 *   POST /kbs/v0/attest     Attestation (with the cookie) -> token
 *   GET  /kbs/v0/resource/<repo>/<type>/<tag>  (cookie and bearer token)
 *                           -> flattened JWE -> decrypted into a Secret
 *
 * Every failure is classified so the caller knows what to do next:
 *   transient  the network, a timeout, 5xx, 408, 429, an expired session,
 *              a reply that does not parse or decrypt: try again soon
 *              (with backoff, honouring Retry-After);
 *   rejected   the verifier answered and said no (401 AttestationError,
 *              PolicyDeny, any other 4xx, a redirect): try again at a slow
 *              cadence, reference values may be updated;
 *   fatal      a local problem that retrying does not fix (no memory, a CA
 *              file that cannot be read, evidence that cannot be taken).
 * The verifier's reason code (the start of an RFC 7807 detail,
 * "snp.measurement: …") is kept apart from its sentence, so the caller can
 * log it as CONFNODE_REASON=. This layer logs at debug level only. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/secret.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/kbs/kbs-http.h"
#include "confnode/kbs/kbs-proto.h"

#define KBS_CLIENT_MAX_REASON 64
#define KBS_CLIENT_MAX_WHAT 768
/* A resource path: repo/type/tag, each 1-64 of [A-Za-z0-9._-]. */
#define KBS_CLIENT_MAX_RESOURCE_SEGMENT 64

typedef enum KbsOutcome {
        KBS_OUTCOME_OK,
        KBS_OUTCOME_TRANSIENT,
        KBS_OUTCOME_REJECTED,
        KBS_OUTCOME_FATAL,
        _KBS_OUTCOME_MAX,
        _KBS_OUTCOME_INVALID = -EINVAL,
} KbsOutcome;

typedef enum KbsStep {
        KBS_STEP_AUTH,
        KBS_STEP_EVIDENCE,
        KBS_STEP_ATTEST,
        KBS_STEP_RESOURCE,
        _KBS_STEP_MAX,
        _KBS_STEP_INVALID = -EINVAL,
} KbsStep;

const char *kbs_outcome_to_string(KbsOutcome o); /* "ok", "transient", "rejected", "fatal" */
const char *kbs_step_to_string(KbsStep s);       /* "auth", "evidence", "attest", "resource" */

typedef struct KbsFailure {
        KbsOutcome outcome;
        KbsStep step;
        int error;               /* -errno */
        long http_status;        /* 0 when no HTTP answer came */
        uint64_t retry_after_ms; /* the server's Retry-After, 0 for none */
        /* A stable code: the verifier's own ("snp.measurement") when its
         * detail starts with one, else ours ("kbs.unreachable"). */
        char reason[KBS_CLIENT_MAX_REASON];
        /* A phrase without the URL ("connection refused", "rejected the
         * evidence: snp.measurement: 'measurement 3a… is not allowed'");
         * text from the peer is quoted, cut and cleaned of control bytes. */
        char what[KBS_CLIENT_MAX_WHAT];
} KbsFailure;

/* Records a failure (for evidence callbacks); returns error. */
int kbs_failure_set(KbsFailure *f, KbsOutcome outcome, KbsStep step, int error, const char *reason,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* How requests reach the network: kbs_http_request, or a fake in tests. */
typedef int (*KbsTransport)(void *userdata, const KbsHttpOptions *opts, const KbsHttpRequest *req,
                            KbsHttpResponse *ret, char what[static KBS_HTTP_MAX_WHAT]);

typedef struct KbsClient {
        char *const *urls; /* base URLs, tried in turn; NULL-terminated, borrowed */
        KbsHttpOptions http;
        KbsTransport transport; /* NULL: kbs_http_request() */
        void *transport_data;
} KbsClient;

size_t kbs_client_n_endpoints(const KbsClient *c);

/* The exact bodies of one round, as sent and received, for `confnode
 * attest --save-bundle` and `confnode-verifier check`: each NULL until the
 * round got that far. */
typedef struct KbsExchange {
        char *url;     /* the endpoint's base URL */
        char *request; /* the Request sent to /auth */
        size_t request_size;
        char *challenge; /* the Challenge received */
        size_t challenge_size;
        char *attestation; /* the Attestation sent to /attest */
        size_t attestation_size;
} KbsExchange;

void kbs_exchange_done(KbsExchange *e);

/* The caller's part of a round: evidence bound to challenge->nonce (hashed
 * with challenge->hash_alg) and tee_pubkey, as primary_evidence and the
 * additional_evidence string ("" for none). On failure it fills f (usually
 * fatal) and returns -errno. */
typedef int (*KbsEvidenceFn)(void *userdata, const KbsChallenge *challenge, json_object *tee_pubkey,
                             json_object **ret_primary, char **ret_additional, KbsFailure *f);

/* Told when a step begins (for STATUS= and the journal); may be NULL. */
typedef void (*KbsStepFn)(void *userdata, KbsStep step, const char *url);

typedef struct KbsRoundParams {
        KbsTee tee;
        const EphemeralKey *key; /* the session's key: tee-pubkey and JWE recipient */
        KbsEvidenceFn evidence;
        KbsStepFn step;
        void *userdata;               /* for evidence and step */
        const char *const *resources; /* repo/type/tag paths, NULL-terminated */
} KbsRoundParams;

typedef struct KbsReleased {
        char *path;    /* repo/type/tag */
        Secret *value; /* the plaintext, in locked memory */
} KbsReleased;

typedef struct KbsRoundResult {
        KbsReleased *released;
        size_t n_released;
} KbsRoundResult;

void kbs_round_result_done(KbsRoundResult *r);

/* Whether path is repo/type/tag with each segment 1-64 of [A-Za-z0-9._-]
 * (and none of them "." or ".."). */
bool kbs_resource_path_valid(const char *path);

/* One round against endpoint (an index into urls). Returns 0 with every
 * resource released into ret, or -errno with f saying what happened and
 * what kind of failure it was. exchange (may be NULL) gets the bodies as
 * far as the round got, also on failure. */
int kbs_client_round(const KbsClient *c, size_t endpoint, const KbsRoundParams *p,
                     KbsRoundResult *ret, KbsExchange *exchange, KbsFailure *f);
