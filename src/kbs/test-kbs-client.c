/* The KBS round and its failure classification, against a fake transport
 * that plays the verifier: message flow (cookie, token, bodies kept for
 * the bundle), every transient, rejected and fatal case, and the header
 * parsers of kbs-http. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/json-util.h"
#include "confnode/crypto/jwe.h"
#include "confnode/kbs/kbs-client.h"

#define NONCE "c2Vzc2lvbiBub25jZSBmb3IgdGVzdHMgb25seSAwMTIzNA=="

typedef struct FakeReply {
        int error;          /* a transport failure, or 0 */
        long status;        /* default 200 */
        const char *body;   /* NULL: the default for the step */
        const char *cookie; /* Set-Cookie value; NULL: "s1" at auth */
        bool no_cookie;
        uint64_t retry_after_ms;
        const char *location;
        bool jwe_other_key; /* encrypt the resource to another key */
} FakeReply;

typedef struct Fake {
        FakeReply auth, attest, resource;
        unsigned n_auth, n_attest, n_resource;
        char *attestation; /* the last body received at /attest */
        char cookie_attest[64], cookie_resource[64], bearer[128];
        char last_url[256];
        char resource_urls[4][256];
} Fake;

static Fake fake;

static char *dup_body(const char *s, size_t *ret_size) {
        char *b = strdup(s);

        assert_non_null(b);
        *ret_size = strlen(s);
        return b;
}

/* The plaintext of a resource is its path, so a test can tell them apart. */
static int fake_jwe(const char *path, bool other_key, char **ret, size_t *ret_size) {
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        json_object *to;

        assert_non_null(fake.attestation);
        assert_int_equal(
                kbs_attestation_parse(fake.attestation, strlen(fake.attestation), &a, NULL), 0);
        to = a->tee_pubkey;
        if (other_key) {
                assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_P256, &k), 0);
                assert_int_equal(ephemeral_key_to_jwk(k, &jwk), 0);
                to = jwk;
        }
        return jwe_encrypt_to_jwk(to, path, strlen(path), ret, ret_size);
}

static int fake_transport(void *userdata, const KbsHttpOptions *opts, const KbsHttpRequest *req,
                          KbsHttpResponse *ret, char what[static KBS_HTTP_MAX_WHAT]) {
        const FakeReply *reply;
        const char *path = strstr(req->url, "/kbs/v0/");

        (void)userdata;
        (void)opts;
        snprintf(fake.last_url, sizeof(fake.last_url), "%s", req->url);
        assert_non_null(path);
        if (strcmp(path, "/kbs/v0/auth") == 0) {
                _cleanup_(kbs_request_freep) KbsRequest *r = NULL;

                assert_int_equal(req->method, KBS_HTTP_POST);
                assert_null(req->session_cookie);
                assert_int_equal(kbs_request_parse(req->body, req->body_size, &r, NULL), 0);
                assert_string_equal(r->version, "0.4.0");
                fake.n_auth++;
                reply = &fake.auth;
        } else if (strcmp(path, "/kbs/v0/attest") == 0) {
                assert_int_equal(req->method, KBS_HTTP_POST);
                snprintf(fake.cookie_attest, sizeof(fake.cookie_attest), "%s",
                         req->session_cookie ? req->session_cookie : "");
                free(fake.attestation);
                fake.attestation = strndup(req->body, req->body_size);
                fake.n_attest++;
                reply = &fake.attest;
        } else {
                assert_int_equal(strncmp(path, "/kbs/v0/resource/", 17), 0);
                assert_int_equal(req->method, KBS_HTTP_GET);
                assert_int_equal(req->max_response, JWE_MAX_SIZE);
                snprintf(fake.cookie_resource, sizeof(fake.cookie_resource), "%s",
                         req->session_cookie ? req->session_cookie : "");
                snprintf(fake.bearer, sizeof(fake.bearer), "%s", req->bearer ? req->bearer : "");
                if (fake.n_resource < 4)
                        snprintf(fake.resource_urls[fake.n_resource], 256, "%s", req->url);
                fake.n_resource++;
                reply = &fake.resource;
        }
        if (reply->error) {
                snprintf(what, KBS_HTTP_MAX_WHAT, "%s", strerror(-reply->error));
                return reply->error;
        }
        *ret = (KbsHttpResponse){.status = reply->status ? reply->status : 200,
                                 .retry_after_ms = reply->retry_after_ms};
        if (reply->location)
                ret->location = strdup(reply->location);
        if (reply->body)
                ret->body = (uint8_t *)dup_body(reply->body, &ret->body_size);
        else if (reply == &fake.auth)
                ret->body = (uint8_t *)dup_body("{\"nonce\":\"" NONCE "\",\"extra-params\":\"\"}",
                                                &ret->body_size);
        else if (reply == &fake.attest)
                ret->body = (uint8_t *)dup_body("{\"token\":\"tok.en-_1\"}", &ret->body_size);
        else {
                char *jwe;
                size_t n;

                assert_int_equal(fake_jwe(path + 17, reply->jwe_other_key, &jwe, &n), 0);
                ret->body = (uint8_t *)jwe;
                ret->body_size = n;
        }
        if (reply == &fake.auth && !reply->no_cookie)
                ret->session_cookie = strdup(reply->cookie ? reply->cookie : "s1");
        else if (reply->cookie)
                ret->session_cookie = strdup(reply->cookie);
        return 0;
}

typedef struct EvidenceCall {
        char steps[64]; /* the steps told, one letter each */
        unsigned calls;
        char nonce[128];
        KbsHashAlg alg;
        bool fail;
} EvidenceCall;

static void fake_step(void *userdata, KbsStep step, const char *url) {
        EvidenceCall *e = userdata;
        size_t n = strlen(e->steps);

        assert_non_null(url);
        if (n + 1 < sizeof(e->steps))
                e->steps[n] = "AETR"[step];
}

static int fake_evidence(void *userdata, const KbsChallenge *chal, json_object *tee_pubkey,
                         json_object **ret_primary, char **ret_additional, KbsFailure *f) {
        EvidenceCall *e = userdata;
        json_object *kty;

        e->calls++;
        snprintf(e->nonce, sizeof(e->nonce), "%s", chal->nonce);
        e->alg = chal->hash_alg;
        assert_true(json_object_object_get_ex(tee_pubkey, "kty", &kty));
        assert_string_equal(json_object_get_string(kty), "EC");
        if (e->fail)
                return kbs_failure_set(f, KBS_OUTCOME_FATAL, KBS_STEP_EVIDENCE, -EIO,
                                       "evidence.collect", "the TPM is gone");
        *ret_primary = json_tokener_parse("{\"quote\":\"AAEC\"}");
        *ret_additional = strdup("{\"tpm\":{}}");
        assert_non_null(*ret_primary);
        assert_non_null(*ret_additional);
        return 0;
}

typedef struct Ctx {
        EphemeralKey *key;
        char *urls[3];
        KbsClient client;
        EvidenceCall ev;
        KbsRoundParams params;
        KbsRoundResult result;
        KbsExchange exchange;
        KbsFailure f;
} Ctx;

static const char *const two_resources[] = {
        "confnode/disk-key/0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10", "confnode/kubelet/join", NULL};

static int setup(void **state) {
        Ctx *c = calloc(1, sizeof(Ctx));

        if (!c || ephemeral_key_new(EPHEMERAL_KEY_P256, &c->key) < 0)
                return -1;
        c->urls[0] = strdup("https://verifier.example:8443/");
        c->urls[1] = strdup("https://other.example");
        c->client = (KbsClient){.urls = c->urls,
                                .http = {.ca_file = "/nonexistent/ca.pem"},
                                .transport = fake_transport};
        c->params = (KbsRoundParams){.tee = KBS_TEE_SNP,
                                     .key = c->key,
                                     .evidence = fake_evidence,
                                     .step = fake_step,
                                     .userdata = &c->ev,
                                     .resources = two_resources};
        free(fake.attestation);
        fake = (Fake){};
        *state = c;
        return 0;
}

static int teardown(void **state) {
        Ctx *c = *state;

        kbs_round_result_done(&c->result);
        kbs_exchange_done(&c->exchange);
        ephemeral_key_free(c->key);
        free(c->urls[0]);
        free(c->urls[1]);
        free(c);
        free(fake.attestation);
        fake.attestation = NULL;
        return 0;
}

static int round0(Ctx *c) {
        return kbs_client_round(&c->client, 0, &c->params, &c->result, &c->exchange, &c->f);
}

static void test_happy_path(void **state) {
        Ctx *c = *state;
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;

        assert_int_equal(kbs_client_n_endpoints(&c->client), 2);
        assert_int_equal(round0(c), 0);
        assert_int_equal(c->f.outcome, KBS_OUTCOME_OK);
        assert_int_equal(fake.n_auth, 1);
        assert_int_equal(fake.n_attest, 1);
        assert_int_equal(fake.n_resource, 2);
        /* The base URL's trailing slash does not double. */
        assert_string_equal(fake.resource_urls[0],
                            "https://verifier.example:8443/kbs/v0/resource/confnode/disk-key/"
                            "0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10");
        assert_string_equal(fake.resource_urls[1],
                            "https://verifier.example:8443/kbs/v0/resource/confnode/kubelet/join");
        /* The session cookie goes with /attest and the resources, the
         * token with the resources. */
        assert_string_equal(fake.cookie_attest, "s1");
        assert_string_equal(fake.cookie_resource, "s1");
        assert_string_equal(fake.bearer, "tok.en-_1");
        /* Each step was told once, in order. */
        assert_string_equal(c->ev.steps, "AETR");
        /* The evidence was bound to the Challenge. */
        assert_int_equal(c->ev.calls, 1);
        assert_string_equal(c->ev.nonce, NONCE);
        assert_int_equal(c->ev.alg, KBS_HASH_SHA384);
        assert_int_equal(
                kbs_attestation_parse(fake.attestation, strlen(fake.attestation), &a, NULL), 0);
        assert_string_equal(a->nonce, NONCE);
        assert_string_equal(a->additional_evidence, "{\"tpm\":{}}");
        /* Released into locked memory, in order. */
        assert_int_equal(c->result.n_released, 2);
        assert_string_equal(c->result.released[0].path, two_resources[0]);
        assert_int_equal(c->result.released[0].value->size, strlen(two_resources[0]));
        assert_memory_equal(c->result.released[0].value->data, two_resources[0],
                            strlen(two_resources[0]));
        assert_memory_equal(c->result.released[1].value->data, "confnode/kubelet/join", 21);
        /* The exact bodies are kept for the bundle. */
        assert_string_equal(c->exchange.url, "https://verifier.example:8443");
        assert_non_null(strstr(c->exchange.request, "\"tee\":\"snp\""));
        assert_string_equal(c->exchange.challenge,
                            "{\"nonce\":\"" NONCE "\",\"extra-params\":\"\"}");
        assert_string_equal(c->exchange.attestation, fake.attestation);
        assert_int_equal(c->exchange.attestation_size, strlen(fake.attestation));
}

static void test_second_endpoint_and_hash(void **state) {
        Ctx *c = *state;

        fake.auth.body =
                "{\"nonce\":\"abc\",\"extra-params\":{\"selected-hash-algorithm\":\"SHA512\"}}";
        c->params.resources = NULL;
        assert_int_equal(kbs_client_round(&c->client, 1, &c->params, &c->result, NULL, &c->f), 0);
        assert_string_equal(fake.last_url, "https://other.example/kbs/v0/attest");
        assert_int_equal(c->ev.alg, KBS_HASH_SHA512);
        assert_int_equal(c->result.n_released, 0);
        assert_int_equal(kbs_client_round(&c->client, 2, &c->params, &c->result, NULL, &c->f),
                         -EINVAL);
        assert_int_equal(c->f.outcome, KBS_OUTCOME_FATAL);
}

static void expect_failure(Ctx *c, KbsOutcome o, KbsStep step, const char *reason,
                           const char *what_part) {
        assert_true(round0(c) < 0);
        assert_int_equal(c->f.outcome, o);
        assert_int_equal(c->f.step, step);
        assert_string_equal(c->f.reason, reason);
        if (what_part && !strstr(c->f.what, what_part))
                fail_msg("'%s' does not contain '%s'", c->f.what, what_part);
        assert_int_equal(c->result.n_released, 0);
}

static void test_transport_errors(void **state) {
        Ctx *c = *state;

        fake.auth.error = -ECONNREFUSED;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.unreachable",
                       "Connection refused");
        assert_int_equal(c->f.error, -ECONNREFUSED);
        assert_int_equal(c->f.http_status, 0);
        assert_int_equal(c->ev.calls, 0);
        /* The Request is kept even when nothing came back. */
        assert_non_null(c->exchange.request);
        assert_null(c->exchange.challenge);

        fake.auth.error = -ETIMEDOUT;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.timeout", NULL);
        fake.auth.error = -EKEYREJECTED;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.tls_untrusted", NULL);
        fake.auth.error = -EPROTO;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.tls", NULL);
        fake.auth.error = -EFBIG;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.garbled", NULL);
        fake.auth.error = -ECONNRESET;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.unreachable", NULL);
        /* Local problems are fatal: retrying does not fix them. */
        fake.auth.error = -ENOENT;
        expect_failure(c, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, "kbs.config", NULL);
        fake.auth.error = -ENOMEM;
        expect_failure(c, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, "agent.oom", NULL);
        fake.auth.error = -ECANCELED;
        expect_failure(c, KBS_OUTCOME_FATAL, KBS_STEP_AUTH, "agent.signal", NULL);
        /* A failure at /attest, after the evidence went out. */
        fake.auth.error = 0;
        fake.attest.error = -ETIMEDOUT;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.timeout", NULL);
        assert_non_null(c->exchange.attestation);
}

static void test_server_errors(void **state) {
        Ctx *c = *state;

        fake.attest.status = 500;
        fake.attest.body = "internal error";
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.server_error", "HTTP 500");
        assert_int_equal(c->f.http_status, 500);

        fake.attest.status = 503;
        fake.attest.body = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                           "PluginInternalError\",\"detail\":\"store.busy: try later\"}";
        fake.attest.retry_after_ms = 7000;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.server_error",
                       "store.busy: 'try later'");
        assert_int_equal(c->f.retry_after_ms, 7000);

        fake.attest = (FakeReply){.status = 429, .body = "", .retry_after_ms = 2000};
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.busy", "HTTP 429");
        assert_int_equal(c->f.retry_after_ms, 2000);

        fake.attest = (FakeReply){.status = 408, .body = ""};
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.server_error", "HTTP 408");

        fake.attest = (FakeReply){.status = 204, .body = ""};
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.garbled", "HTTP status 204");
}

static void test_garbled(void **state) {
        Ctx *c = *state;

        fake.auth.body = "{\"nonce\":";
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.garbled",
                       "Challenge is malformed");
        assert_int_equal(c->ev.calls, 0);
        assert_string_equal(c->exchange.challenge, "{\"nonce\":");

        fake.auth.body = NULL;
        fake.auth.no_cookie = true;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_AUTH, "kbs.garbled", "kbs-session-id");

        fake.auth.no_cookie = false;
        fake.attest.body = "{\"tok\":\"x\"}";
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "kbs.garbled",
                       "AttestationResponse is malformed");

        fake.attest.body = NULL;
        fake.resource.jwe_other_key = true;
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_RESOURCE, "jwe.unwrap_failed",
                       "does not decrypt");

        fake.resource = (FakeReply){.body = "{\"protected\":1}"};
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_RESOURCE, "jwe.malformed", NULL);
}

static void test_rejections(void **state) {
        Ctx *c = *state;

        fake.attest.status = 401;
        fake.attest.body = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                           "AttestationError\",\"detail\":\"snp.measurement: measurement 3a4b5c6d"
                           " is not in the policy\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "snp.measurement",
                       "snp.measurement: 'measurement 3a4b5c6d is not in the policy'");
        assert_int_equal(c->f.error, -EACCES);
        assert_int_equal(c->f.http_status, 401);
        /* The evidence that was rejected is in the bundle. */
        assert_non_null(c->exchange.attestation);

        /* Trustee's own sentences carry no code. */
        fake.attest.body =
                "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                "AttestationError\",\"detail\":\"Attestation failed: verifier said no\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected",
                       "HTTP 401 AttestationError: 'Attestation failed: verifier said no'");

        /* A session that expired is not a verdict. */
        fake.attest.body =
                "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                "AttestationError\",\"detail\":\"session.expired: nonce older than 300 s\"}";
        expect_failure(c, KBS_OUTCOME_TRANSIENT, KBS_STEP_ATTEST, "session.expired", NULL);

        /* A 401 without an RFC 7807 body. */
        fake.attest.body = "nope";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected",
                       "without an RFC 7807 error");

        /* The resource step, with the path in the sentence. */
        fake.attest = (FakeReply){};
        fake.resource = (FakeReply){
                .status = 401,
                .body = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                        "PolicyDeny\",\"detail\":\"policy.resource_denied: tee snp may not fetch "
                        "it\"}",
        };
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_RESOURCE, "policy.resource_denied",
                       "resource 'confnode/disk-key/");

        fake.resource = (FakeReply){
                .status = 404,
                .body = "{\"type\":\"https://github.com/confidential-containers/kbs/errors/"
                        "PluginNotFound\",\"detail\":\"no plugin\"}",
        };
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_RESOURCE, "kbs.rejected",
                       "HTTP 404 PluginNotFound");

        /* A redirect is never followed. */
        fake.resource = (FakeReply){.status = 302, .body = "", .location = "https://evil/x"};
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_RESOURCE, "kbs.redirect",
                       "redirecting to 'https://evil/x'");

        /* A hash we do not implement. */
        fake.resource = (FakeReply){};
        fake.auth.body =
                "{\"nonce\":\"abc\",\"extra-params\":{\"selected-hash-algorithm\":\"sm3\"}}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_AUTH, "kbs.hash_unsupported", "sm3");
}

/* The verifier's text cannot forge log lines or break the quoting, and a
 * "reason" that is not a dotted code is not taken for one. */
static void test_peer_text_cleaned(void **state) {
        Ctx *c = *state;

        fake.attest.status = 401;
        fake.attest.body =
                "{\"type\":\"x\",\"detail\":\"bad reason: line\\nCONFNODE_REASON=ok 'q'\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected",
                       "HTTP 401 x: 'bad reason: line?CONFNODE_REASON=ok ?q?'");

        fake.attest.body = "{\"type\":\"x\",\"detail\":\"Snp.measurement: upper case\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected", NULL);
        fake.attest.body = "{\"type\":\"x\",\"detail\":\"snp..measurement: empty word\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected", NULL);
        fake.attest.body = "{\"type\":\"x\",\"detail\":\"nodots: no dot\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected", NULL);
        fake.attest.body =
                "{\"type\":\"x\",\"detail\":\"a.bcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"
                "rstuvwxyzabcdefghijklmnop: code too long\"}";
        expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "kbs.rejected", NULL);

        /* A long detail is cut. */
        {
                char body[1200];
                char detail[900];

                memset(detail, 'z', sizeof(detail) - 1);
                detail[sizeof(detail) - 1] = 0;
                snprintf(body, sizeof(body), "{\"type\":\"x\",\"detail\":\"tdx.mrtd: %s\"}",
                         detail);
                fake.attest.body = body;
                expect_failure(c, KBS_OUTCOME_REJECTED, KBS_STEP_ATTEST, "tdx.mrtd", "zzz...'");
                assert_true(strlen(c->f.what) < 300);
        }
}

static void test_evidence_failure(void **state) {
        Ctx *c = *state;

        c->ev.fail = true;
        expect_failure(c, KBS_OUTCOME_FATAL, KBS_STEP_EVIDENCE, "evidence.collect",
                       "the TPM is gone");
        assert_int_equal(fake.n_attest, 0);
        assert_string_equal(c->ev.steps, "AE");
}

static void test_resource_paths(void **state) {
        Ctx *c = *state;
        static const char *const bad[] = {"confnode/../x", NULL};

        assert_true(kbs_resource_path_valid("confnode/kubelet/join"));
        assert_true(kbs_resource_path_valid("a/b/c"));
        assert_true(kbs_resource_path_valid("r.1/t_2/0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10"));
        assert_false(kbs_resource_path_valid(NULL));
        assert_false(kbs_resource_path_valid(""));
        assert_false(kbs_resource_path_valid("a/b"));
        assert_false(kbs_resource_path_valid("a/b/c/d"));
        assert_false(kbs_resource_path_valid("a//c"));
        assert_false(kbs_resource_path_valid("/a/b/c"));
        assert_false(kbs_resource_path_valid("a/b/c/"));
        assert_false(kbs_resource_path_valid("a/../c"));
        assert_false(kbs_resource_path_valid("a/./c"));
        assert_false(kbs_resource_path_valid("a/b/c?x=1"));
        assert_false(kbs_resource_path_valid("a/b/{uuid}"));
        assert_true(kbs_resource_path_valid(
                "a/b/0123456789012345678901234567890123456789012345678901234567890123"));
        assert_false(kbs_resource_path_valid(
                "a/b/01234567890123456789012345678901234567890123456789012345678901234"));

        c->params.resources = bad;
        expect_failure(c, KBS_OUTCOME_FATAL, KBS_STEP_RESOURCE, "kbs.config", "confnode/../x");
        assert_int_equal(fake.n_auth, 0);
}

static void test_set_cookie(void **state) {
        char *v = NULL;
        (void)state;

        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=abc-123; Path=/; HttpOnly", &v),
                         0);
        assert_string_equal(v, "abc-123");
        free(v);
        assert_int_equal(kbs_http_parse_set_cookie(" kbs-session-id=\"q\"", &v), 0);
        assert_string_equal(v, "q");
        free(v);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=x ;Expires=never", &v), 0);
        assert_string_equal(v, "x");
        free(v);
        assert_int_equal(kbs_http_parse_set_cookie("other=abc", &v), -ENOENT);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-idx=abc", &v), -ENOENT);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=", &v), -EBADMSG);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=a b", &v), -EBADMSG);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=a\\b", &v), -EBADMSG);
        assert_int_equal(kbs_http_parse_set_cookie("kbs-session-id=a\r\nX: y", &v), -EBADMSG);
        {
                char big[600] = "kbs-session-id=";

                memset(big + 15, 'a', sizeof(big) - 16);
                big[sizeof(big) - 1] = 0;
                assert_int_equal(kbs_http_parse_set_cookie(big, &v), -EBADMSG);
        }
}

static void test_retry_after(void **state) {
        uint64_t ms = 1;
        (void)state;

        assert_int_equal(kbs_http_parse_retry_after("2", 0, &ms), 0);
        assert_int_equal(ms, 2000);
        assert_int_equal(kbs_http_parse_retry_after(" 120 ", 0, &ms), 0);
        assert_int_equal(ms, 120000);
        assert_int_equal(kbs_http_parse_retry_after("0", 0, &ms), 0);
        assert_int_equal(ms, 0);
        /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777. */
        assert_int_equal(
                kbs_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770, &ms), 0);
        assert_int_equal(ms, 7000);
        assert_int_equal(
                kbs_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800, &ms), 0);
        assert_int_equal(ms, 0);
        assert_int_equal(kbs_http_parse_retry_after("2s", 0, &ms), -EINVAL);
        assert_int_equal(kbs_http_parse_retry_after("-1", 0, &ms), -EINVAL);
        assert_int_equal(kbs_http_parse_retry_after("soon", 0, &ms), -EINVAL);
        assert_int_equal(kbs_http_parse_retry_after("99999999999999999999999", 0, &ms), -EINVAL);
}

/* kbs_http_request refuses what it must before any network I/O. */
static void test_http_refuses(void **state) {
        KbsHttpOptions o = {
                .ca_file = "/nonexistent", .connect_timeout_ms = 100, .request_timeout_ms = 100};
        KbsHttpRequest req = {
                .method = KBS_HTTP_GET, .url = "http://127.0.0.1:9/", .max_response = 10};
        KbsHttpResponse resp = {};
        char what[KBS_HTTP_MAX_WHAT];
        (void)state;

        assert_int_equal(kbs_http_request(&o, &req, &resp, what), -EINVAL);
        assert_non_null(strstr(what, "https://"));
        req.url = "https://127.0.0.1:9/";
        req.session_cookie = "a;b";
        assert_int_equal(kbs_http_request(&o, &req, &resp, what), -EINVAL);
        req.session_cookie = NULL;
        req.bearer = "tok\r\nX-Evil: 1";
        assert_int_equal(kbs_http_request(&o, &req, &resp, what), -EINVAL);
        assert_non_null(strstr(what, "b64token"));
        o.ca_file = NULL;
        req.bearer = NULL;
        assert_int_equal(kbs_http_request(&o, &req, &resp, what), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_second_endpoint_and_hash, setup, teardown),
                cmocka_unit_test_setup_teardown(test_transport_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_server_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbled, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
                cmocka_unit_test_setup_teardown(test_peer_text_cleaned, setup, teardown),
                cmocka_unit_test_setup_teardown(test_evidence_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_resource_paths, setup, teardown),
                cmocka_unit_test(test_set_cookie),
                cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_http_refuses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
