#include "confnode/kubelet/kubeconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"
#include "confnode/kubelet/atomic-file.h"

/* The text is built in two passes over the same code: one that only counts
 * (buf NULL), then one into a Secret of exactly that size, so the token is
 * copied once, into locked memory, and never into a buffer that grows. */
typedef struct KubeconfigOut {
        uint8_t *buf;
        size_t size;
        size_t pos;
} KubeconfigOut;

static void kubeconfig_put(KubeconfigOut *o, const void *p, size_t n) {
        if (o->buf && o->pos + n <= o->size)
                memcpy(o->buf + o->pos, p, n);
        o->pos += n;
}

static void kubeconfig_puts(KubeconfigOut *o, const char *s) {
        kubeconfig_put(o, s, strlen(s));
}

/* A YAML double-quoted scalar (YAML 1.2 section 7.3.1): quote, backslash
 * and control characters escaped, everything else as is. */
static void kubeconfig_put_quoted(KubeconfigOut *o, const char *s, size_t n) {
        kubeconfig_put(o, "\"", 1);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[8];

                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        kubeconfig_put(o, esc, 2);
                } else if (c < 0x20 || c == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\x%02x", c);
                        kubeconfig_put(o, esc, 4);
                } else
                        kubeconfig_put(o, &s[i], 1);
        }
        kubeconfig_put(o, "\"", 1);
}

static void kubeconfig_put_line(KubeconfigOut *o, const char *prefix, const char *value, size_t n) {
        kubeconfig_puts(o, prefix);
        kubeconfig_put_quoted(o, value, n);
        kubeconfig_puts(o, "\n");
}

static void kubeconfig_emit(KubeconfigOut *o, const KubeconfigParams *p, const char *ca_b64) {
        kubeconfig_puts(o,
                        "# Written by confnode from the join bundle the verifier released after\n"
                        "# attestation: kubelet's TLS bootstrap credentials.\n"
                        "apiVersion: v1\n"
                        "kind: Config\n"
                        "clusters:\n");
        kubeconfig_put_line(o, "- name: ", KUBECONFIG_CLUSTER, strlen(KUBECONFIG_CLUSTER));
        kubeconfig_puts(o, "  cluster:\n");
        kubeconfig_put_line(o, "    server: ", p->server, strlen(p->server));
        if (p->ca_file)
                kubeconfig_put_line(o, "    certificate-authority: ", p->ca_file,
                                    strlen(p->ca_file));
        else
                kubeconfig_put_line(o, "    certificate-authority-data: ", ca_b64, strlen(ca_b64));
        kubeconfig_puts(o, "contexts:\n");
        kubeconfig_put_line(o, "- name: ", KUBECONFIG_CONTEXT, strlen(KUBECONFIG_CONTEXT));
        kubeconfig_puts(o, "  context:\n");
        kubeconfig_put_line(o, "    cluster: ", KUBECONFIG_CLUSTER, strlen(KUBECONFIG_CLUSTER));
        kubeconfig_put_line(o, "    user: ", KUBECONFIG_USER, strlen(KUBECONFIG_USER));
        kubeconfig_put_line(o, "current-context: ", KUBECONFIG_CONTEXT, strlen(KUBECONFIG_CONTEXT));
        kubeconfig_puts(o, "preferences: {}\n"
                           "users:\n");
        kubeconfig_put_line(o, "- name: ", KUBECONFIG_USER, strlen(KUBECONFIG_USER));
        kubeconfig_puts(o, "  user:\n");
        kubeconfig_put_line(o, "    token: ", (const char *)p->token->data, p->token->size);
}

/* Standard base64 (with padding), as certificate-authority-data wants. */
static int kubeconfig_base64(const char *data, size_t size, char **ret) {
        _cleanup_free_ char *b = NULL;
        size_t n;

        if (size > (SIZE_MAX / 4) * 3 - 3 || size > INT32_MAX)
                return -E2BIG;
        n = (size + 2) / 3 * 4;
        b = malloc(n + 1);
        if (!b)
                return -ENOMEM;
        if ((size_t)EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)data, (int)size) !=
            n)
                return -EIO;
        b[n] = 0;
        *ret = TAKE_PTR(b);
        return 0;
}

int kubeconfig_render(const KubeconfigParams *p, Secret **ret) {
        _cleanup_(secret_freep) Secret *s = NULL;
        _cleanup_free_ char *ca_b64 = NULL;
        KubeconfigOut o = {0};
        int r;

        if (!p || !p->server || !p->token || !p->token->data || (!p->ca_file && !p->ca_data))
                return -EINVAL;
        if (!p->ca_file) {
                r = kubeconfig_base64(p->ca_data, p->ca_data_size, &ca_b64);
                if (r < 0)
                        return r;
        }
        kubeconfig_emit(&o, p, ca_b64);
        r = secret_new(o.pos, &s);
        if (r < 0)
                return r;
        o = (KubeconfigOut){.buf = s->data, .size = s->size};
        kubeconfig_emit(&o, p, ca_b64);
        if (o.pos != s->size)
                return -EIO;
        *ret = TAKE_PTR(s);
        return 0;
}

int kubeconfig_write(const char *path, const KubeconfigParams *p) {
        _cleanup_(secret_freep) Secret *text = NULL;
        int r;

        r = kubeconfig_render(p, &text);
        if (r < 0)
                return r;
        return atomic_file_write(path, text->data, text->size, KUBECONFIG_MODE);
}
