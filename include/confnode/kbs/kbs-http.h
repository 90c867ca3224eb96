#pragma once

/* One HTTPS request to a KBS, through libcurl, with the limits the agent
 * needs on a network it does not trust:
 *   - https:// only, TLS 1.2 or later, redirects never followed, no proxy;
 *   - the server's certificate must chain to the configured CA file (the
 *     system trust store is used only when asked for);
 *   - a connect timeout and a total timeout per request;
 *   - the response body is refused beyond a caller-given bound while it
 *     arrives, so a hostile server cannot make us buffer gigabytes;
 *   - the kbs-session-id cookie and Retry-After are read from the headers.
 * This is the only file that sees CURLcode; failures come back as -errno
 * with a short phrase ("connection refused") for the caller's one log
 * line. HTTP error statuses are not failures here: the caller reads them. */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cookie Trustee's KBS names its sessions by. */
#define KBS_HTTP_SESSION_COOKIE "kbs-session-id"
/* Bounds on what we keep from headers. */
#define KBS_HTTP_MAX_COOKIE 512
#define KBS_HTTP_MAX_WHAT 256

typedef struct KbsHttpOptions {
        const char *ca_file;   /* PEM file the server's chain must end in */
        bool use_system_trust; /* also accept the system's CA store */
        uint64_t connect_timeout_ms;
        uint64_t request_timeout_ms;
        /* When not NULL and set non-zero (a signal handler), a request in
         * flight is abandoned with -ECANCELED. */
        const volatile sig_atomic_t *cancel;
} KbsHttpOptions;

typedef enum KbsHttpMethod {
        KBS_HTTP_GET,
        KBS_HTTP_POST,
} KbsHttpMethod;

typedef struct KbsHttpRequest {
        KbsHttpMethod method;
        const char *url;  /* https://host[:port]/path */
        const void *body; /* POST: a JSON text */
        size_t body_size;
        const char *session_cookie; /* the kbs-session-id value to send, or NULL */
        const char *bearer;         /* an Authorization: Bearer token, or NULL */
        size_t max_response;        /* bytes of body accepted; more is -EFBIG */
} KbsHttpRequest;

typedef struct KbsHttpResponse {
        long status;   /* the HTTP status code */
        uint8_t *body; /* NUL-terminated (not counted in body_size) */
        size_t body_size;
        char *session_cookie;    /* kbs-session-id from Set-Cookie, or NULL */
        uint64_t retry_after_ms; /* Retry-After, 0 when absent or unreadable */
        char *location;          /* Location of a redirect we did not follow, or NULL */
} KbsHttpResponse;

/* Performs req. Returns 0 when an HTTP response arrived (whatever its
 * status), else:
 *   -ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -ECONNRESET  the network
 *   -ETIMEDOUT       connect or total timeout
 *   -EPROTO          TLS handshake or HTTP framing failed
 *   -EKEYREJECTED    the server's certificate is not trusted (or names
 *                    another host)
 *   -EFBIG           the body exceeds req->max_response
 *   -ECANCELED       opts->cancel was set
 *   -ENOENT          the CA file cannot be read
 *   -EINVAL          a URL that is not https://, a bad request
 *   -ENOMEM
 * what gets a phrase for the failure, as an operator reads it:
 * "connection refused", "no complete answer within 3.0 s". */
int kbs_http_request(const KbsHttpOptions *opts, const KbsHttpRequest *req, KbsHttpResponse *ret,
                     char what[static KBS_HTTP_MAX_WHAT]);
void kbs_http_response_done(KbsHttpResponse *r);

/* Retry-After as RFC 9110 section 10.2.3 has it: delay-seconds or an
 * HTTP-date (relative to now_s, a Unix time). -EINVAL when it is neither. */
int kbs_http_parse_retry_after(const char *value, int64_t now_s, uint64_t *ret_ms);

/* The value of the kbs-session-id cookie in one Set-Cookie header value
 * ("kbs-session-id=abc; Path=/; HttpOnly"). -ENOENT when the header sets
 * another cookie, -EBADMSG when the value is empty, too long or holds
 * characters RFC 6265 does not allow in a cookie value. */
int kbs_http_parse_set_cookie(const char *value, char **ret);
