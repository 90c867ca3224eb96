#pragma once

/* The HTTPS transport of `confnode-verifier serve`: TLS 1.2/1.3 through
 * OpenSSL, HTTP/1.1 with keep-alive, worker threads each running its own
 * epoll loop over non-blocking sockets. What a request means is the
 * caller's business (server.c): this file reads a head (http-request.c),
 * asks the caller for the body limit, reads the body (Content-Length or
 * chunked, "Expect: 100-continue" honoured), hands the request over and
 * writes the reply in one TLS write.
 *
 * Why not libmicrohttpd (which served here first): its TLS is GnuTLS only,
 * which reads each TLS record in two system calls, and it sets socket
 * options around every reply; on the boot-storm bench those system calls
 * were the largest single cost of the verifier after the cryptography.
 * Here OpenSSL reads ahead into a 64 KiB buffer, so a 100 KB evidence body
 * takes a couple of reads, and a reply is one write.
 *
 * Limits: at most max_connections open (more are closed as soon as they are
 * accepted, so a client in a boot storm fails fast and backs off); a head
 * of at most HTTP_HEAD_MAX bytes; a body of at most the caller's limit; a
 * connection idle (no bytes either way) for idle_timeout_s is closed. A
 * body over its limit is read and dropped up to discard_max bytes, so the
 * client sees the 413 instead of a reset, then the answer goes out. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http-request.h"
#include "confnode/basic/secret.h"

typedef struct HttpServer HttpServer;
typedef struct HttpExchange HttpExchange;

typedef struct HttpReply {
        unsigned status;
        const char *content_type; /* NULL: no body type */
        char *body;               /* owned: freed (wiped if sensitive) once sent */
        size_t size;
        bool sensitive;
        const char *set_cookie; /* borrowed for the call */
        const char *allow;
        unsigned retry_after; /* seconds; 0: no Retry-After */
} HttpReply;

typedef struct HttpHandlers {
        void *userdata;
        /* The head is in: either set the body limit with
         * http_exchange_set_limit() or answer at once. */
        void (*on_head)(void *userdata, HttpExchange *x);
        /* The body is in (http_exchange_body()): answer. */
        void (*on_request)(void *userdata, HttpExchange *x);
        /* The request cannot be served as sent: status 400, 411, 413, 417,
         * 431, 501 or 505, what says why; for 413, declared is the
         * Content-Length (0 when chunked). Answer. */
        void (*on_problem)(void *userdata, HttpExchange *x, unsigned status, const char *what,
                           uint64_t declared);
        /* A connection was refused at the limit. */
        void (*on_refused)(void *userdata);
        /* May an answer held with ticket go out now? (see
         * http_exchange_hold()). Asked on the worker's thread after each
         * http_server_recheck(), and at least every HTTP_HELD_RECHECK_MS
         * while answers are held. */
        bool (*ready)(void *userdata, uint64_t ticket);
} HttpHandlers;

/* Held answers are checked this often even without http_server_recheck(). */
#define HTTP_HELD_RECHECK_MS 100

typedef struct HttpServerConfig {
        struct sockaddr_storage addr;
        const char *cert_pem; /* chain, leaf first */
        const Secret *key_pem;
        unsigned threads;
        unsigned max_connections;
        unsigned idle_timeout_s;
        uint64_t discard_max;
        HttpHandlers handlers;
} HttpServerConfig;

/* Loads the certificate and key and binds; err gets a sentence. */
int http_server_new(const HttpServerConfig *c, HttpServer **ret, char *err, size_t err_size);
/* Starts the worker threads. */
int http_server_start(HttpServer *s, char *err, size_t err_size);
uint16_t http_server_port(const HttpServer *s);
unsigned http_server_connections(const HttpServer *s);
/* Tells every worker to ask handlers.ready() again for its held answers
 * (what made them wait has changed: a commit). Any thread; does not
 * block. */
void http_server_recheck(HttpServer *s);
/* Stops the workers, closes every connection and frees. */
void http_server_free(HttpServer *s);

/* ---- inside a handler ---- */
const HttpHead *http_exchange_head(const HttpExchange *x);
/* CLOCK_BOOTTIME microseconds (session_now()'s clock) when the head was in. */
uint64_t http_exchange_start(const HttpExchange *x);
void http_exchange_set_limit(HttpExchange *x, size_t limit);
void http_exchange_set_user(HttpExchange *x, const void *user);
const void *http_exchange_user(const HttpExchange *x);
void http_exchange_body(const HttpExchange *x, const uint8_t **ret, size_t *ret_size);
/* Queues the answer; takes rp->body in every case. -ENOMEM closes the
 * connection instead. */
int http_exchange_reply(HttpExchange *x, HttpReply *rp);
/* Holds the answer just queued until handlers.ready(ticket) says it may
 * go: the worker goes on serving other connections meanwhile. Used to send
 * a release only once its record is on disk, without a thread waiting. */
void http_exchange_hold(HttpExchange *x, uint64_t ticket);
const char *http_status_text(unsigned status);
