#include "confnode/kubelet/join-bundle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/json-parse.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"

static const char *const join_bundle_members[] = {"api_server", "cluster_ca", "token", "expires"};

static int join_bundle_fail(JoinBundleError *err, int r, const char *member, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int join_bundle_fail(JoinBundleError *err, int r, const char *member, const char *fmt, ...) {
        va_list ap;

        if (!err)
                return r;
        err->member = member;
        va_start(ap, fmt);
        vsnprintf(err->what, sizeof(err->what), fmt, ap);
        va_end(ap);
        return r;
}

bool join_bundle_url_valid(const char *url) {
        const char *host;
        size_t len;

        if (!url || strncmp(url, "https://", 8) != 0)
                return false;
        len = strlen(url);
        if (len > JOIN_BUNDLE_MAX_URL)
                return false;
        /* Printable ASCII without space, quotes or backslash: the URL is
         * written into YAML and never needs escaping there. */
        for (const char *p = url; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '"' ||
                    *p == '\'' || *p == '\\')
                        return false;
        host = url + 8;
        /* A host must follow the scheme: "https:///x" and "https://:6443"
         * name no server. */
        return host[0] != 0 && host[0] != '/' && host[0] != ':' && host[0] != '?' && host[0] != '#';
}

static bool join_bundle_token_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool join_bundle_token_valid(const void *token, size_t size) {
        const char *t = token;

        if (!t || size != JOIN_BUNDLE_TOKEN_LEN)
                return false;
        for (size_t i = 0; i < size; i++) {
                if (i == 6) {
                        if (t[i] != '.')
                                return false;
                } else if (!join_bundle_token_char(t[i]))
                        return false;
        }
        return true;
}

bool join_bundle_expires_soon(const JoinBundle *b, time_t now) {
        return b->expires - now < JOIN_BUNDLE_EXPIRY_WARN_SEC;
}

void join_bundle_done(JoinBundle *b) {
        if (!b)
                return;
        free(b->api_server);
        free(b->cluster_ca);
        secret_free(b->token);
        *b = (JoinBundle){0};
}

/* json-c keeps its own copy of every string; the token's is wiped before
 * the tree goes, so it does not linger in freed heap. */
static void join_bundle_wipe_token(json_object *root) {
        json_object *v;

        if (root && json_object_object_get_ex(root, "token", &v) &&
            json_object_is_type(v, json_type_string))
                memory_wipe((char *)json_object_get_string(v),
                            (size_t)json_object_get_string_len(v));
}

static void json_object_put_wipedp(json_object **root) {
        if (*root) {
                join_bundle_wipe_token(*root);
                json_object_put(*root);
        }
        *root = NULL;
}

/* A member as a string without NUL bytes, at most max bytes long. */
static int join_bundle_string(json_object *root, const char *member, size_t max, const char **ret,
                              size_t *ret_len, JoinBundleError *err) {
        json_object *v;
        size_t len;
        const char *s;

        if (!json_object_object_get_ex(root, member, &v))
                return join_bundle_fail(err, -EBADMSG, member, "%s: missing", member);
        if (!json_object_is_type(v, json_type_string))
                return join_bundle_fail(err, -EBADMSG, member, "%s: not a string but %s", member,
                                        json_type_to_name(json_object_get_type(v)));
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (len == 0)
                return join_bundle_fail(err, -EBADMSG, member, "%s: empty", member);
        if (len > max)
                return join_bundle_fail(err, -E2BIG, member, "%s: %zu bytes, more than %zu", member,
                                        len, max);
        if (memchr(s, 0, len))
                return join_bundle_fail(err, -EBADMSG, member, "%s: holds a NUL character", member);
        *ret = s;
        *ret_len = len;
        return 0;
}

static int join_bundle_check_ca(const char *pem, size_t len, JoinBundleError *err) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL;
        int r;

        /* kubeadm hands the CA around as PEM; DER here would be a sign of a
         * misconfigured verifier, not something to be lenient about. */
        if (!memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27))
                return join_bundle_fail(err, -EBADMSG, "cluster_ca",
                                        "cluster_ca: no PEM certificate in it");
        certs = sk_X509_new_null();
        if (!certs)
                return -ENOMEM;
        r = cert_load_buffer((const uint8_t *)pem, len, certs);
        ERR_clear_error();
        if (r == -ENOMEM)
                return r;
        if (r < 0 || sk_X509_num(certs) == 0)
                return join_bundle_fail(err, r == -E2BIG ? -E2BIG : -EBADMSG, "cluster_ca",
                                        "cluster_ca: not a valid X.509 certificate in PEM: %s",
                                        strerror(r < 0 ? -r : EBADMSG));
        return 0;
}

int join_bundle_parse(const void *data, size_t size, time_t now, JoinBundle *ret,
                      JoinBundleError *err) {
        static const JsonParseLimits limits = {
                .max_size = JOIN_BUNDLE_MAX_SIZE,
                .max_depth = 1,
                .max_values = 16,
        };
        _cleanup_(json_object_put_wipedp) json_object *root = NULL;
        _cleanup_(join_bundle_done) JoinBundle b = {0};
        ParseError perr = {0};
        const char *url, *ca, *token, *expires;
        size_t url_len, ca_len, token_len, expires_len;
        char when[21];
        int r;

        if (err)
                *err = (JoinBundleError){0};
        if (!data && size > 0)
                return -EINVAL;
        if (size > JOIN_BUNDLE_MAX_SIZE)
                return join_bundle_fail(err, -E2BIG, NULL, "join bundle: %zu bytes, more than %u",
                                        size, JOIN_BUNDLE_MAX_SIZE);
        r = json_parse_bounded(data, size, &limits, &root, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return join_bundle_fail(err, r, NULL, "join bundle: not JSON: %s",
                                        perr.set ? perr.what : strerror(-r));
        if (!json_object_is_type(root, json_type_object))
                return join_bundle_fail(err, -EBADMSG, NULL,
                                        "join bundle: not a JSON object but %s",
                                        json_type_to_name(json_object_get_type(root)));
        json_object_object_foreach(root, key, val) {
                bool known = false;

                (void)val;
                for (size_t i = 0; i < ELEMENTSOF(join_bundle_members); i++)
                        known = known || strcmp(key, join_bundle_members[i]) == 0;
                if (!known)
                        return join_bundle_fail(err, -EBADMSG, NULL,
                                                "join bundle: unknown member '%.64s'", key);
        }

        r = join_bundle_string(root, "api_server", JOIN_BUNDLE_MAX_URL, &url, &url_len, err);
        if (r < 0)
                return r;
        if (!join_bundle_url_valid(url))
                return join_bundle_fail(err, -EBADMSG, "api_server",
                                        "api_server: '%.128s' is not an https:// URL with a host",
                                        url);

        r = join_bundle_string(root, "cluster_ca", JOIN_BUNDLE_MAX_CA, &ca, &ca_len, err);
        if (r < 0)
                return r;
        r = join_bundle_check_ca(ca, ca_len, err);
        if (r < 0)
                return r;

        /* The token's text is never put into an error: it is the secret. */
        r = join_bundle_string(root, "token", 64, &token, &token_len, err);
        if (r == -E2BIG)
                return join_bundle_fail(
                        err, -EBADMSG, "token", "token: %zu characters, not %u",
                        (size_t)json_object_get_string_len(json_object_object_get(root, "token")),
                        JOIN_BUNDLE_TOKEN_LEN);
        if (r < 0)
                return r;
        if (!join_bundle_token_valid(token, token_len))
                return join_bundle_fail(
                        err, -EBADMSG, "token",
                        "token: %zu characters not of the form [a-z0-9]{6}.[a-z0-9]{16}",
                        token_len);

        r = join_bundle_string(root, "expires", 64, &expires, &expires_len, err);
        if (r < 0)
                return r;
        if (cert_time_parse_rfc3339(expires, &b.expires) < 0)
                return join_bundle_fail(err, -EBADMSG, "expires",
                                        "expires: '%.64s' is not an RFC 3339 time", expires);
        if (b.expires <= now) {
                if (cert_time_format_rfc3339(now, when) < 0)
                        snprintf(when, sizeof(when), "now");
                return join_bundle_fail(err, -EKEYEXPIRED, "expires",
                                        "expires: '%.64s' is not after the current time %s",
                                        expires, when);
        }

        b.api_server = strndup(url, url_len);
        b.cluster_ca = strndup(ca, ca_len);
        if (!b.api_server || !b.cluster_ca)
                return -ENOMEM;
        b.cluster_ca_size = ca_len;
        r = secret_new_copy(token, token_len, &b.token);
        if (r < 0)
                return r;
        *ret = b;
        b = (JoinBundle){0};
        return 0;
}
