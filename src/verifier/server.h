#pragma once

/* The HTTPS server of `confnode-verifier serve`: the Trustee KBS protocol
 * (POST /kbs/v0/auth, POST /kbs/v0/attest, GET /kbs/v0/resource/<repo>/
 * <type>/<tag>) plus GET /healthz and GET /metrics.
 *
 * It runs on the transport in http-server.c (OpenSSL, epoll; why not
 * libmicrohttpd is said there), which asks on_head() for each request's
 * route and body limit before reading a byte of the body, so bodies are
 * bounded per route before anything is allocated for them.
 *
 * Errors are RFC 7807 bodies with Trustee's KBS error types and statuses
 * (kbs_error_build(), kbs_error_type_http_status()); the detail starts
 * with a stable reason code ("nonce.reused: …") so a client can log it as
 * CONFNODE_REASON. Two answers are not Trustee's: a body over the limit
 * gets 413 (type SerdeError), and a full session table 503 with
 * Retry-After. */

#include <stddef.h>
#include <stdint.h>

#include "appraise.h"
#include "metrics.h"
#include "policy.h"
#include "release.h"
#include "session.h"
#include "store.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/secret.h"

#define SERVER_DEFAULT_LISTEN "127.0.0.1:8443"
#define SERVER_DEFAULT_MAX_CONNECTIONS 512u
#define SERVER_CONNECTION_TIMEOUT 30u         /* seconds a connection may sit idle */
#define SERVER_CONNECTION_MEMORY (64u * 1024) /* per connection: headers and buffers */
#define SERVER_RETRY_AFTER 5u                 /* seconds, with a 503 */

typedef struct ServerConfig {
        const char *listen;        /* "ADDR:PORT", "[ADDR6]:PORT"; port 0 picks one */
        const char *tls_cert_pem;  /* certificate chain, PEM text */
        const Secret *tls_key_pem; /* private key, PEM text */
        unsigned threads;          /* worker threads (>= 1) */
        unsigned max_connections;  /* open connections at most; more are closed at accept */
        size_t max_body;           /* bytes of a /attest body at most */
        SessionTable *sessions;    /* borrowed, as are the next ones */
        Store *store;
        Metrics *metrics;
        const Secret *master;    /* disk keys */
        const ReleaseJoin *join; /* NULL: no join bundles */
} ServerConfig;

typedef struct Server Server;

/* Takes ownership of policy and appraiser (even on failure). */
int server_new(const ServerConfig *c, Policy *policy, Appraiser *appraiser, Server **ret);
/* Binds and starts the worker threads. err gets a sentence. */
int server_start(Server *s, char *err, size_t err_size);
/* The bound port (useful when the listen port was 0). */
uint16_t server_port(Server *s);
/* Stops accepting, waits for the workers, frees everything it owns. */
void server_free(Server *s);
DEFINE_CLEANUP(Server, server_free)

/* Swaps in a new policy and its appraiser (taking ownership). Requests
 * already running finish with the old pair, which is freed after the last
 * of them. */
void server_set_policy(Server *s, Policy *policy, Appraiser *appraiser);

/* The first path segment after /kbs/v0/resource/ etc. is one of
 * [A-Za-z0-9._-]{1,64}, and neither "." nor "..". */
bool server_segment_is_valid(const char *s, size_t n);
