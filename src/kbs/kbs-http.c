/* HTTPS for the KBS client: one request per call, every limit set
 * explicitly rather than trusting libcurl's defaults, and CURLcode turned
 * into -errno here and nowhere else. */

#include "confnode/kbs/kbs-http.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "confnode/basic/secret.h"

DEFINE_CLEANUP(CURL, curl_easy_cleanup)
DEFINE_CLEANUP(struct curl_slist, curl_slist_free_all)

/* Where the system keeps its CA certificates when libcurl does not say. */
#define KBS_HTTP_SYSTEM_CAPATH "/etc/ssl/certs"

static pthread_once_t kbs_http_once = PTHREAD_ONCE_INIT;
static CURLcode kbs_http_init_result;

static void kbs_http_global_init(void) {
        kbs_http_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct KbsHttpCall {
        const KbsHttpOptions *opts;
        size_t max;
        uint8_t *body;
        size_t size;
        size_t allocated;
        bool too_large;
        bool oom;
        char *cookie;
        char *location;
        char *retry_after;
} KbsHttpCall;

static void kbs_http_call_done(KbsHttpCall *c) {
        free(c->body);
        free(c->cookie);
        free(c->location);
        free(c->retry_after);
}

/* Refuses the body as soon as it would pass the bound, so a server cannot
 * make us buffer more than max bytes whatever it claims. */
static size_t kbs_http_write(char *data, size_t size, size_t n, void *userdata) {
        KbsHttpCall *c = userdata;
        size_t len = size * n;

        if (len > c->max - c->size) {
                c->too_large = true;
                return 0;
        }
        if (c->size + len + 1 > c->allocated) {
                size_t want = c->allocated ? c->allocated : 4096;
                uint8_t *p;

                while (want < c->size + len + 1)
                        want *= 2;
                if (want > c->max + 1)
                        want = c->max + 1;
                p = realloc(c->body, want);
                if (!p) {
                        c->oom = true;
                        return 0;
                }
                c->body = p;
                c->allocated = want;
        }
        memcpy(c->body + c->size, data, len);
        c->size += len;
        c->body[c->size] = 0;
        return len;
}

static bool kbs_http_cookie_octet(unsigned char ch) {
        /* RFC 6265 section 4.1.1: US-ASCII visible characters without
         * DQUOTE, comma, semicolon and backslash. */
        return ch >= 0x21 && ch <= 0x7e && ch != '"' && ch != ',' && ch != ';' && ch != '\\';
}

int kbs_http_parse_set_cookie(const char *value, char **ret) {
        static const char name[] = KBS_HTTP_SESSION_COOKIE "=";
        const char *v, *end;
        size_t len;
        char *s;

        while (*value == ' ' || *value == '\t')
                value++;
        if (strncmp(value, name, sizeof(name) - 1) != 0)
                return -ENOENT;
        v = value + sizeof(name) - 1;
        end = v + strcspn(v, ";");
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        if (end - v >= 2 && v[0] == '"' && end[-1] == '"') {
                v++;
                end--;
        }
        len = (size_t)(end - v);
        if (len == 0 || len > KBS_HTTP_MAX_COOKIE)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++)
                if (!kbs_http_cookie_octet((unsigned char)v[i]))
                        return -EBADMSG;
        s = strndup(v, len);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int kbs_http_parse_retry_after(const char *value, int64_t now_s, uint64_t *ret_ms) {
        const char *p = value;
        uint64_t secs = 0;

        while (*p == ' ' || *p == '\t')
                p++;
        if (*p >= '0' && *p <= '9') {
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (secs > UINT64_MAX / 10000)
                                return -EINVAL;
                        secs = secs * 10 + (uint64_t)(*p - '0');
                }
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p)
                        return -EINVAL;
                *ret_ms = secs * 1000;
                return 0;
        } else {
                time_t t = curl_getdate(p, NULL);

                if (t == (time_t)-1)
                        return -EINVAL;
                *ret_ms = (int64_t)t > now_s ? (uint64_t)((int64_t)t - now_s) * 1000 : 0;
                return 0;
        }
}

/* A copy of a header's value without the line end; NULL on ENOMEM. */
static char *kbs_http_header_value(const char *line, size_t len, size_t name_len) {
        const char *v = line + name_len, *end = line + len;

        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        return strndup(v, (size_t)(end - v));
}

static bool kbs_http_header_is(const char *line, size_t len, const char *name) {
        size_t n = strlen(name);

        return len > n && strncasecmp(line, name, n) == 0;
}

static size_t kbs_http_header(char *line, size_t size, size_t n, void *userdata) {
        KbsHttpCall *c = userdata;
        size_t len = size * n;
        char **slot = NULL, *v;

        /* A new status line starts a new response (after a 1xx): forget
         * what the previous one said. */
        if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
                c->cookie = (free(c->cookie), NULL);
                c->location = (free(c->location), NULL);
                c->retry_after = (free(c->retry_after), NULL);
                return len;
        }
        if (kbs_http_header_is(line, len, "set-cookie:")) {
                _cleanup_free_ char *cv = kbs_http_header_value(line, len, strlen("set-cookie:"));
                char *cookie = NULL;
                int r;

                if (!cv) {
                        c->oom = true;
                        return 0;
                }
                r = kbs_http_parse_set_cookie(cv, &cookie);
                if (r == -ENOMEM) {
                        c->oom = true;
                        return 0;
                }
                if (r == -EBADMSG)
                        log_debug("Ignoring a malformed %s cookie", KBS_HTTP_SESSION_COOKIE);
                if (r >= 0) {
                        free(c->cookie);
                        c->cookie = cookie;
                }
                return len;
        }
        if (kbs_http_header_is(line, len, "retry-after:"))
                slot = &c->retry_after;
        else if (kbs_http_header_is(line, len, "location:"))
                slot = &c->location;
        if (!slot)
                return len;
        v = kbs_http_header_value(line, len, (size_t)(strchr(line, ':') - line) + 1);
        if (!v) {
                c->oom = true;
                return 0;
        }
        free(*slot);
        *slot = v;
        return len;
}

static int kbs_http_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                             curl_off_t ultotal, curl_off_t ulnow) {
        const KbsHttpCall *c = userdata;

        return c->opts->cancel && *c->opts->cancel ? 1 : 0;
}

static void kbs_http_what(char what[static KBS_HTTP_MAX_WHAT], const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void kbs_http_what(char what[static KBS_HTTP_MAX_WHAT], const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, KBS_HTTP_MAX_WHAT, fmt, ap);
        va_end(ap);
}

/* The CURLcode of a failed transfer as -errno and a phrase. */
static int kbs_http_error(CURL *h, CURLcode cc, const KbsHttpCall *c, const char *errbuf,
                          char what[static KBS_HTTP_MAX_WHAT]) {
        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
        long os_errno = 0;

        switch (cc) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                kbs_http_what(what, "not a usable https:// URL (%s)", detail);
                return -EINVAL;
        case CURLE_COULDNT_RESOLVE_HOST:
                kbs_http_what(what, "cannot resolve the host name");
                return -EHOSTUNREACH;
        case CURLE_COULDNT_CONNECT:
                (void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
                switch (os_errno) {
                case ENETUNREACH:
                        kbs_http_what(what, "network unreachable");
                        return -ENETUNREACH;
                case EHOSTUNREACH:
                        kbs_http_what(what, "host unreachable");
                        return -EHOSTUNREACH;
                default:
                        kbs_http_what(what, "connection refused");
                        return -ECONNREFUSED;
                }
        case CURLE_OPERATION_TIMEDOUT: {
                curl_off_t connected = 0;

                (void)curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &connected);
                if (connected == 0)
                        kbs_http_what(what, "no TLS connection within %.1f s",
                                      (double)c->opts->connect_timeout_ms / 1000.0);
                else
                        kbs_http_what(what, "no complete answer within %.1f s",
                                      (double)c->opts->request_timeout_ms / 1000.0);
                return -ETIMEDOUT;
        }
        case CURLE_PEER_FAILED_VERIFICATION:
                kbs_http_what(what, "server certificate not trusted (%s)", detail);
                return -EKEYREJECTED;
        case CURLE_SSL_CACERT_BADFILE:
                kbs_http_what(what, "cannot read the CA file '%s'", c->opts->ca_file);
                return -ENOENT;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
                kbs_http_what(what, "TLS handshake failed (%s)", detail);
                return -EPROTO;
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (c->oom)
                        return -ENOMEM;
                kbs_http_what(what, "reply larger than %zu bytes", c->max);
                return -EFBIG;
        case CURLE_ABORTED_BY_CALLBACK:
                kbs_http_what(what, "cancelled");
                return -ECANCELED;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
                kbs_http_what(what, "connection closed before a complete answer (%s)", detail);
                return -ECONNRESET;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_BAD_CONTENT_ENCODING:
                kbs_http_what(what, "not an HTTP answer (%s)", detail);
                return -EPROTO;
        default:
                kbs_http_what(what, "transfer failed (%s)", detail);
                return -EIO;
        }
}

/* A bearer token goes into a header line: it must be a b64token (RFC 6750
 * section 2.1), or it could smuggle another header in. */
static bool kbs_http_token_valid(const char *t) {
        size_t n = strlen(t), i = 0;

        if (n == 0 || n > 4096)
                return false;
        for (; i < n && t[i] != '='; i++)
                if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') ||
                      (t[i] >= '0' && t[i] <= '9') || strchr("-._~+/", t[i])))
                        return false;
        for (; i < n; i++)
                if (t[i] != '=')
                        return false;
        return true;
}

#define SETOPT(h, opt, val)                                                                        \
        do {                                                                                       \
                if (curl_easy_setopt(h, opt, val) != CURLE_OK)                                     \
                        return -EINVAL;                                                            \
        } while (0)

static int kbs_http_setup(CURL *h, const KbsHttpOptions *o, const KbsHttpRequest *req,
                          KbsHttpCall *c, struct curl_slist *headers, char *errbuf,
                          char *cookie_line) {
        SETOPT(h, CURLOPT_URL, req->url);
        SETOPT(h, CURLOPT_PROTOCOLS_STR, "https");
        SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        /* A verifier that redirects is misconfigured or not ours: we do
         * not let it send the evidence (or the session cookie) elsewhere. */
        SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
        SETOPT(h, CURLOPT_MAXREDIRS, 0L);
        /* Nothing from the environment decides where the evidence goes. */
        SETOPT(h, CURLOPT_PROXY, "");
        SETOPT(h, CURLOPT_NOSIGNAL, 1L);
        SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
        SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        SETOPT(h, CURLOPT_USERAGENT, "confnode/" CONFNODE_VERSION);

        SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
        SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
        /* The verifier's CA is pinned: CAINFO replaces libcurl's default
         * bundle, and CAPATH NULL turns off its default directory, so the
         * system store counts only when the configuration says so. */
        SETOPT(h, CURLOPT_CAINFO, o->ca_file);
        if (o->use_system_trust) {
                const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

                SETOPT(h, CURLOPT_CAPATH, vi && vi->capath ? vi->capath : KBS_HTTP_SYSTEM_CAPATH);
        } else
                SETOPT(h, CURLOPT_CAPATH, (char *)NULL);

        SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
        SETOPT(h, CURLOPT_TIMEOUT_MS, (long)o->request_timeout_ms);
        SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_response);
        SETOPT(h, CURLOPT_WRITEFUNCTION, kbs_http_write);
        SETOPT(h, CURLOPT_WRITEDATA, c);
        SETOPT(h, CURLOPT_HEADERFUNCTION, kbs_http_header);
        SETOPT(h, CURLOPT_HEADERDATA, c);
        SETOPT(h, CURLOPT_XFERINFOFUNCTION, kbs_http_progress);
        SETOPT(h, CURLOPT_XFERINFODATA, c);
        SETOPT(h, CURLOPT_NOPROGRESS, 0L);
        /* No cookie engine: the one cookie we use is read and sent by hand. */
        if (cookie_line)
                SETOPT(h, CURLOPT_COOKIE, cookie_line);

        if (req->method == KBS_HTTP_POST) {
                SETOPT(h, CURLOPT_POST, 1L);
                SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
                SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_size);
        } else
                SETOPT(h, CURLOPT_HTTPGET, 1L);
        SETOPT(h, CURLOPT_HTTPHEADER, headers);
        return 0;
}

#undef SETOPT

static int kbs_http_headers(const KbsHttpRequest *req, struct curl_slist **ret) {
        static const char *const fixed[] = {
                "Accept: application/json",
                "Expect:", /* no 100-continue round trip for large evidence */
        };
        struct curl_slist *l = NULL, *n;

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
                n = curl_slist_append(l, fixed[i]);
                if (!n)
                        goto oom;
                l = n;
        }
        if (req->method == KBS_HTTP_POST) {
                n = curl_slist_append(l, "Content-Type: application/json");
                if (!n)
                        goto oom;
                l = n;
        }
        if (req->bearer) {
                _cleanup_(secret_freep) Secret *line = NULL;
                size_t len = strlen("Authorization: Bearer ") + strlen(req->bearer);

                if (!kbs_http_token_valid(req->bearer)) {
                        curl_slist_free_all(l);
                        return -EINVAL;
                }
                if (secret_new(len + 1, &line) < 0)
                        goto oom;
                snprintf((char *)line->data, len + 1, "Authorization: Bearer %s", req->bearer);
                /* libcurl keeps its own copy until the list is freed; ours
                 * is wiped with the Secret. */
                n = curl_slist_append(l, (const char *)line->data);
                if (!n)
                        goto oom;
                l = n;
        }
        *ret = l;
        return 0;
oom:
        curl_slist_free_all(l);
        return -ENOMEM;
}

int kbs_http_request(const KbsHttpOptions *opts, const KbsHttpRequest *req, KbsHttpResponse *ret,
                     char what[static KBS_HTTP_MAX_WHAT]) {
        _cleanup_(curl_easy_cleanupp) CURL *h = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_free_ char *cookie_line = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        KbsHttpCall c = {.opts = opts, .max = req->max_response};
        long status = 0;
        CURLcode cc;
        int r;

        what[0] = 0;
        if (!req->url || strncmp(req->url, "https://", 8) != 0) {
                kbs_http_what(what, "not an https:// URL");
                return -EINVAL;
        }
        if (!opts->ca_file) {
                kbs_http_what(what, "no CA file configured");
                return -EINVAL;
        }
        pthread_once(&kbs_http_once, kbs_http_global_init);
        if (kbs_http_init_result != CURLE_OK)
                return -ENOMEM;

        h = curl_easy_init();
        if (!h)
                return -ENOMEM;
        r = kbs_http_headers(req, &headers);
        if (r == -EINVAL)
                kbs_http_what(what, "the bearer token is not a b64token");
        if (r < 0)
                return r;
        if (req->session_cookie) {
                for (const char *p = req->session_cookie; *p; p++)
                        if (!kbs_http_cookie_octet((unsigned char)*p)) {
                                kbs_http_what(what, "the session cookie is malformed");
                                return -EINVAL;
                        }
                if (asprintf(&cookie_line, "%s=%s", KBS_HTTP_SESSION_COOKIE, req->session_cookie) <
                    0) {
                        cookie_line = NULL;
                        return -ENOMEM;
                }
        }
        r = kbs_http_setup(h, opts, req, &c, headers, errbuf, cookie_line);
        if (r < 0) {
                kbs_http_what(what, "libcurl refused an option");
                return r;
        }

        cc = curl_easy_perform(h);
        if (cc != CURLE_OK) {
                log_debug("%s %s: %s", req->method == KBS_HTTP_POST ? "POST" : "GET", req->url,
                          errbuf[0] ? errbuf : curl_easy_strerror(cc));
                r = kbs_http_error(h, cc, &c, errbuf, what);
                kbs_http_call_done(&c);
                return r;
        }
        if (c.oom) {
                kbs_http_call_done(&c);
                return -ENOMEM;
        }
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

        *ret = (KbsHttpResponse){
                .status = status,
                .body = c.body,
                .body_size = c.size,
                .session_cookie = c.cookie,
                .location = c.location,
        };
        if (c.retry_after && kbs_http_parse_retry_after(c.retry_after, (int64_t)time(NULL),
                                                        &ret->retry_after_ms) < 0)
                log_debug("Ignoring an unreadable Retry-After header");
        free(c.retry_after);
        if (!ret->body) {
                /* An empty body is still a string for the parsers. */
                ret->body = calloc(1, 1);
                if (!ret->body) {
                        kbs_http_response_done(ret);
                        return -ENOMEM;
                }
        }
        return 0;
}

void kbs_http_response_done(KbsHttpResponse *r) {
        if (!r)
                return;
        free(r->body);
        free(r->session_cookie);
        free(r->location);
        *r = (KbsHttpResponse){};
}
