#include "server.h"

#include "http-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <systemd/sd-journal.h>

#include "confnode/basic/canonical-json.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/jwe.h"
#include "confnode/crypto/jwk.h"
#include "confnode/kbs/kbs-evidence.h"

#define KBS_SESSION_COOKIE "kbs-session-id"
#define KBS_PREFIX "/kbs/v0/"
#define RESOURCE_PREFIX "/kbs/v0/resource/"
#define SEGMENT_MAX 64
#define DETAIL_MAX 1024
/* A body sent without Content-Length that runs past its limit is read and
 * thrown away so the client gets its 413, but not without end. */
#define DISCARD_MAX (16u * 1024 * 1024)

/* A policy and the appraiser built from it, shared by the requests that
 * started while it was current. */
typedef struct Generation {
        Policy *policy;
        Appraiser *appraiser;
        atomic_uint refs;
} Generation;

struct Server {
        ServerConfig cfg;
        char *listen;
        char *tls_cert;
        Secret *tls_key; /* the PEM text, NUL-terminated */
        HttpServer *http;
        uint16_t port;
        bool commit_hooked; /* the store calls on_committed() */

        pthread_mutex_t gen_lock;
        Generation *gen;
};

struct Request;
typedef int (*Handler)(Server *s, HttpExchange *c, struct Request *req,
                                   const char *url);

typedef struct Route {
        const char *path;
        bool prefix;
        const char *method;
        Handler handler;
        size_t max_body; /* SIZE_MAX: the configured --max-body */
} Route;

typedef struct Request {
        const Route *route;
        uint64_t start;
        const uint8_t *body;
        size_t size;
} Request;

/* ---- policy generations ---- */

static void generation_put(Generation *g) {
        if (!g)
                return;
        if (atomic_fetch_sub(&g->refs, 1) != 1)
                return;
        /* The appraiser refers to the policy: it goes first. */
        appraiser_free(g->appraiser);
        policy_free(g->policy);
        free(g);
}

static Generation *generation_get(Server *s) {
        Generation *g;

        pthread_mutex_lock(&s->gen_lock);
        g = s->gen;
        if (g)
                atomic_fetch_add(&g->refs, 1);
        pthread_mutex_unlock(&s->gen_lock);
        return g;
}

static int generation_new(Policy *policy, Appraiser *appraiser, Generation **ret) {
        Generation *g = calloc(1, sizeof(*g));

        if (!g) {
                appraiser_free(appraiser);
                policy_free(policy);
                return -ENOMEM;
        }
        g->policy = policy;
        g->appraiser = appraiser;
        atomic_init(&g->refs, 1);
        *ret = g;
        return 0;
}

void server_set_policy(Server *s, Policy *policy, Appraiser *appraiser) {
        Generation *g, *old;

        if (generation_new(policy, appraiser, &g) < 0) {
                log_error("Cannot swap in policy: out of memory; keeping the current one");
                return;
        }
        pthread_mutex_lock(&s->gen_lock);
        old = s->gen;
        s->gen = g;
        pthread_mutex_unlock(&s->gen_lock);
        generation_put(old);
}

/* ---- helpers ---- */

/* A value from the peer for an error or log line: at most 32 characters,
 * anything unprintable replaced, so it cannot forge lines or fields. */
static const char *peer_str(const char *s, char buf[static 40]) {
        size_t i = 0;

        if (!s)
                return "";
        for (; s[i] && i < 32; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'') ? s[i] : '?';
        if (s[i]) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = '\0';
        return buf;
}

bool server_segment_is_valid(const char *s, size_t n) {
        if (n == 0 || n > SEGMENT_MAX)
                return false;
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
                        return false;
        }
        return true;
}

static bool tee_is_appraised(KbsTee t) {
        return t == KBS_TEE_SNP || t == KBS_TEE_TDX || t == KBS_TEE_AZ_SNP_VTPM ||
               t == KBS_TEE_AZ_TDX_VTPM || t == KBS_TEE_TPM;
}

static uint64_t unix_now(void) {
        return (uint64_t)time(NULL);
}

static void free_wiped(void *p) {
        if (p)
                memory_wipe(p, strlen(p));
        free(p);
}

/* ---- responses ---- */

typedef struct Reply {
        unsigned status;
        const char *content_type;
        char *body; /* owned, NUL-terminated */
        size_t size;
        bool sensitive; /* wipe the body once sent */
        const char *cookie;
        const char *allow;
        bool retry_after;
} Reply;

static int answer(Server *s, HttpExchange *c, Request *req, Reply *rp) {
        HttpReply hr = {
                .status = rp->status,
                .content_type = rp->content_type,
                .body = TAKE_PTR(rp->body),
                .size = rp->size,
                .sensitive = rp->sensitive,
                .set_cookie = rp->cookie,
                .allow = rp->allow,
                .retry_after = rp->retry_after ? SERVER_RETRY_AFTER : 0,
        };
        int r;

        (void)req;
        r = http_exchange_reply(c, &hr);
        if (r >= 0)
                metrics_http_response(s->cfg.metrics, rp->status);
        return r;
}

static int answer_json(Server *s, HttpExchange *c, Request *req,
                                   unsigned status, char *body, bool sensitive,
                                   const char *cookie) {
        Reply rp = {
                .status = status,
                .content_type = "application/json",
                .body = body,
                .size = body ? strlen(body) : 0,
                .sensitive = sensitive,
                .cookie = cookie,
        };
        return answer(s, c, req, &rp);
}

/* An RFC 7807 error with a KBS error type; status 0 means the type's own.
 * The detail starts with the reason code. Logged at debug level with the
 * place that answered, as tang's http_reply() does. */
#define problem(s, c, req, type, status, ...)                                                      \
        problem_internal(s, c, req, type, status, false, NULL, __FILE__, __LINE__, __VA_ARGS__)
#define problem_allow(s, c, req, type, status, allow, ...)                                         \
        problem_internal(s, c, req, type, status, false, allow, __FILE__, __LINE__, __VA_ARGS__)
#define problem_busy(s, c, req, type, ...)                                                         \
        problem_internal(s, c, req, type, 503, true, NULL, __FILE__,      \
                         __LINE__, __VA_ARGS__)

static int problem_internal(Server *s, HttpExchange *c, Request *req,
                                        KbsErrorType type, unsigned status, bool retry,
                                        const char *allow, const char *file, int line,
                                        const char *fmt, ...) _printf_(10, 11);
static int problem_internal(Server *s, HttpExchange *c, Request *req,
                                        KbsErrorType type, unsigned status, bool retry,
                                        const char *allow, const char *file, int line,
                                        const char *fmt, ...) {
        char detail[DETAIL_MAX];
        char *body = NULL;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        if (status == 0)
                status = (unsigned)kbs_error_type_http_status(type);
        log_debug("%s:%d: %u %s: %s", file, line, status, kbs_error_type_to_string(type), detail);
        if (kbs_error_build(type, detail, &body) < 0)
                body = NULL;
        Reply rp = {
                .status = status,
                .content_type = "application/json",
                .body = body,
                .size = body ? strlen(body) : 0,
                .allow = allow,
                .retry_after = retry,
        };
        return answer(s, c, req, &rp);
}

static int internal_error(Server *s, HttpExchange *c, Request *req, int r,
                                      const char *what) {
        log_error_errno(r, "Cannot %s: %m", what);
        return problem(s, c, req, KBS_ERROR_ATTESTATION_ERROR, 500,
                       "server.internal: cannot %s: %s", what, strerror(abs(r)));
}

/* ---- decisions ---- */

typedef struct Decision {
        SessionInfo info;
        bool accepted;
        const char *reason;
        char detail[DETAIL_MAX];
        char node[SESSION_NODE_MAX];
        const char *node_kind;
        const char *vtpm;
        char *steps; /* the steps as a JSON array, for the state */
} Decision;

static void decision_done(Decision *d) {
        free(d->steps);
        d->steps = NULL;
}

static void decision_fail(Decision *d, const char *reason, const char *fmt, ...) _printf_(3, 4);
static void decision_fail(Decision *d, const char *reason, const char *fmt, ...) {
        va_list ap;

        d->accepted = false;
        d->reason = reason;
        va_start(ap, fmt);
        vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
        va_end(ap);
}

/* One structured line per decision: CONFNODE_REASON, the TEE, the node,
 * the session and how long it took. */
static void log_decision(const Decision *d, uint64_t duration_us) {
        const char *tee = kbs_tee_to_string(d->info.tee) ?: "unknown";
        const char *node = d->node[0] ? d->node : "unknown";
        const char *verdict = d->accepted ? "accepted" : "rejected";

        if (log_to_journal()) {
                (void)sd_journal_send("MESSAGE=Attestation %s: tee=%s node=%s session=%s: %s: %s",
                                      verdict, tee, node, d->info.fingerprint, d->reason, d->detail,
                                      "PRIORITY=%d", d->accepted ? LOG_INFO : LOG_NOTICE,
                                      "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
                                      "CONFNODE_DECISION=%s", verdict, "CONFNODE_REASON=%s",
                                      d->reason, "CONFNODE_TEE=%s", tee, "CONFNODE_NODE=%s", node,
                                      "CONFNODE_SESSION=%s", d->info.fingerprint,
                                      "CONFNODE_DURATION_USEC=%" PRIu64, duration_us, NULL);
                return;
        }
        log_internal(d->accepted ? LOG_INFO : LOG_NOTICE, 0, _PHASE_INVALID, d->reason, __FILE__,
                     __LINE__, __func__,
                     "Attestation %s: tee=%s node=%s session=%s duration_ms=%.1f: %s", verdict, tee,
                     node, d->info.fingerprint, (double)duration_us / 1000.0, d->detail);
}

/* Returns the record's sequence number in the store (0: none), which the
 * answer is held for. */
static uint64_t record_decision(Server *s, const Decision *d, uint64_t duration_us,
                                MetricsResult result) {
        StoreDecision sd = {
                .at = (int64_t)unix_now(),
                .session = d->info.fingerprint,
                .session_created = (int64_t)unix_now() -
                                   (int64_t)((session_now() - d->info.created) / 1000000u),
                .node = d->node[0] ? d->node : NULL,
                .node_kind = d->node_kind,
                .tee = kbs_tee_to_string(d->info.tee) ?: "unknown",
                .accepted = d->accepted,
                .reason = d->reason,
                .detail = d->detail,
                .vtpm = d->vtpm,
                .steps = d->steps ?: "[]",
                .duration_us = (int64_t)duration_us,
        };
        int r;

        log_decision(d, duration_us);
        metrics_attestation(s->cfg.metrics, d->info.tee, result, duration_us);
        uint64_t seq = 0;

        if (!s->cfg.store)
                return 0;
        r = store_add_decision(s->cfg.store, &sd, &seq);
        if (r < 0) {
                log_error_errno(r, "Cannot record the decision of session %s: %m",
                                d->info.fingerprint);
                return 0;
        }
        return seq;
}

/* The decision is on record before the node hears of it: the answer just
 * queued waits for the store's writer (the worker does not). */
static int hold_for(HttpExchange *c, int r, uint64_t seq) {
        if (r >= 0 && seq > 0)
                http_exchange_hold(c, seq);
        return r;
}

/* The steps as JSON text, written straight into one buffer: a json-c
 * object per step cost more than the rest of the decision's record. */
typedef struct StepsText {
        char *p;
        size_t n, cap;
} StepsText;

static int steps_put(void *userdata, const void *p, size_t size) {
        StepsText *t = userdata;

        if (t->n + size + 1 > t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 4096;
                char *q;

                while (cap < t->n + size + 1)
                        cap *= 2;
                q = realloc(t->p, cap);
                if (!q)
                        return -ENOMEM;
                t->p = q;
                t->cap = cap;
        }
        memcpy(t->p + t->n, p, size);
        t->n += size;
        t->p[t->n] = '\0';
        return 0;
}

/* "name":"value" with the value escaped as JSON; a value that is not
 * UTF-8 (a certificate's name can hold anything) is escaped by json-c. */
static int steps_member(StepsText *t, const char *name, const char *value, bool first) {
        int r;

        if ((r = steps_put(t, first ? "{\"" : ",\"", 2)) < 0 ||
            (r = steps_put(t, name, strlen(name))) < 0 || (r = steps_put(t, "\":", 2)) < 0)
                return r;
        r = canonical_json_string_write(value, strlen(value), steps_put, t);
        if (r == -EBADMSG) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_string(value);
                const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)
                                     : NULL;

                r = text ? steps_put(t, text, strlen(text)) : -ENOMEM;
        }
        return r;
}

static int steps_to_text(const Appraisal *ap, char **ret) {
        StepsText t = {};
        int r = steps_put(&t, "[", 1);

        for (size_t i = 0; r >= 0 && i < ap->n_steps && i < APPRAISAL_MAX_STEPS; i++) {
                const AppraisalStep *st = &ap->steps[i];

                if (i > 0 && (r = steps_put(&t, ",", 1)) < 0)
                        break;
                if ((r = steps_member(&t, "name", st->name ?: "", true)) < 0 ||
                    (r = steps_member(&t, "status", step_status_to_string(st->status) ?: "",
                                      false)) < 0)
                        break;
                if (st->reason && (r = steps_member(&t, "reason", st->reason, false)) < 0)
                        break;
                if (st->detail[0] && (r = steps_member(&t, "detail", st->detail, false)) < 0)
                        break;
                r = steps_put(&t, "}", 1);
        }
        if (r >= 0)
                r = steps_put(&t, "]", 1);
        if (r < 0) {
                free(t.p);
                return r;
        }
        *ret = t.p;
        return 0;
}

/* Names the node: an identity the appraisal found in the evidence if there
 * is one (a "node_id" claim, else the SNP chip_id), else the vTPM's AK,
 * else the tee-pubkey's thumbprint, which names only this session's key. */
static const char *find_string_member(json_object *o, const char *name, unsigned depth) {
        json_object *v;

        if (!o || !json_object_is_type(o, json_type_object))
                return NULL;
        if (json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        if (depth == 0)
                return NULL;
        json_object_object_foreach(o, key, child) {
                const char *found;
                (void)key;
                found = find_string_member(child, name, depth - 1);
                if (found)
                        return found;
        }
        return NULL;
}

static bool is_hex_nonzero(const char *s) {
        bool nonzero = false;

        if (!s || !*s)
                return false;
        for (; *s; s++) {
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
                      (*s >= 'A' && *s <= 'F')))
                        return false;
                if (*s != '0')
                        nonzero = true;
        }
        return nonzero;
}

static void node_from_claims(Decision *d, json_object *claims) {
        const char *v;
        char buf[40];

        v = find_string_member(claims, "node_id", 0);
        if (v && *v) {
                snprintf(d->node, sizeof(d->node), "%s", peer_str(v, buf));
                d->node_kind = "claims";
                return;
        }
        /* A guest policy with MASK_CHIP_ID gets reports whose chip_id is
         * zeroed; zeros name nobody. */
        v = find_string_member(claims, "chip_id", 2);
        if (is_hex_nonzero(v)) {
                snprintf(d->node, sizeof(d->node), "chip_id:%.64s", v);
                d->node_kind = "chip_id";
        }
}

/* A TPM's AK made as a primary in the endorsement hierarchy is the same on
 * every boot of that TPM: a better name than a per-session key. */
static void node_from_ak(Decision *d, const KbsEvidence *ev) {
        uint8_t md[32];
        char hex[2 * 16 + 1];

        if (d->node_kind || !ev || !ev->has_tpm || ev->tpm.ak_public.size == 0)
                return;
        if (evp_fetch_sha256_digest(ev->tpm.ak_public.data, ev->tpm.ak_public.size, md) < 0)
                return;
        hex_encode_to(md, 16, hex);
        snprintf(d->node, sizeof(d->node), "tpm-ak:%s", hex);
        d->node_kind = "tpm-ak";
}

static void node_from_key(Decision *d, json_object *jwk) {
        uint8_t tp[JWK_THUMBPRINT_SIZE];
        char hex[2 * 16 + 1];

        if (d->node_kind || !jwk || jwk_thumbprint(jwk, tp) < 0)
                return;
        hex_encode_to(tp, 16, hex);
        snprintf(d->node, sizeof(d->node), "tee-pubkey:%s", hex);
        d->node_kind = "tee-pubkey";
}

/* ---- handlers ---- */

static int handle_healthz(Server *s, HttpExchange *c, Request *req,
                                      const char *url) {
        Reply rp = {
                .status = 200,
                .content_type = "text/plain; charset=utf-8",
                .body = strdup("ok\n"),
                .size = 3,
        };
        (void)url;
        if (!rp.body)
                return -ENOMEM;
        return answer(s, c, req, &rp);
}

static int handle_metrics(Server *s, HttpExchange *c, Request *req,
                                      const char *url) {
        MetricsGauges g = {};
        Reply rp = {
                .status = 200,
                .content_type = "text/plain; version=0.0.4; charset=utf-8",
        };
        int r;

        (void)url;
        for (SessionState st = 0; st < _SESSION_STATE_MAX; st++)
                g.sessions[st] = session_table_count(s->cfg.sessions, st);
        if (s->cfg.store) {
                store_stats(s->cfg.store, &g.store);
                g.have_store = true;
        }
        g.connections = s->http ? http_server_connections(s->http) : 0;
        r = metrics_render(s->cfg.metrics, &g, &rp.body, &rp.size);
        if (r < 0)
                return internal_error(s, c, req, r, "render metrics");
        return answer(s, c, req, &rp);
}

static int handle_auth(Server *s, HttpExchange *c, Request *req,
                                   const char *url) {
        _cleanup_(kbs_request_freep) KbsRequest *kr = NULL;
        _cleanup_free_ char *body = NULL, *cookie = NULL;
        KbsProtoError perr = {};
        SessionInfo info;
        char buf[40], ebuf[300];
        int r;

        (void)url;
        r = kbs_request_parse(req->body, req->size, &kr, &perr);
        if (r == -ENOMEM)
                return internal_error(s, c, req, r, "parse a Request");
        if (r < 0) {
                metrics_auth(s->cfg.metrics, false);
                return problem(s, c, req, KBS_ERROR_SERDE_ERROR, 0, "request.malformed: %s",
                               kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
        }
        if (!kbs_version_is_supported(kr->version)) {
                metrics_auth(s->cfg.metrics, false);
                return problem(s, c, req, KBS_ERROR_ATTESTATION_ERROR, 0,
                               "protocol.version: version '%s' is not %s",
                               peer_str(kr->version, buf), KBS_PROTOCOL_VERSION);
        }
        if (!tee_is_appraised(kr->tee)) {
                metrics_auth(s->cfg.metrics, false);
                return problem(s, c, req, KBS_ERROR_ATTESTATION_ERROR, 0,
                               "evidence.tee_unsupported: tee '%s' is not appraised here "
                               "(snp, tdx, az-snp-vtpm, az-tdx-vtpm, tpm)",
                               kbs_tee_to_string(kr->tee) ?: "?");
        }
        /* SHA-384, as Trustee binds snp, tdx and the vTPM TEEs; the Challenge
         * says nothing, which means SHA-384 to every client. */
        r = session_new(s->cfg.sessions, kr->tee, KBS_HASH_SHA384, session_now(), &info);
        if (r == -EBUSY) {
                metrics_auth(s->cfg.metrics, false);
                return problem_busy(
                        s, c, req, KBS_ERROR_ATTESTATION_ERROR,
                        "server.busy: %zu sessions open, the most this verifier keeps; retry "
                        "in %u s",
                        session_table_max(s->cfg.sessions), SERVER_RETRY_AFTER);
        }
        if (r < 0)
                return internal_error(s, c, req, r, "open a session");
        r = kbs_challenge_build(info.nonce, NULL, &body);
        if (r < 0)
                return internal_error(s, c, req, r, "build a Challenge");
        if (asprintf(&cookie,
                     KBS_SESSION_COOKIE "=%s; Path=/kbs/v0; Max-Age=%" PRIu64
                                        "; Secure; HttpOnly; SameSite=Strict",
                     info.id, session_table_ttl(s->cfg.sessions) / 1000000u) < 0) {
                cookie = NULL;
                memory_wipe(info.id, sizeof(info.id));
                return internal_error(s, c, req, -ENOMEM, "build a cookie");
        }
        memory_wipe(info.id, sizeof(info.id));
        metrics_auth(s->cfg.metrics, true);
        log_debug("Session %s opened for tee %s", info.fingerprint, kbs_tee_to_string(kr->tee));
        {
                int res =
                        answer_json(s, c, req, 200, TAKE_PTR(body), false, cookie);
                memory_wipe(cookie, strlen(cookie));
                return res;
        }
}

/* Everything after the nonce was claimed: parse, bind, appraise, and on
 * acceptance attest the session, which mints the token (ret_token). Fills
 * d either way; returns < 0 only when the appraisal could not run. */
static int attest_decide(Server *s, Request *req, const char *cookie, Decision *d,
                         char **ret_token) {
        _cleanup_(kbs_attestation_freep) KbsAttestation *att = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *ev = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        KbsProtoError perr = {};
        JwkError jerr = {};
        JwkAlg alg;
        AppraisalInput in = {};
        Appraisal ap = {};
        Generation *g;
        char buf[40], ebuf[300];
        int r;

        r = kbs_attestation_parse(req->body, req->size, &att, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                decision_fail(d, "request.malformed", "%s",
                              kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
                return 0;
        }
        if (att->legacy || !att->nonce) {
                decision_fail(
                        d, "protocol.version",
                        "the Attestation has the shape of a protocol before %s (no runtime-data)",
                        KBS_PROTOCOL_VERSION);
                return 0;
        }
        node_from_key(d, att->tee_pubkey);
        /* The nonce is public; what matters is that it is this session's. */
        if (strcmp(att->nonce, d->info.nonce) != 0) {
                decision_fail(d, "nonce.mismatch",
                              "runtime-data.nonce '%s' is not the nonce of this session",
                              peer_str(att->nonce, buf));
                return 0;
        }
        r = kbs_evidence_from_json(d->info.tee, att->primary_evidence, att->additional_evidence,
                                   &ev, &perr);
        if (r == -ENOMEM)
                return r;
        if (r == -EOPNOTSUPP) {
                decision_fail(d, "evidence.tee_unsupported", "tee '%s': %s",
                              kbs_tee_to_string(d->info.tee),
                              kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
                return 0;
        }
        if (r < 0) {
                decision_fail(d, "evidence.malformed", "%s",
                              kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
                return 0;
        }
        r = jwk_to_pkey(att->tee_pubkey, &key, &alg, &jerr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                decision_fail(d, "request.tee_pubkey", "runtime-data.tee-pubkey%s%s: %s",
                              jerr.member ? "." : "", jerr.member ?: "", jerr.what ?: strerror(-r));
                return 0;
        }
        r = appraisal_input_from_attestation(d->info.nonce, d->info.hash_alg, att, ev, &in);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                decision_fail(d, "request.tee_pubkey",
                              "cannot compute the binding of this session: %s", strerror(-r));
                return 0;
        }
        in.at = time(NULL);

        g = generation_get(s);
        if (!g)
                return -ESRCH;
        r = appraise(g->appraiser, &in, &ap);
        generation_put(g);
        if (r < 0) {
                appraisal_done(&ap);
                return r;
        }
        (void)steps_to_text(&ap, &d->steps);
        d->vtpm = ap.vtpm; /* static strings */
        /* The tee-pubkey named the node so far; evidence names it better. */
        d->node_kind = NULL;
        d->node[0] = '\0';
        node_from_claims(d, ap.claims);
        node_from_ak(d, ev);
        node_from_key(d, att->tee_pubkey);
        if (!ap.accepted) {
                decision_fail(d, ap.reason ?: "appraisal.rejected", "%s", ap.detail);
                appraisal_done(&ap);
                return 0;
        }
        appraisal_done(&ap);

        r = session_attest(s->cfg.sessions, cookie, key, alg, d->node, session_now(), ret_token);
        if (r == -ENOENT || r == -ESTALE) {
                decision_fail(d, "session.expired",
                              "the session expired while its evidence was appraised");
                return 0;
        }
        if (r < 0)
                return r;
        d->accepted = true;
        d->reason = "ok";
        snprintf(d->detail, sizeof(d->detail), "evidence accepted (vtpm: %s)", d->vtpm ?: "none");
        return 0;
}

static int handle_attest(Server *s, HttpExchange *c, Request *req,
                                     const char *url) {
        const char *cookie = http_head_cookie(http_exchange_head(c), KBS_SESSION_COOKIE);
        _cleanup_free_ char *body = NULL;
        Decision d = {};
        char *token = NULL;
        uint64_t duration, seq;
        int r;

        (void)url;
        r = session_claim(s->cfg.sessions, cookie, session_now(), &d.info);
        if (r == -ENOENT)
                return problem(
                        s, c, req, KBS_ERROR_ATTESTATION_ERROR, 0,
                        cookie ? "session.unknown: the kbs-session-id cookie names no session "
                                 "here; POST /kbs/v0/auth first"
                               : "session.unknown: no kbs-session-id cookie; POST /kbs/v0/auth "
                                 "first");
        if (r == -ETIMEDOUT)
                return problem(s, c, req, KBS_ERROR_ATTESTATION_ERROR, 0,
                               "session.expired: the session expired; POST /kbs/v0/auth again");
        if (r == -EALREADY)
                return problem(s, c, req, KBS_ERROR_ATTESTATION_ERROR, 0,
                               "nonce.reused: the nonce of this session was already used by an "
                               "attestation; POST /kbs/v0/auth for a new one");
        if (r < 0)
                return internal_error(s, c, req, r, "look up a session");

        /* From here on the nonce is spent: whatever happens is a decision,
         * and only an acceptance leaves the session alive. */
        r = attest_decide(s, req, cookie, &d, &token);
        duration = session_now() - req->start;
        if (r < 0) {
                session_reject(s->cfg.sessions, cookie);
                decision_fail(&d, "server.internal", "the appraisal could not run: %s",
                              strerror(-r));
                seq = record_decision(s, &d, duration, METRICS_ERROR);
                decision_done(&d);
                return hold_for(c, internal_error(s, c, req, r, "appraise evidence"), seq);
        }
        if (!d.accepted)
                session_reject(s->cfg.sessions, cookie);
        seq = record_decision(s, &d, duration, d.accepted ? METRICS_ACCEPTED : METRICS_REJECTED);
        decision_done(&d);
        if (!d.accepted)
                return hold_for(c,
                                problem(s, c, req,
                                        strcmp(d.reason, "request.malformed") == 0
                                                ? KBS_ERROR_SERDE_ERROR
                                                : KBS_ERROR_ATTESTATION_ERROR,
                                        0, "%s: %s", d.reason, d.detail),
                                seq);
        r = kbs_attestation_response_build(token, &body);
        free_wiped(token);
        if (r < 0)
                return hold_for(c, internal_error(s, c, req, r, "build an AttestationResponse"),
                                seq);
        return hold_for(c, answer_json(s, c, req, 200, TAKE_PTR(body), true, NULL), seq);
}

/* Splits "<repo>/<type>/<tag>" into its three checked segments. */
static bool split_resource_path(const char *p, char repo[static SEGMENT_MAX + 1],
                                char type[static SEGMENT_MAX + 1],
                                char tag[static SEGMENT_MAX + 1]) {
        char *out[3] = {repo, type, tag};

        for (size_t i = 0; i < 3; i++) {
                const char *end = strchr(p, '/');
                size_t n = end ? (size_t)(end - p) : strlen(p);

                if ((i < 2) != (end != NULL))
                        return false;
                if (!server_segment_is_valid(p, n))
                        return false;
                memcpy(out[i], p, n);
                out[i][n] = '\0';
                p += n + (end ? 1 : 0);
        }
        return true;
}

/* Who is asking: an attested session by cookie, else by bearer token, as
 * Trustee tries the session first and the Authorization header second. */
static int resource_grant(Server *s, HttpExchange *c, Request *req,
                                      SessionGrant *ret, bool *ret_ok) {
        const char *cookie = http_head_cookie(http_exchange_head(c), KBS_SESSION_COOKIE);
        const char *authz =
                http_head_field(http_exchange_head(c), "Authorization");
        uint64_t now = session_now();
        int r = cookie ? session_grant_by_cookie(s->cfg.sessions, cookie, now, ret) : -ENOENT;

        *ret_ok = false;
        if (r >= 0) {
                *ret_ok = true;
                return 0;
        }
        if (r != -ENOENT && r != -ETIMEDOUT && r != -EACCES)
                return internal_error(s, c, req, r, "look up a session");
        if (authz) {
                const char *tok;
                int rt;

                if (strncasecmp(authz, "Bearer ", 7) != 0)
                        return problem(
                                s, c, req, KBS_ERROR_TOKEN_VERIFIER_ERROR, 0,
                                "token.scheme: the Authorization header is not a Bearer token");
                for (tok = authz + 7; *tok == ' '; tok++)
                        ;
                rt = session_grant_by_token(s->cfg.sessions, tok, now, ret);
                if (rt >= 0) {
                        *ret_ok = true;
                        return 0;
                }
                if (rt == -ETIMEDOUT)
                        return problem(
                                s, c, req, KBS_ERROR_TOKEN_VERIFIER_ERROR, 0,
                                "token.expired: the session of this token expired; attest again");
                if (rt == -ENOENT)
                        return problem(
                                s, c, req, KBS_ERROR_TOKEN_VERIFIER_ERROR, 0,
                                "token.unknown: the bearer token names no attested session here");
                return internal_error(s, c, req, rt, "look up a token");
        }
        if (!cookie)
                return problem(
                        s, c, req, KBS_ERROR_TOKEN_NOT_FOUND, 0,
                        "token.missing: no kbs-session-id cookie and no Authorization: Bearer "
                        "token; attest first");
        if (r == -ETIMEDOUT)
                return problem(s, c, req, KBS_ERROR_TOKEN_NOT_FOUND, 0,
                               "session.expired: the session expired; attest again");
        if (r == -EACCES)
                return problem(s, c, req, KBS_ERROR_TOKEN_NOT_FOUND, 0,
                               "session.not_attested: this session has not been attested");
        return problem(s, c, req, KBS_ERROR_TOKEN_NOT_FOUND, 0,
                       "session.unknown: the kbs-session-id cookie names no session here");
}

static int handle_resource(Server *s, HttpExchange *c, Request *req,
                                       const char *url) {
        char repo[SEGMENT_MAX + 1], type[SEGMENT_MAX + 1], tag[SEGMENT_MAX + 1],
                path[3 * SEGMENT_MAX + 3];
        char buf[40];
        _cleanup_(secret_freep) Secret *plain = NULL;
        _cleanup_free_ char *jwe = NULL;
        uint8_t token_hash[RELEASE_TOKEN_HASH_SIZE];
        _cleanup_(session_grant_done) SessionGrant grant = {};
        PolicyResource rule;
        const PolicyResource *found;
        const char *kind;
        int res;
        size_t jwe_size = 0;
        uint64_t held = 0;
        time_t expires = 0;
        Generation *g;
        bool ok;
        int r;

        if (!split_resource_path(url + strlen(RESOURCE_PREFIX), repo, type, tag))
                return problem(
                        s, c, req, KBS_ERROR_INVALID_REQUEST_PATH, 0,
                        "resource.path: '%s' is not <repo>/<type>/<tag> with each segment of "
                        "[A-Za-z0-9._-], 1 to 64 characters",
                        peer_str(url + strlen(RESOURCE_PREFIX), buf));
        snprintf(path, sizeof(path), "%s/%s/%s", repo, type, tag);

        res = resource_grant(s, c, req, &grant, &ok);
        if (!ok) {
                metrics_resource(s->cfg.metrics, METRICS_RESOURCE_UNAUTHENTICATED);
                return res;
        }

        g = generation_get(s);
        if (!g) {
                return internal_error(s, c, req, -ESRCH, "find the policy");
        }
        found = policy_find_resource(g->policy, repo, type, tag);
        if (found)
                rule = *found;
        generation_put(g);
        if (!found) {
                metrics_resource(s->cfg.metrics, METRICS_RESOURCE_UNKNOWN);
                /* Trustee answers a resource its store lacks with
                 * PluginInternalError (401), after the token was checked. */
                return problem(s, c, req, KBS_ERROR_PLUGIN_INTERNAL_ERROR, 0,
                               "resource.unknown: the policy names no resource '%s'", path);
        }
        if (grant.tee < 0 || grant.tee >= 32 || !(rule.tees & (1u << grant.tee))) {
                log_notice("Refused '%s' to node %s, session %s: tee %s may not fetch it", path,
                           grant.node[0] ? grant.node : "unknown", grant.fingerprint,
                           kbs_tee_to_string(grant.tee));
                metrics_resource(s->cfg.metrics, METRICS_RESOURCE_DENIED);
                return problem(s, c, req, KBS_ERROR_POLICY_DENY, 0,
                               "policy.resource_denied: tee '%s' may not fetch '%s'",
                               kbs_tee_to_string(grant.tee) ?: "?", path);
        }

        switch (rule.kind) {
        case RESOURCE_DISK_KEY:
                if (!release_uuid_is_canonical(tag)) {
                        metrics_resource(s->cfg.metrics, METRICS_RESOURCE_UNKNOWN);
                        return problem(
                                s, c, req, KBS_ERROR_INVALID_REQUEST_PATH, 0,
                                "resource.tag_invalid: a disk-key tag is a canonical lower-case "
                                "UUID, not '%s'",
                                tag);
                }
                r = release_disk_key(s->cfg.master, tag, &plain);
                break;
        case RESOURCE_JOIN_BUNDLE:
                if (!s->cfg.join) {
                        metrics_resource(s->cfg.metrics, METRICS_RESOURCE_ERROR);
                        return problem(
                                s, c, req, KBS_ERROR_PLUGIN_INTERNAL_ERROR, 0,
                                "release.join_unconfigured: this verifier was started without "
                                "--api-server and --cluster-ca");
                }
                r = release_join_bundle(s->cfg.join, time(NULL), &plain, token_hash, &expires);
                break;
        default:
                r = -EOPNOTSUPP;
        }
        if (r < 0) {
                metrics_resource(s->cfg.metrics, METRICS_RESOURCE_ERROR);
                log_error_errno(r, "Cannot make '%s' for session %s: %m", path, grant.fingerprint);
                return problem(s, c, req, KBS_ERROR_PLUGIN_INTERNAL_ERROR, 0,
                               "release.failed: cannot make '%s': %s", path, strerror(-r));
        }
        r = jwe_encrypt(grant.key, grant.alg, plain->data, plain->size, NULL, &jwe, &jwe_size);
        if (r < 0) {
                metrics_resource(s->cfg.metrics, METRICS_RESOURCE_ERROR);
                return problem(s, c, req, KBS_ERROR_JWE_ERROR, 0,
                               "jwe.encrypt: cannot encrypt '%s' to the tee-pubkey: %s", path,
                               strerror(-r));
        }
        kind = rule.kind == RESOURCE_DISK_KEY ? "disk-key" : "join-bundle";
        if (s->cfg.store) {
                uint64_t seq = 0;

                if (rule.kind == RESOURCE_JOIN_BUNDLE) {
                        r = store_add_token(s->cfg.store, token_hash,
                                            grant.node[0] ? grant.node : NULL, (int64_t)time(NULL),
                                            (int64_t)expires, &seq);
                        if (r < 0)
                                log_error_errno(r,
                                                "Cannot record the token minted for session %s: %m",
                                                grant.fingerprint);
                }
                r = store_add_release(s->cfg.store, (int64_t)time(NULL), grant.fingerprint,
                                      grant.node[0] ? grant.node : NULL, path, kind, plain->size,
                                      &seq);
                if (r < 0)
                        log_error_errno(r, "Cannot record the release of '%s': %m", path);
                /* On record before it leaves: a minted token is known to the
                 * audit trail before anyone can hold it. The answer is held
                 * (not the thread) until the writer has it on disk. */
                held = seq;
        }
        log_info("Released '%s' (%s, %zu bytes) to node %s, session %s", path, kind, plain->size,
                 grant.node[0] ? grant.node : "unknown", grant.fingerprint);
        metrics_release(s->cfg.metrics, rule.kind);
        metrics_resource(s->cfg.metrics, METRICS_RESOURCE_RELEASED);
        return hold_for(c, answer_json(s, c, req, 200, TAKE_PTR(jwe), false, NULL), held);
}

/* ---- routing and request bodies ---- */

static const Route routes[] = {
        {"/kbs/v0/auth", false, "POST", handle_auth, KBS_PROTO_MAX_REQUEST},
        {"/kbs/v0/attest", false, "POST", handle_attest, SIZE_MAX},
        {RESOURCE_PREFIX, true, "GET", handle_resource, 0},
        {"/healthz", false, "GET", handle_healthz, 0},
        {"/metrics", false, "GET", handle_metrics, 0},
};

/* The head is in: pick the route and the body limit, or answer at once. */
static void on_head(void *userdata, HttpExchange *c) {
        Server *s = userdata;
        const HttpHead *h = http_exchange_head(c);
        const char *url = h->path, *method = h->method;
        const Route *known = NULL, *route = NULL;
        Request req = {.start = http_exchange_start(c)};
        char buf[40];

        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                const Route *rt = &routes[i];
                bool match = rt->prefix ? strncmp(url, rt->path, strlen(rt->path)) == 0
                                        : strcmp(url, rt->path) == 0;
                if (!match)
                        continue;
                known = rt;
                if (strcmp(method, rt->method) == 0) {
                        route = rt;
                        break;
                }
        }
        if (!route) {
                if (known) {
                        (void)problem_allow(s, c, &req, KBS_ERROR_INVALID_REQUEST_PATH, 405,
                                            known->method,
                                            "request.method: %s is not allowed on %s; use %s",
                                            peer_str(method, buf), known->path, known->method);
                        return;
                }
                if (strncmp(url, KBS_PREFIX, strlen(KBS_PREFIX)) == 0) {
                        const char *plugin = url + strlen(KBS_PREFIX);
                        char name[40];
                        size_t n = strcspn(plugin, "/");
                        snprintf(name, sizeof(name), "%.*s", (int)(n < 32 ? n : 32), plugin);
                        (void)problem(s, c, &req, KBS_ERROR_PLUGIN_NOT_FOUND, 0,
                                      "request.path: no plugin '%s' here (auth, attest, resource)",
                                      peer_str(name, buf));
                        return;
                }
                (void)problem(s, c, &req, KBS_ERROR_INVALID_REQUEST_PATH, 0,
                              "request.path: '%s' names no endpoint", peer_str(url, buf));
                return;
        }
        http_exchange_set_user(c, route);
        http_exchange_set_limit(c, route->max_body == SIZE_MAX ? s->cfg.max_body
                                                               : route->max_body);
}

static void on_request(void *userdata, HttpExchange *c) {
        Server *s = userdata;
        Request req = {
                .route = http_exchange_user(c),
                .start = http_exchange_start(c),
        };

        http_exchange_body(c, &req.body, &req.size);
        (void)req.route->handler(s, c, &req, http_exchange_head(c)->path);
}

/* What the transport refuses before a handler runs. */
static void on_problem(void *userdata, HttpExchange *c, unsigned status, const char *what,
                       uint64_t declared) {
        Server *s = userdata;
        const Route *route = http_exchange_user(c);
        Request req = {.route = route, .start = http_exchange_start(c)};
        size_t limit = !route                       ? 0
                       : route->max_body == SIZE_MAX ? s->cfg.max_body
                                                     : route->max_body;

        if (status == 413 && route && declared > 0)
                (void)problem(s, c, &req, KBS_ERROR_SERDE_ERROR, 413,
                              "request.too_large: a body of %" PRIu64
                              " bytes is over the limit of %zu bytes for %s",
                              declared, limit, route->path);
        else if (status == 413 && route)
                (void)problem(s, c, &req, KBS_ERROR_SERDE_ERROR, 413,
                              "request.too_large: the body is over the limit of %zu bytes for %s",
                              limit, route->path);
        else
                (void)problem(s, c, &req, KBS_ERROR_SERDE_ERROR, status, "http.malformed: %s",
                              what);
}

static void on_committed(void *userdata) {
        Server *s = userdata;

        http_server_recheck(s->http);
}

static bool on_ready(void *userdata, uint64_t ticket) {
        Server *s = userdata;

        return !s->cfg.store || store_is_committed(s->cfg.store, ticket);
}

static void on_refused(void *userdata) {
        Server *s = userdata;

        metrics_connection_refused(s->cfg.metrics);
}

/* ---- lifecycle ---- */

static int parse_listen(const char *text, struct sockaddr_storage *ret, bool *ret_v6) {
        char host[INET6_ADDRSTRLEN + 2];
        const char *port_str, *end;
        unsigned long port;
        char *e;

        if (!text || !*text)
                return -EINVAL;
        if (text[0] == '[') {
                end = strchr(text, ']');
                if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, text + 1, (size_t)(end - text - 1));
                host[end - text - 1] = '\0';
                port_str = end + 2;
        } else {
                end = strrchr(text, ':');
                if (!end || (size_t)(end - text) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, text, (size_t)(end - text));
                host[end - text] = '\0';
                port_str = end + 1;
        }
        errno = 0;
        port = strtoul(port_str, &e, 10);
        if (errno != 0 || e == port_str || *e != '\0' || port > 65535 || port_str[0] == '-' ||
            port_str[0] == '+')
                return -EINVAL;
        *ret = (struct sockaddr_storage){};
        if (text[0] == '[') {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)ret;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t)port);
                if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
                        return -EINVAL;
                *ret_v6 = true;
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *)ret;
                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t)port);
                if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                        return -EINVAL;
                *ret_v6 = false;
        }
        return 0;
}

int server_new(const ServerConfig *c, Policy *policy, Appraiser *appraiser, Server **ret) {
        Server *s;
        int r;

        if (!c || !c->tls_cert_pem || !c->tls_key_pem || !c->sessions || !c->metrics ||
            !c->master || c->threads == 0 || c->max_connections == 0 || c->max_body == 0) {
                appraiser_free(appraiser);
                policy_free(policy);
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                appraiser_free(appraiser);
                policy_free(policy);
                return -ENOMEM;
        }
        pthread_mutex_init(&s->gen_lock, NULL);
        s->cfg = *c;
        s->listen = strdup(c->listen ? c->listen : SERVER_DEFAULT_LISTEN);
        s->tls_cert = strdup(c->tls_cert_pem);
        s->cfg.listen = s->listen;
        s->cfg.tls_cert_pem = s->tls_cert;
        r = generation_new(policy, appraiser, &s->gen);
        if (r >= 0 && (!s->listen || !s->tls_cert))
                r = -ENOMEM;
        if (r >= 0)
                r = secret_new(c->tls_key_pem->size + 1, &s->tls_key);
        if (r < 0) {
                server_free(s);
                return r;
        }
        memcpy(s->tls_key->data, c->tls_key_pem->data, c->tls_key_pem->size);
        s->tls_key->data[c->tls_key_pem->size] = '\0';
        s->cfg.tls_key_pem = NULL;
        *ret = s;
        return 0;
}

int server_start(Server *s, char *err, size_t err_size) {
        HttpServerConfig hc = {
                .cert_pem = s->tls_cert,
                .key_pem = s->tls_key,
                .threads = s->cfg.threads,
                .max_connections = s->cfg.max_connections,
                .idle_timeout_s = SERVER_CONNECTION_TIMEOUT,
                .discard_max = DISCARD_MAX,
                .handlers = {
                        .userdata = s,
                        .on_head = on_head,
                        .on_request = on_request,
                        .on_problem = on_problem,
                        .on_refused = on_refused,
                        .ready = on_ready,
                },
        };
        bool v6 = false;
        char why[200] = "";
        int r;

        r = parse_listen(s->listen, &hc.addr, &v6);
        if (r < 0) {
                snprintf(err, err_size, "--listen '%s' is not ADDR:PORT or [ADDR6]:PORT",
                         s->listen);
                return r;
        }
        r = http_server_new(&hc, &s->http, why, sizeof(why));
        if (r >= 0)
                r = http_server_start(s->http, why, sizeof(why));
        if (r < 0) {
                snprintf(err, err_size, "cannot serve HTTPS on %s: %s", s->listen,
                         why[0] ? why : strerror(-r));
                return r;
        }
        s->port = http_server_port(s->http);
        /* Held answers go out as soon as their batch is committed. */
        if (s->cfg.store) {
                store_set_commit_hook(s->cfg.store, on_committed, s);
                s->commit_hooked = true;
        }
        return 0;
}

uint16_t server_port(Server *s) {
        return s->port;
}

void server_free(Server *s) {
        if (!s)
                return;
        if (s->commit_hooked)
                store_set_commit_hook(s->cfg.store, NULL, NULL);
        http_server_free(s->http);
        generation_put(s->gen);
        secret_free(s->tls_key);
        free(s->tls_cert);
        free(s->listen);
        pthread_mutex_destroy(&s->gen_lock);
        free(s);
}
