/* The storm: N simulated nodes, each a state machine doing one full RCAR
 * round against the verifier,
 *   POST /kbs/v0/auth -> nonce + cookie
 *   (ephemeral key, evidence bound to the nonce)
 *   POST /kbs/v0/attest -> token
 *   GET  /kbs/v0/resource/confnode/disk-key/<uuid> -> JWE -> 32-byte key
 *   GET  /kbs/v0/resource/confnode/kubelet/join    -> JWE -> join bundle
 * driven by libcurl's multi interface on a few client threads. Every node's
 * /auth is queued at the start, so all N sessions are open on the verifier
 * at once. At most max_connections requests are in flight, on as many TCP
 * connections, reused from node to node; the others wait in a first-in
 * first-out queue (a node's next request goes to its back). The client's
 * own signing happens between requests on the thread that got the reply. */

#include "boot-storm.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "confnode/basic/secret.h"
#include "confnode/crypto/jwe.h"
#include "confnode/kbs/kbs-proto.h"

#define STORM_COOKIE_NAME "kbs-session-id"
#define STORM_COOKIE_MAX 512
#define STORM_DISK_KEY_SIZE 32

typedef enum StormStage {
        STORM_STAGE_AUTH,
        STORM_STAGE_ATTEST,
        STORM_STAGE_DISK_KEY,
        STORM_STAGE_JOIN,
        STORM_STAGE_DONE,
        STORM_STAGE_FAILED,
        _STORM_STAGE_MAX,
} StormStage;

static const char *const storm_stage_names[_STORM_STAGE_MAX] = {
        [STORM_STAGE_AUTH] = "auth",         [STORM_STAGE_ATTEST] = "attest",
        [STORM_STAGE_DISK_KEY] = "disk-key", [STORM_STAGE_JOIN] = "join-bundle",
        [STORM_STAGE_DONE] = "done",         [STORM_STAGE_FAILED] = "failed",
};

typedef struct StormNode {
        struct StormWorker *worker;
        StormStage stage;
        double t_start;
        char *nonce; /* the challenge's, until the evidence is built */
        KbsHashAlg hash_alg;
        EphemeralKey *key;
        json_object *jwk;
        char cookie[STORM_COOKIE_MAX]; /* "kbs-session-id=…" */
        char uuid[37];
        /* The next request, queued or in flight. */
        char path[160];
        size_t body_size;
        CURL *easy;
        struct curl_slist *headers;
        char *body;
        uint8_t *resp;
        size_t resp_size;
        size_t resp_max;
        bool resp_too_large;
} StormNode;

typedef struct StormWorker {
        const StormPlatform *platform;
        const StormOptions *options;
        CURLM *multi;
        CURLSH *share;
        StormNode *nodes;
        size_t n_nodes;
        size_t finished;
        /* Requests wait here, first in first out, for one of the
         * max_connections transfers; curl gets no more transfers than it
         * has connections for (its own pending list is walked on every
         * poll, which makes 10,000 waiting transfers quadratic). */
        StormNode **queue; /* ring of n_nodes: a node waits at most once */
        size_t queue_head;
        size_t queue_len;
        size_t in_flight;
        size_t max_in_flight;
        double *latency_ms; /* of succeeded nodes */
        size_t n_latency;
        StormFailure failures[STORM_MAX_FAILURE_KINDS];
        size_t n_failures;
        size_t failures_other;
        size_t failed;
        size_t requests;
        size_t connections;
        int error;
        pthread_t thread;
} StormWorker;

static double storm_now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void storm_node_release_request(StormNode *n) {
        if (n->easy) {
                (void)curl_multi_remove_handle(n->worker->multi, n->easy);
                curl_easy_cleanup(n->easy);
                n->easy = NULL;
                n->worker->in_flight--;
        }
        curl_slist_free_all(n->headers);
        n->headers = NULL;
        free(n->body);
        n->body = NULL;
        free(n->resp);
        n->resp = NULL;
        n->resp_size = 0;
        n->resp_too_large = false;
}

static void storm_node_done(StormNode *n) {
        storm_node_release_request(n);
        ephemeral_key_free(n->key);
        n->key = NULL;
        json_object_put(n->jwk);
        n->jwk = NULL;
        free(n->nonce);
        n->nonce = NULL;
        n->worker->finished++;
}

/* Counts a failure under its kind ("attest: HTTP 401 AttestationError:
 * snp.measurement"); the first one of a kind is kept as the example. */
static void storm_node_fail(StormNode *n, const char *kind, const char *fmt, ...) _printf_(3, 4);
static void storm_node_fail(StormNode *n, const char *kind, const char *fmt, ...) {
        StormWorker *w = n->worker;
        char what[256];
        va_list ap;
        size_t i;

        snprintf(what, sizeof(what), "%s: %s", storm_stage_names[n->stage], kind);
        for (i = 0; i < w->n_failures; i++)
                if (strcmp(w->failures[i].what, what) == 0)
                        break;
        if (i == w->n_failures) {
                if (w->n_failures == STORM_MAX_FAILURE_KINDS) {
                        w->failures_other++;
                        goto out;
                }
                snprintf(w->failures[i].what, sizeof(w->failures[i].what), "%s", what);
                va_start(ap, fmt);
                vsnprintf(w->failures[i].example, sizeof(w->failures[i].example), fmt, ap);
                va_end(ap);
                w->n_failures++;
        }
        w->failures[i].count++;
out:
        w->failed++;
        n->stage = STORM_STAGE_FAILED;
        storm_node_done(n);
}

static size_t storm_write(char *data, size_t size, size_t nmemb, void *userdata) {
        StormNode *n = userdata;
        size_t len = size * nmemb;
        uint8_t *p;

        if (len > n->resp_max - n->resp_size) {
                n->resp_too_large = true;
                return 0; /* aborts the transfer */
        }
        p = realloc(n->resp, n->resp_size + len + 1);
        if (!p)
                return 0;
        n->resp = p;
        memcpy(n->resp + n->resp_size, data, len);
        n->resp_size += len;
        n->resp[n->resp_size] = 0;
        return len;
}

/* Keeps the session cookie of a Set-Cookie header; the cookie engine is
 * not used, since thousands of sessions share one connection pool. */
static size_t storm_header(char *data, size_t size, size_t nmemb, void *userdata) {
        static const char prefix[] = "set-cookie:";
        StormNode *n = userdata;
        size_t len = size * nmemb, i, start, end;

        if (len < sizeof(prefix) - 1 || strncasecmp(data, prefix, sizeof(prefix) - 1) != 0)
                return len;
        i = sizeof(prefix) - 1;
        while (i < len && (data[i] == ' ' || data[i] == '\t'))
                i++;
        if (len - i < strlen(STORM_COOKIE_NAME "=") ||
            strncmp(data + i, STORM_COOKIE_NAME "=", strlen(STORM_COOKIE_NAME "=")) != 0)
                return len;
        start = i;
        for (end = start; end < len && data[end] != ';' && data[end] != '\r' && data[end] != '\n';
             end++)
                ;
        if (end - start < sizeof(n->cookie))
                snprintf(n->cookie, sizeof(n->cookie), "%.*s", (int)(end - start), data + start);
        return len;
}

/* Queues one request for n; body (NULL for a GET) is the node's from here
 * on, whatever the outcome. */
static int storm_node_request(StormNode *n, const char *path, char *body, size_t body_size,
                              size_t resp_max) {
        StormWorker *w = n->worker;

        storm_node_release_request(n);
        n->body = body;
        n->body_size = body_size;
        n->resp_max = resp_max;
        if (snprintf(n->path, sizeof(n->path), "%s", path) >= (int)sizeof(n->path))
                return -ENAMETOOLONG;
        w->queue[(w->queue_head + w->queue_len) % w->n_nodes] = n;
        w->queue_len++;
        return 0;
}

/* Hands n's queued request to curl. */
static int storm_node_dispatch(StormNode *n) {
        StormWorker *w = n->worker;
        const StormOptions *o = w->options;
        char url[1024];
        CURL *e;

        snprintf(url, sizeof(url), "%s%s", o->url, n->path);
        e = n->easy = curl_easy_init();
        if (!e)
                return -ENOMEM;
        w->in_flight++; /* until storm_node_release_request() */
        /* "Expect:" off: no 100-continue round trip before an Attestation. */
        n->headers = curl_slist_append(NULL, "Expect:");
        if (n->headers && n->body)
                n->headers = curl_slist_append(n->headers, "Content-Type: application/json");
        if (!n->headers)
                return -ENOMEM;
        if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PRIVATE, n) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_SHARE, w->share) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout_s) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->timeout_s) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, n->headers) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, storm_write) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEDATA, n) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, storm_header) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HEADERDATA, n) != CURLE_OK)
                return -EINVAL;
        if (n->cookie[0] && curl_easy_setopt(e, CURLOPT_COOKIE, n->cookie) != CURLE_OK)
                return -EINVAL;
        if (n->body && (curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                         (curl_off_t)n->body_size) != CURLE_OK ||
                        curl_easy_setopt(e, CURLOPT_POSTFIELDS, n->body) != CURLE_OK))
                return -EINVAL;
        if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
                return -EIO;
        w->requests++;
        return 0;
}

static int storm_node_build(StormNode *n);

static void storm_worker_pump(StormWorker *w) {
        while (w->queue_len > 0 && w->in_flight < w->max_in_flight) {
                StormNode *n = w->queue[w->queue_head];
                int r;

                w->queue_head = (w->queue_head + 1) % w->n_nodes;
                w->queue_len--;
                if (n->stage == STORM_STAGE_ATTEST && !n->body && storm_node_build(n) < 0)
                        continue; /* failed and counted */
                r = storm_node_dispatch(n);
                if (r < 0)
                        storm_node_fail(n, "curl setup", "%s", strerror(-r));
        }
}

static void storm_uuid(char ret[static 37]) {
        uint8_t u[16];

        if (RAND_bytes(u, sizeof(u)) != 1)
                memset(u, 0, sizeof(u));
        u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
        u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                 u[13], u[14], u[15]);
}

static void storm_node_start(StormNode *n) {
        char *body = NULL;
        int r;

        n->stage = STORM_STAGE_AUTH;
        n->t_start = storm_now_ms();
        storm_uuid(n->uuid);
        r = kbs_request_build(KBS_TEE_SNP, NULL, &body);
        if (r < 0)
                return storm_node_fail(n, "request", "kbs_request_build: %s", strerror(-r));
        r = storm_node_request(n, "/kbs/v0/auth", body, strlen(body), KBS_PROTO_MAX_CHALLENGE);
        if (r < 0)
                return storm_node_fail(n, "request", "%s", strerror(-r));
}

/* The Challenge: the Attestation is queued; its evidence is built when it
 * is its turn to be sent (storm_node_build()), so waiting requests hold a
 * nonce rather than 80 KB bodies. */
static void storm_node_challenge(StormNode *n) {
        _cleanup_(kbs_challenge_freep) KbsChallenge *c = NULL;
        KbsProtoError perr = {};
        char buf[320];
        int r;

        r = kbs_challenge_parse(n->resp, n->resp_size, &c, &perr);
        if (r < 0)
                return storm_node_fail(n, "challenge malformed", "%s",
                                       kbs_proto_error_string(&perr, buf, sizeof(buf)));
        if (!n->cookie[0])
                return storm_node_fail(n, "no session cookie",
                                       "the reply to /auth set no " STORM_COOKIE_NAME " cookie");
        n->nonce = TAKE_PTR(c->nonce);
        n->hash_alg = c->hash_alg;
        n->stage = STORM_STAGE_ATTEST;
        r = storm_node_request(n, "/kbs/v0/attest", NULL, 0, KBS_PROTO_MAX_RESPONSE);
        if (r < 0)
                return storm_node_fail(n, "request", "%s", strerror(-r));
}

/* Ephemeral key -> evidence bound to the nonce -> the Attestation body. */
static int storm_node_build(StormNode *n) {
        int r;

        r = ephemeral_key_new(EPHEMERAL_KEY_P256, &n->key);
        if (r >= 0)
                r = ephemeral_key_to_jwk(n->key, &n->jwk);
        if (r < 0) {
                storm_node_fail(n, "ephemeral key", "%s", strerror(-r));
                return r;
        }
        r = storm_platform_attestation(n->worker->platform, n->hash_alg, n->nonce, n->jwk, &n->body,
                                       &n->body_size);
        if (r < 0) {
                storm_node_fail(n, "evidence", "building the evidence failed: %s", strerror(-r));
                return r;
        }
        free(n->nonce);
        n->nonce = NULL;
        return 0;
}

static void storm_node_get(StormNode *n, StormStage stage, const char *path) {
        int r;

        n->stage = stage;
        r = storm_node_request(n, path, NULL, 0, JWE_MAX_SIZE);
        if (r < 0)
                return storm_node_fail(n, "request", "%s", strerror(-r));
}

static bool storm_token_valid(const char *t, size_t len) {
        if (len != 23 || t[6] != '.')
                return false;
        for (size_t i = 0; i < len; i++) {
                if (i == 6)
                        continue;
                if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')))
                        return false;
        }
        return true;
}

/* The join bundle: {"api_server","cluster_ca","token","expires"} with a
 * kubeadm-style token. The token's copy in json-c's heap is wiped before
 * the tree goes. */
static int storm_check_join(const Secret *s, char *what, size_t what_size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_tokener *tok = json_tokener_new();
        json_object *v;
        int r = 0;

        if (!tok)
                return -ENOMEM;
        j = json_tokener_parse_ex(tok, (const char *)s->data, (int)s->size);
        json_tokener_free(tok);
        if (!j || !json_object_is_type(j, json_type_object)) {
                snprintf(what, what_size, "the join bundle (%zu bytes) is not a JSON object",
                         s->size);
                return -EBADMSG;
        }
        for (const char *const *m =
                     (const char *const[]){"api_server", "cluster_ca", "expires", NULL};
             *m; m++)
                if (!json_object_object_get_ex(j, *m, &v) ||
                    !json_object_is_type(v, json_type_string)) {
                        snprintf(what, what_size, "the join bundle has no string '%s'", *m);
                        return -EBADMSG;
                }
        if (!json_object_object_get_ex(j, "token", &v) ||
            !json_object_is_type(v, json_type_string)) {
                snprintf(what, what_size, "the join bundle has no string 'token'");
                return -EBADMSG;
        }
        if (!storm_token_valid(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
                snprintf(what, what_size,
                         "the join bundle's token (%d characters) is not [a-z0-9]{6}.[a-z0-9]{16}",
                         json_object_get_string_len(v));
                r = -EBADMSG;
        }
        memory_wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
        return r;
}

static void storm_node_resource(StormNode *n) {
        _cleanup_(secret_freep) Secret *s = NULL;
        const char *reason = NULL;
        char what[256];
        int r;

        r = jwe_decrypt_json(n->resp, n->resp_size, ephemeral_key_pkey(n->key), &s, &reason);
        if (r < 0)
                return storm_node_fail(n, reason ?: "jwe", "decrypting the %s failed: %s (%s)",
                                       storm_stage_names[n->stage], reason ?: "?", strerror(-r));
        if (n->stage == STORM_STAGE_DISK_KEY) {
                char path[160];

                if (s->size != STORM_DISK_KEY_SIZE)
                        return storm_node_fail(n, "disk key size", "the disk key has %zu bytes",
                                               s->size);
                snprintf(path, sizeof(path), "/kbs/v0/resource/confnode/kubelet/join");
                return storm_node_get(n, STORM_STAGE_JOIN, path);
        }
        r = storm_check_join(s, what, sizeof(what));
        if (r < 0)
                return storm_node_fail(n, "join bundle malformed", "%s", what);
        n->worker->latency_ms[n->worker->n_latency++] = storm_now_ms() - n->t_start;
        n->stage = STORM_STAGE_DONE;
        storm_node_done(n);
}

/* A non-200 reply: its RFC 7807 type and the reason code that starts the
 * detail ("snp.measurement: …") make the failure's kind. */
static void storm_node_http_error(StormNode *n, long status) {
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *info = NULL;
        KbsProtoError perr = {};
        char kind[160], code[64] = "";
        const char *type = "?";
        int r;

        r = kbs_error_parse(n->resp ?: (const uint8_t *)"", n->resp_size, &info, &perr);
        if (r < 0) {
                snprintf(kind, sizeof(kind), "HTTP %ld (no problem JSON)", status);
                return storm_node_fail(n, kind, "HTTP %ld, body of %zu bytes: '%.200s'", status,
                                       n->resp_size, n->resp ? (const char *)n->resp : "");
        }
        if (info->known >= 0)
                type = kbs_error_type_to_string(info->known);
        if (info->detail)
                sscanf(info->detail, "%63[a-z0-9_.-]:", code);
        snprintf(kind, sizeof(kind), "HTTP %ld %s%s%s", status, type, code[0] ? ": " : "", code);
        storm_node_fail(n, kind, "HTTP %ld %s: %s", status, type, info->detail ?: "");
}

static void storm_node_completed(StormNode *n, CURLcode res) {
        long status = 0, connects = 0;
        int r;

        (void)curl_easy_getinfo(n->easy, CURLINFO_RESPONSE_CODE, &status);
        (void)curl_easy_getinfo(n->easy, CURLINFO_NUM_CONNECTS, &connects);
        n->worker->connections += (size_t)connects;
        if (res != CURLE_OK) {
                if (n->resp_too_large)
                        return storm_node_fail(n, "reply too large", "the reply exceeds %zu bytes",
                                               n->resp_max);
                return storm_node_fail(n, curl_easy_strerror(res), "curl: %s",
                                       curl_easy_strerror(res));
        }
        if (status != 200)
                return storm_node_http_error(n, status);

        switch (n->stage) {
        case STORM_STAGE_AUTH:
                return storm_node_challenge(n);
        case STORM_STAGE_ATTEST: {
                _cleanup_free_ char *token = NULL;
                KbsProtoError perr = {};
                char buf[320], path[160];

                r = kbs_attestation_response_parse(n->resp, n->resp_size, &token, &perr);
                if (r < 0)
                        return storm_node_fail(n, "response malformed", "%s",
                                               kbs_proto_error_string(&perr, buf, sizeof(buf)));
                snprintf(path, sizeof(path), "/kbs/v0/resource/confnode/disk-key/%s", n->uuid);
                return storm_node_get(n, STORM_STAGE_DISK_KEY, path);
        }
        case STORM_STAGE_DISK_KEY:
        case STORM_STAGE_JOIN:
                return storm_node_resource(n);
        default:
                return storm_node_fail(n, "internal", "reply in stage %d", (int)n->stage);
        }
}

static void *storm_worker_run(void *userdata) {
        StormWorker *w = userdata;

        for (size_t i = 0; i < w->n_nodes; i++)
                storm_node_start(&w->nodes[i]);

        while (w->finished < w->n_nodes) {
                CURLMsg *msg;
                CURLMcode mc;
                int running, left;

                storm_worker_pump(w);
                mc = curl_multi_perform(w->multi, &running);
                if (mc != CURLM_OK) {
                        fprintf(stderr, "boot-storm: curl_multi_perform: %s\n",
                                curl_multi_strerror(mc));
                        w->error = -EIO;
                        break;
                }
                while ((msg = curl_multi_info_read(w->multi, &left))) {
                        StormNode *n = NULL;

                        if (msg->msg != CURLMSG_DONE)
                                continue;
                        (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &n);
                        storm_node_completed(n, msg->data.result);
                }
                storm_worker_pump(w);
                if (w->finished >= w->n_nodes)
                        break;
                mc = curl_multi_poll(w->multi, NULL, 0, 100, NULL);
                if (mc != CURLM_OK) {
                        fprintf(stderr, "boot-storm: curl_multi_poll: %s\n",
                                curl_multi_strerror(mc));
                        w->error = -EIO;
                        break;
                }
        }
        return NULL;
}

static void storm_worker_done(StormWorker *w) {
        for (size_t i = 0; w->nodes && i < w->n_nodes; i++)
                if (w->nodes[i].stage != STORM_STAGE_DONE &&
                    w->nodes[i].stage != STORM_STAGE_FAILED) {
                        storm_node_release_request(&w->nodes[i]);
                        ephemeral_key_free(w->nodes[i].key);
                        json_object_put(w->nodes[i].jwk);
                        free(w->nodes[i].nonce);
                }
        free(w->nodes);
        free(w->queue);
        free(w->latency_ms);
        if (w->multi)
                curl_multi_cleanup(w->multi);
        if (w->share)
                curl_share_cleanup(w->share);
}

static int storm_worker_init(StormWorker *w, const StormPlatform *p, const StormOptions *o,
                             size_t n_nodes, long max_connections) {
        *w = (StormWorker){.platform = p, .options = o, .n_nodes = n_nodes};
        w->nodes = calloc(n_nodes ?: 1, sizeof(StormNode));
        w->queue = calloc(n_nodes ?: 1, sizeof(StormNode *));
        w->max_in_flight = (size_t)max_connections;
        w->latency_ms = calloc(n_nodes ?: 1, sizeof(double));
        w->multi = curl_multi_init();
        w->share = curl_share_init();
        if (!w->nodes || !w->queue || !w->latency_ms || !w->multi || !w->share)
                return -ENOMEM;
        for (size_t i = 0; i < n_nodes; i++)
                w->nodes[i].worker = w;
        /* TLS sessions are resumed across this thread's connections; the
         * connection pool itself is the multi handle's. */
        if (curl_share_setopt(w->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
                    CURLSHE_OK ||
            curl_multi_setopt(w->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections) !=
                    CURLM_OK ||
            curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections) !=
                    CURLM_OK ||
            curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, max_connections) != CURLM_OK ||
            curl_multi_setopt(w->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING) != CURLM_OK)
                return -EINVAL;
        return 0;
}

static int storm_cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static void storm_merge_failure(StormResult *r, const StormFailure *f) {
        size_t i;

        for (i = 0; i < r->n_failures; i++)
                if (strcmp(r->failures[i].what, f->what) == 0) {
                        r->failures[i].count += f->count;
                        return;
                }
        if (r->n_failures == STORM_MAX_FAILURE_KINDS) {
                r->failures_other += f->count;
                return;
        }
        r->failures[r->n_failures++] = *f;
}

void storm_result_done(StormResult *r) {
        free(r->latency_ms);
        *r = (StormResult){};
}

static double storm_cpu_s(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int storm_run(const StormPlatform *p, const StormOptions *o, size_t n, StormResult *ret) {
        unsigned threads = o->threads ?: 1;
        _cleanup_free_ StormWorker *w = calloc(threads, sizeof(StormWorker));
        StormResult res = {.n = n};
        double t0, cpu0;
        int r = 0;

        if (!w)
                return -ENOMEM;
        if (threads > n && n > 0)
                threads = (unsigned)n;
        for (unsigned t = 0; t < threads; t++) {
                size_t share = n / threads + (t < n % threads);
                long conns = (long)(o->max_connections / threads) ?: 1;

                r = storm_worker_init(&w[t], p, o, share, conns);
                if (r < 0)
                        goto out;
        }
        cpu0 = storm_cpu_s();
        t0 = storm_now_ms();
        for (unsigned t = 0; t < threads; t++) {
                r = -pthread_create(&w[t].thread, NULL, storm_worker_run, &w[t]);
                if (r < 0) {
                        for (unsigned k = 0; k < t; k++)
                                (void)pthread_join(w[k].thread, NULL);
                        goto out;
                }
        }
        for (unsigned t = 0; t < threads; t++)
                (void)pthread_join(w[t].thread, NULL);
        res.wall_s = (storm_now_ms() - t0) / 1e3;
        res.client_cpu_s = storm_cpu_s() - cpu0;
        {
                struct rusage ru;

                if (getrusage(RUSAGE_SELF, &ru) == 0)
                        res.client_maxrss_kib = ru.ru_maxrss;
        }

        res.latency_ms = calloc(n ?: 1, sizeof(double));
        if (!res.latency_ms) {
                r = -ENOMEM;
                goto out;
        }
        for (unsigned t = 0; t < threads; t++) {
                if (w[t].error < 0 && r == 0)
                        r = w[t].error;
                memcpy(res.latency_ms + res.n_latency, w[t].latency_ms,
                       w[t].n_latency * sizeof(double));
                res.n_latency += w[t].n_latency;
                res.succeeded += w[t].n_latency;
                res.failed += w[t].failed;
                res.requests += w[t].requests;
                res.connections += w[t].connections;
                res.failures_other += w[t].failures_other;
                for (size_t i = 0; i < w[t].n_failures; i++)
                        storm_merge_failure(&res, &w[t].failures[i]);
        }
        /* Nodes a broken event loop left unfinished count as failed. */
        if (res.succeeded + res.failed < n)
                res.failed = n - res.succeeded;
        qsort(res.latency_ms, res.n_latency, sizeof(double), storm_cmp_double);
        *ret = res;
        res = (StormResult){};
out:
        for (unsigned t = 0; t < threads; t++)
                storm_worker_done(&w[t]);
        storm_result_done(&res);
        return r;
}
