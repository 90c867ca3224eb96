/* The KBS protocol session, spoken over kbs-http: one round of auth,
 * evidence, attest and resources against one endpoint, with every failure
 * sorted into transient, rejected or fatal. Nothing here logs above debug
 * level; the agent's attest phase logs once per failure. */

#include "confnode/kbs/kbs-client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/crypto/jwe.h"

/* How much of a peer's text goes into a message. */
#define KBS_CLIENT_QUOTE_MAX 200

static const char *const kbs_outcome_names[_KBS_OUTCOME_MAX] = {
        [KBS_OUTCOME_OK] = "ok",
        [KBS_OUTCOME_TRANSIENT] = "transient",
        [KBS_OUTCOME_REJECTED] = "rejected",
        [KBS_OUTCOME_FATAL] = "fatal",
};

static const char *const kbs_step_names[_KBS_STEP_MAX] = {
        [KBS_STEP_AUTH] = "auth",
        [KBS_STEP_EVIDENCE] = "evidence",
        [KBS_STEP_ATTEST] = "attest",
        [KBS_STEP_RESOURCE] = "resource",
};

const char *kbs_outcome_to_string(KbsOutcome o) {
        if (o < 0 || o >= _KBS_OUTCOME_MAX)
                return NULL;
        return kbs_outcome_names[o];
}

const char *kbs_step_to_string(KbsStep s) {
        if (s < 0 || s >= _KBS_STEP_MAX)
                return NULL;
        return kbs_step_names[s];
}

int kbs_failure_set(KbsFailure *f, KbsOutcome outcome, KbsStep step, int error, const char *reason,
                    const char *fmt, ...) {
        va_list ap;

        f->outcome = outcome;
        f->step = step;
        f->error = error < 0 ? error : -abs(error ? error : EIO);
        snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
        va_start(ap, fmt);
        vsnprintf(f->what, sizeof(f->what), fmt, ap);
        va_end(ap);
        return f->error;
}

/* Peer text for a message: at most KBS_CLIENT_QUOTE_MAX bytes, control
 * and non-ASCII bytes replaced, so a verifier cannot forge log lines. */
static const char *kbs_client_clean(const char *s, char buf[static KBS_CLIENT_QUOTE_MAX + 4]) {
        size_t i = 0;

        for (; s && s[i] && i < KBS_CLIENT_QUOTE_MAX; i++) {
                unsigned char ch = (unsigned char)s[i];

                buf[i] = ch >= 0x20 && ch < 0x7f && ch != '\'' ? (char)ch : '?';
        }
        if (s && s[i]) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = 0;
        return buf;
}

/* A reason code as the verifier puts it at the start of its detail:
 * dotted lower-case words ("snp.measurement"), then ':'. */
static size_t kbs_client_reason_prefix(const char *detail) {
        size_t i = 0, dots = 0;

        if (!detail || !(detail[0] >= 'a' && detail[0] <= 'z'))
                return 0;
        for (; detail[i] && detail[i] != ':'; i++) {
                char ch = detail[i];

                if (ch == '.') {
                        if (detail[i + 1] == '.' || detail[i + 1] == ':' || detail[i + 1] == 0)
                                return 0;
                        dots++;
                } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                             ch == '-'))
                        return 0;
                if (i + 1 >= KBS_CLIENT_MAX_REASON)
                        return 0;
        }
        return detail[i] == ':' && dots > 0 ? i : 0;
}

static bool kbs_client_segment_char(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
               ch == '.' || ch == '_' || ch == '-';
}

bool kbs_resource_path_valid(const char *path) {
        const char *p = path;

        if (!path)
                return false;
        for (int seg = 0; seg < 3; seg++) {
                size_t n = 0;

                while (p[n] && p[n] != '/') {
                        if (!kbs_client_segment_char(p[n]))
                                return false;
                        n++;
                }
                if (n == 0 || n > KBS_CLIENT_MAX_RESOURCE_SEGMENT)
                        return false;
                if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (seg < 2) {
                        if (*p != '/')
                                return false;
                        p++;
                }
        }
        return *p == 0;
}

size_t kbs_client_n_endpoints(const KbsClient *c) {
        size_t n = 0;

        while (c->urls && c->urls[n])
                n++;
        return n;
}

void kbs_exchange_done(KbsExchange *e) {
        if (!e)
                return;
        free(e->url);
        free(e->request);
        free(e->challenge);
        free(e->attestation);
        *e = (KbsExchange){};
}

void kbs_round_result_done(KbsRoundResult *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_released; i++) {
                free(r->released[i].path);
                secret_free(r->released[i].value);
        }
        free(r->released);
        *r = (KbsRoundResult){};
}

/* What a round carries from step to step. */
typedef struct KbsRound {
        const KbsClient *client;
        const char *base; /* the endpoint's base URL */
        size_t base_len;  /* without trailing slashes */
        char *cookie;
        Secret *token; /* NUL-terminated */
        KbsFailure *f;
} KbsRound;

static int kbs_round_url(const KbsRound *rd, const char *path, char **ret) {
        if (asprintf(ret, "%.*s%s", (int)rd->base_len, rd->base, path) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int kbs_round_send(KbsRound *rd, KbsStep step, KbsHttpMethod method, const char *path,
                          const char *body, size_t body_size, size_t max, KbsHttpResponse *ret) {
        const KbsClient *c = rd->client;
        _cleanup_free_ char *url = NULL;
        char what[KBS_HTTP_MAX_WHAT] = "";
        const char *bearer = NULL;
        KbsHttpRequest req;
        const char *reason;
        KbsOutcome o = KBS_OUTCOME_TRANSIENT;
        int r;

        r = kbs_round_url(rd, path, &url);
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, step, r, "agent.oom",
                                       "out of memory");
        if (rd->token && step == KBS_STEP_RESOURCE) {
                /* Trustee takes the token or the cookie; we send both, as
                 * guest components do. A token that cannot go into a
                 * header safely is left out, and the cookie suffices. */
                bearer = (const char *)rd->token->data;
                for (const char *t = bearer; *t; t++)
                        if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
                              (*t >= '0' && *t <= '9') || strchr("-._~+/=", *t))) {
                                bearer = NULL;
                                break;
                        }
        }
        req = (KbsHttpRequest){
                .method = method,
                .url = url,
                .body = body,
                .body_size = body_size,
                .session_cookie = rd->cookie,
                .bearer = bearer,
                .max_response = max,
        };
        r = c->transport ? c->transport(c->transport_data, &c->http, &req, ret, what)
                         : kbs_http_request(&c->http, &req, ret, what);
        if (r >= 0)
                return 0;
        switch (r) {
        case -ENOMEM:
                o = KBS_OUTCOME_FATAL;
                reason = "agent.oom";
                break;
        case -EINVAL:
        case -ENOENT:
                o = KBS_OUTCOME_FATAL;
                reason = "kbs.config";
                break;
        case -ECANCELED:
                o = KBS_OUTCOME_FATAL;
                reason = "agent.signal";
                break;
        case -ETIMEDOUT:
                reason = "kbs.timeout";
                break;
        case -EKEYREJECTED:
                reason = "kbs.tls_untrusted";
                break;
        case -EPROTO:
                reason = "kbs.tls";
                break;
        case -EFBIG:
                reason = "kbs.garbled";
                break;
        default:
                reason = "kbs.unreachable";
        }
        /* The step is named unless it is the first, whose failure is
         * simply "the verifier is not there". */
        return kbs_failure_set(rd->f, o, step, r, reason, "%s%s%s",
                               step == KBS_STEP_AUTH ? "" : kbs_step_to_string(step),
                               step == KBS_STEP_AUTH ? "" : ": ", what[0] ? what : strerror(-r));
}

/* The answer of a status other than 200, sorted. */
static int kbs_round_status(KbsRound *rd, KbsStep step, const char *what_for,
                            const KbsHttpResponse *resp) {
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *info = NULL;
        char q[KBS_CLIENT_QUOTE_MAX + 4], code[KBS_CLIENT_MAX_REASON];
        KbsFailure *f = rd->f;
        long s = resp->status;
        /* A verdict names the resource it is about; "auth" and "attest"
         * go without saying in "rejected the evidence: …". */
        const char *rp = step == KBS_STEP_RESOURCE ? what_for : "";
        const char *rs = step == KBS_STEP_RESOURCE ? ": " : "";
        const char *name, *detail;
        size_t n;
        int r;

        f->http_status = s;
        f->retry_after_ms = resp->retry_after_ms;
        if (s >= 300 && s < 400)
                return kbs_failure_set(f, KBS_OUTCOME_REJECTED, step, -EREMOTEIO, "kbs.redirect",
                                       "%s%sanswered HTTP %ld redirecting to '%s', which is not "
                                       "followed",
                                       rp, rs, s,
                                       kbs_client_clean(resp->location ? resp->location : "", q));
        if (s < 400 || s > 599)
                return kbs_failure_set(f, KBS_OUTCOME_TRANSIENT, step, -EBADMSG, "kbs.garbled",
                                       "%s: unexpected HTTP status %ld", what_for, s);

        r = kbs_error_parse(resp->body, resp->body_size, &info, NULL);
        if (r == -ENOMEM)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, step, r, "agent.oom", "out of memory");
        if (r < 0) {
                if (s >= 500 || s == 408 || s == 429)
                        return kbs_failure_set(f, KBS_OUTCOME_TRANSIENT, step, -EREMOTEIO,
                                               s == 429 ? "kbs.busy" : "kbs.server_error",
                                               "%s: HTTP %ld", what_for, s);
                return kbs_failure_set(f, KBS_OUTCOME_REJECTED, step, -EREMOTEIO, "kbs.rejected",
                                       "%s%sHTTP %ld without an RFC 7807 error", rp, rs, s);
        }

        name = info->known >= 0 ? kbs_error_type_to_string(info->known) : NULL;
        n = kbs_client_reason_prefix(info->detail);
        if (n > 0) {
                memcpy(code, info->detail, n);
                code[n] = 0;
                detail = info->detail + n + 1;
                while (*detail == ' ')
                        detail++;
        } else {
                code[0] = 0;
                detail = info->detail;
        }
        kbs_client_clean(detail, q);

        if (s >= 500 || s == 408 || s == 429)
                return kbs_failure_set(f, KBS_OUTCOME_TRANSIENT, step, -EREMOTEIO,
                                       s == 429 ? "kbs.busy" : "kbs.server_error",
                                       "%s: HTTP %ld: %s%s'%s'", what_for, s, code,
                                       code[0] ? ": " : "", q);
        /* A session that expired or that the verifier forgot (a restart,
         * another replica) is not a verdict on the evidence: a new round
         * gets a new one. */
        if (strncmp(code, "session.", 8) == 0)
                return kbs_failure_set(f, KBS_OUTCOME_TRANSIENT, step, -EREMOTEIO, code,
                                       "%s: the session ended (%s: '%s')", what_for, code, q);
        if (!code[0]) {
                char t[KBS_CLIENT_QUOTE_MAX + 4];

                return kbs_failure_set(f, KBS_OUTCOME_REJECTED, step, -EACCES, "kbs.rejected",
                                       "%s%sHTTP %ld %s: '%s'", rp, rs, s,
                                       name ? name : kbs_client_clean(info->type, t), q);
        }
        return kbs_failure_set(f, KBS_OUTCOME_REJECTED, step, -EACCES, code, "%s%s%s: '%s'", rp, rs,
                               code, q);
}

static int kbs_round_keep(char **dst, size_t *dst_size, const void *data, size_t size) {
        char *p = malloc(size + 1);

        if (!p)
                return -ENOMEM;
        memcpy(p, data, size);
        p[size] = 0;
        free(*dst);
        *dst = p;
        *dst_size = size;
        return 0;
}

static int kbs_round_auth(KbsRound *rd, KbsTee tee, KbsExchange *ex, KbsChallenge **ret) {
        _cleanup_(kbs_http_response_done) KbsHttpResponse resp = {};
        _cleanup_free_ char *body = NULL;
        KbsProtoError perr = {};
        char pbuf[300];
        int r;

        r = kbs_request_build(tee, NULL, &body);
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, r, "agent.oom",
                                       "cannot build the Request: %s", strerror(-r));
        if (ex && kbs_round_keep(&ex->request, &ex->request_size, body, strlen(body)) < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, -ENOMEM,
                                       "agent.oom", "out of memory");
        r = kbs_round_send(rd, KBS_STEP_AUTH, KBS_HTTP_POST, "/kbs/v0/auth", body, strlen(body),
                           KBS_PROTO_MAX_CHALLENGE > KBS_PROTO_MAX_ERROR ? KBS_PROTO_MAX_CHALLENGE
                                                                         : KBS_PROTO_MAX_ERROR,
                           &resp);
        if (r < 0)
                return r;
        if (resp.status != 200)
                return kbs_round_status(rd, KBS_STEP_AUTH, "auth", &resp);
        rd->f->http_status = resp.status;
        if (ex &&
            kbs_round_keep(&ex->challenge, &ex->challenge_size, resp.body, resp.body_size) < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, -ENOMEM,
                                       "agent.oom", "out of memory");
        r = kbs_challenge_parse(resp.body, resp.body_size, ret, &perr);
        if (r == -ENOMEM)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, r, "agent.oom",
                                       "out of memory");
        if (r == -EOPNOTSUPP)
                /* The verifier insists on a hash we do not have: asking
                 * again soon will not change its mind. */
                return kbs_failure_set(rd->f, KBS_OUTCOME_REJECTED, KBS_STEP_AUTH, r,
                                       "kbs.hash_unsupported", "the Challenge asks for %s",
                                       kbs_proto_error_string(&perr, pbuf, sizeof(pbuf)));
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, r,
                                       "kbs.garbled", "the Challenge is malformed: %s",
                                       kbs_proto_error_string(&perr, pbuf, sizeof(pbuf)));
        if (!resp.session_cookie) {
                kbs_challenge_free(*ret);
                *ret = NULL;
                return kbs_failure_set(
                        rd->f, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, -EBADMSG, "kbs.garbled",
                        "the Challenge came without a " KBS_HTTP_SESSION_COOKIE " cookie");
        }
        rd->cookie = TAKE_PTR(resp.session_cookie);
        return 0;
}

static int kbs_round_attest(KbsRound *rd, const char *body, size_t size) {
        _cleanup_(kbs_http_response_done) KbsHttpResponse resp = {};
        _cleanup_free_ char *token = NULL;
        KbsProtoError perr = {};
        char pbuf[300];
        int r;

        r = kbs_round_send(rd, KBS_STEP_ATTEST, KBS_HTTP_POST, "/kbs/v0/attest", body, size,
                           KBS_PROTO_MAX_RESPONSE, &resp);
        if (r < 0)
                return r;
        if (resp.status != 200)
                return kbs_round_status(rd, KBS_STEP_ATTEST, "attest", &resp);
        rd->f->http_status = resp.status;
        r = kbs_attestation_response_parse(resp.body, resp.body_size, &token, &perr);
        /* The token lets its holder fetch resources for this session (still
         * encrypted to our key, but no need to leave it lying around). */
        memory_wipe(resp.body, resp.body_size);
        if (r == -ENOMEM)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_ATTEST, r, "agent.oom",
                                       "out of memory");
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, r,
                                       "kbs.garbled", "the AttestationResponse is malformed: %s",
                                       kbs_proto_error_string(&perr, pbuf, sizeof(pbuf)));
        r = secret_new_copy(token, strlen(token) + 1, &rd->token);
        memory_wipe(token, strlen(token));
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_ATTEST, r, "agent.oom",
                                       "cannot lock memory for the token: %s", strerror(-r));
        if (resp.session_cookie) {
                free(rd->cookie);
                rd->cookie = TAKE_PTR(resp.session_cookie);
        }
        return 0;
}

static int kbs_round_resource(KbsRound *rd, const char *path, const EphemeralKey *key,
                              Secret **ret) {
        _cleanup_(kbs_http_response_done) KbsHttpResponse resp = {};
        _cleanup_free_ char *url_path = NULL, *what_for = NULL;
        const char *reason = NULL;
        int r;

        if (asprintf(&url_path, "/kbs/v0/resource/%s", path) < 0 ||
            asprintf(&what_for, "resource '%s'", path) < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, -ENOMEM,
                                       "agent.oom", "out of memory");
        r = kbs_round_send(rd, KBS_STEP_RESOURCE, KBS_HTTP_GET, url_path, NULL, 0, JWE_MAX_SIZE,
                           &resp);
        if (r < 0)
                return r;
        if (resp.status != 200)
                return kbs_round_status(rd, KBS_STEP_RESOURCE, what_for, &resp);
        rd->f->http_status = resp.status;
        r = jwe_decrypt_json(resp.body, resp.body_size, ephemeral_key_pkey(key), ret, &reason);
        if (r == -ENOMEM)
                return kbs_failure_set(rd->f, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, r, "agent.oom",
                                       "out of memory");
        /* A JWE we cannot open was damaged or meant for another key; a new
         * session gets a new one. */
        if (r < 0)
                return kbs_failure_set(rd->f, KBS_OUTCOME_TRANSIENT, KBS_STEP_RESOURCE, r,
                                       reason ? reason : "kbs.garbled",
                                       "%s: the JWE does not decrypt (%s)", what_for,
                                       reason ? reason : strerror(-r));
        return 0;
}

static void kbs_round_done(KbsRound *rd) {
        free(rd->cookie);
        secret_free(rd->token);
}

int kbs_client_round(const KbsClient *c, size_t endpoint, const KbsRoundParams *p,
                     KbsRoundResult *ret, KbsExchange *exchange, KbsFailure *f) {
        _cleanup_(kbs_round_done) KbsRound rd = {.client = c, .f = f};
        _cleanup_(kbs_challenge_freep) KbsChallenge *chal = NULL;
        _cleanup_(json_object_putp) json_object *pubkey = NULL, *primary = NULL;
        _cleanup_(kbs_round_result_done) KbsRoundResult res = {};
        _cleanup_free_ char *additional = NULL, *att = NULL;
        size_t n_res = 0;
        int r;

        *f = (KbsFailure){.outcome = KBS_OUTCOME_OK};
        if (endpoint >= kbs_client_n_endpoints(c) || !p->key || !p->evidence)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, -EINVAL, "kbs.config",
                                       "no such endpoint");
        rd.base = c->urls[endpoint];
        rd.base_len = strlen(rd.base);
        while (rd.base_len > 8 && rd.base[rd.base_len - 1] == '/')
                rd.base_len--;
        while (p->resources && p->resources[n_res]) {
                if (!kbs_resource_path_valid(p->resources[n_res]))
                        return kbs_failure_set(
                                f, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, -EINVAL, "kbs.config",
                                "'%s' is not a resource path (repo/type/tag)", p->resources[n_res]);
                n_res++;
        }
        if (exchange) {
                kbs_exchange_done(exchange);
                exchange->url = strndup(rd.base, rd.base_len);
                if (!exchange->url)
                        return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, -ENOMEM,
                                               "agent.oom", "out of memory");
        }

        if (p->step)
                p->step(p->userdata, KBS_STEP_AUTH, c->urls[endpoint]);
        r = kbs_round_auth(&rd, p->tee, exchange, &chal);
        if (r < 0)
                return r;

        r = ephemeral_key_to_jwk(p->key, &pubkey);
        if (r < 0)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_EVIDENCE, r, "crypto.key",
                                       "cannot export the ephemeral key: %s", strerror(-r));
        if (p->step)
                p->step(p->userdata, KBS_STEP_EVIDENCE, c->urls[endpoint]);
        r = p->evidence(p->userdata, chal, pubkey, &primary, &additional, f);
        if (r < 0) {
                if (f->outcome == KBS_OUTCOME_OK)
                        kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_EVIDENCE, r,
                                        "evidence.collect", "%s", strerror(-r));
                return f->error;
        }
        r = kbs_attestation_build(chal->nonce, pubkey, primary, additional, NULL, NULL, &att);
        if (r < 0)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_ATTEST, r, "agent.oom",
                                       "cannot build the Attestation: %s", strerror(-r));
        if (exchange && kbs_round_keep(&exchange->attestation, &exchange->attestation_size, att,
                                       strlen(att)) < 0)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_ATTEST, -ENOMEM, "agent.oom",
                                       "out of memory");

        if (p->step)
                p->step(p->userdata, KBS_STEP_ATTEST, c->urls[endpoint]);
        r = kbs_round_attest(&rd, att, strlen(att));
        if (r < 0)
                return r;

        if (n_res > 0) {
                res.released = calloc(n_res, sizeof(KbsReleased));
                if (!res.released)
                        return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, -ENOMEM,
                                               "agent.oom", "out of memory");
        }
        if (n_res > 0 && p->step)
                p->step(p->userdata, KBS_STEP_RESOURCE, c->urls[endpoint]);
        for (size_t i = 0; i < n_res; i++) {
                KbsReleased *rel = &res.released[res.n_released];

                rel->path = strdup(p->resources[i]);
                if (!rel->path)
                        return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, -ENOMEM,
                                               "agent.oom", "out of memory");
                res.n_released++;
                r = kbs_round_resource(&rd, p->resources[i], p->key, &rel->value);
                if (r < 0)
                        return r;
        }
        *ret = res;
        res = (KbsRoundResult){};
        *f = (KbsFailure){.outcome = KBS_OUTCOME_OK, .http_status = 200};
        return 0;
}
