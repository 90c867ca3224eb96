#include "confnode/kubelet/handoff.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/fileio.h"
#include "confnode/kubelet/atomic-file.h"
#include "confnode/kubelet/join-bundle.h"
#include "confnode/kubelet/kubeconfig.h"

bool kubelet_path_valid(const char *path) {
        if (!path || path[0] != '/' || strlen(path) >= PATH_MAX || path[strlen(path) - 1] == '/')
                return false;
        for (const char *p = path; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f || strchr("\"'\\$%`", *p))
                        return false;
        return true;
}

int kubelet_config_check(const KubeletConfig *c, const char **ret_key, char *what, size_t size) {
        const struct {
                const char *key;
                const char *path;
        } paths[] = {
                {"bootstrap_kubeconfig", c->bootstrap_kubeconfig},
                {"kubeconfig", c->kubeconfig},
                {"ca_file", c->ca_file},
                {"env_file", c->env_file},
        };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                if (!kubelet_path_valid(paths[i].path)) {
                        snprintf(what, size,
                                 "[kubelet] %s '%s' is not an absolute file path free of "
                                 "whitespace, "
                                 "quotes, '\\', '$', '%%' and control characters",
                                 paths[i].key, paths[i].path ? paths[i].path : "");
                        if (ret_key)
                                *ret_key = paths[i].key;
                        return -EINVAL;
                }
                for (size_t j = 0; j < i; j++)
                        if (strcmp(paths[i].path, paths[j].path) == 0) {
                                snprintf(what, size, "[kubelet] %s and %s are the same file '%s'",
                                         paths[j].key, paths[i].key, paths[i].path);
                                if (ret_key)
                                        *ret_key = paths[i].key;
                                return -EINVAL;
                        }
        }
        return 0;
}

int kubelet_env_render(const KubeletConfig *c, char **ret) {
        char what[256];
        char *s;

        if (kubelet_config_check(c, NULL, what, sizeof(what)) < 0)
                return -EINVAL;
        /* kubeadm's 10-kubeadm.conf passes $KUBELET_KUBECONFIG_ARGS to
         * kubelet (older releases named it KUBELET_BOOTSTRAP_KUBECONFIG_ARGS);
         * both are set, and EnvironmentFile= wins over Environment=. */
        if (asprintf(&s,
                     "# Written by confnode after attestation; kubelet.service reads it through\n"
                     "# kubelet.service.d/10-confnode.conf (EnvironmentFile=).\n"
                     "KUBELET_BOOTSTRAP_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=%s "
                     "--kubeconfig=%s\"\n"
                     "KUBELET_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=%s --kubeconfig=%s\"\n"
                     "CONFNODE_KUBELET_CA_FILE=\"%s\"\n",
                     c->bootstrap_kubeconfig, c->kubeconfig, c->bootstrap_kubeconfig, c->kubeconfig,
                     c->ca_file) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int kubelet_fail(KubeletResult *ret, int r, const char *reason, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int kubelet_fail(KubeletResult *ret, int r, const char *reason, const char *fmt, ...) {
        va_list ap;

        ret->reason = reason;
        va_start(ap, fmt);
        vsnprintf(ret->what, sizeof(ret->what), fmt, ap);
        va_end(ap);
        return r;
}

/* Creates the directory path lives in. */
static int kubelet_mkdir_parent(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        return mkdir_p(dir, 0755);
}

static int kubelet_write(KubeletResult *ret, const char *what, const char *path, const void *data,
                         size_t size, mode_t mode) {
        int r = kubelet_mkdir_parent(path);

        if (r >= 0)
                r = atomic_file_write(path, data, size, mode);
        if (r < 0)
                return kubelet_fail(ret, r, "kubelet.write_failed", "Cannot write the %s '%s': %s",
                                    what, path, strerror(-r));
        return 0;
}

int kubelet_handoff_at(const KubeletConfig *c, const Secret *join_bundle, time_t now,
                       KubeletResult *ret) {
        _cleanup_(join_bundle_done) JoinBundle b = {0};
        _cleanup_free_ char *env = NULL;
        JoinBundleError err = {0};
        KubeconfigParams kp;
        char what[256];
        int r;

        *ret = (KubeletResult){0};
        if (!c || !join_bundle)
                return -EINVAL;
        r = kubelet_config_check(c, NULL, what, sizeof(what));
        if (r < 0)
                return kubelet_fail(ret, r, "kubelet.config", "%s", what);
        r = join_bundle_parse(join_bundle->data, join_bundle->size, now, &b, &err);
        if (r == -ENOMEM)
                return kubelet_fail(ret, r, "kubelet.bundle_invalid",
                                    "Out of memory parsing the join bundle");
        if (r < 0)
                return kubelet_fail(
                        ret, r,
                        r == -EKEYEXPIRED ? "kubelet.token_expired" : "kubelet.bundle_invalid",
                        "Join bundle (%zu bytes) rejected: %s", join_bundle->size, err.what);
        ret->expires = b.expires;
        ret->expires_soon = join_bundle_expires_soon(&b, now);
        secret_fingerprint(b.token, ret->token_fingerprint);

        r = kubelet_env_render(c, &env);
        if (r < 0)
                return kubelet_fail(ret, r, "kubelet.config",
                                    "Cannot form the kubelet environment file");
        /* The CA first and the environment file last: each file only ever
         * points at files that are already complete. */
        r = kubelet_write(ret, "cluster CA file", c->ca_file, b.cluster_ca, b.cluster_ca_size,
                          KUBELET_CA_MODE);
        if (r < 0)
                return r;
        kp = (KubeconfigParams){
                .server = b.api_server,
                .ca_file = c->ca_file,
                .token = b.token,
        };
        {
                _cleanup_(secret_freep) Secret *text = NULL;

                r = kubeconfig_render(&kp, &text);
                if (r < 0)
                        return kubelet_fail(ret, r, "kubelet.write_failed",
                                            "Cannot form the bootstrap kubeconfig: %s",
                                            strerror(-r));
                r = kubelet_write(ret, "bootstrap kubeconfig", c->bootstrap_kubeconfig, text->data,
                                  text->size, KUBECONFIG_MODE);
                if (r < 0)
                        return r;
        }
        return kubelet_write(ret, "kubelet environment file", c->env_file, env, strlen(env),
                             KUBELET_ENV_MODE);
}

int kubelet_handoff(const KubeletConfig *c, const Secret *join_bundle, KubeletResult *ret) {
        return kubelet_handoff_at(c, join_bundle, time(NULL), ret);
}
