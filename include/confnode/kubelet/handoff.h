#pragma once

/* The handoff to kubelet once the verifier released the join bundle: the
 * cluster CA file, the bootstrap kubeconfig, and the environment file
 * kubelet.service reads through units/kubelet.service.d/10-confnode.conf
 * (EnvironmentFile=-/run/confnode/kubelet.env), each written atomically.
 * kubelet.service is ordered after confnode.service, so systemd reads the
 * environment file when it starts kubelet: no daemon-reload is needed. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "confnode/basic/secret.h"

#define KUBELET_DEFAULT_BOOTSTRAP_KUBECONFIG "/etc/kubernetes/bootstrap-kubelet.conf"
#define KUBELET_DEFAULT_KUBECONFIG "/etc/kubernetes/kubelet.conf"
#define KUBELET_DEFAULT_CA_FILE "/etc/kubernetes/pki/ca.crt"
#define KUBELET_DEFAULT_ENV_FILE "/run/confnode/kubelet.env"
#define KUBELET_CA_MODE 0644
#define KUBELET_ENV_MODE 0644

/* [kubelet] of confnode.conf. */
typedef struct KubeletConfig {
        char *bootstrap_kubeconfig; /* written: kubelet's --bootstrap-kubeconfig */
        char *kubeconfig;           /* kubelet's --kubeconfig, written by kubelet after bootstrap */
        char *ca_file;              /* written: the cluster CA, PEM */
        char *env_file;             /* written: the variables kubelet.service reads */
} KubeletConfig;

typedef struct KubeletResult {
        time_t expires;            /* when the bootstrap token lapses */
        bool expires_soon;         /* under JOIN_BUNDLE_EXPIRY_WARN_SEC left: warn */
        char token_fingerprint[9]; /* secret_fingerprint() of the token, for the log */
        /* On failure: a stable CONFNODE_REASON= code and a sentence that
         * names the bundle member or the file and what is wrong. */
        const char *reason;
        char what[512];
} KubeletResult;

/* Whether path may be handed to kubelet: absolute, and free of whitespace,
 * quotes, backslashes, '$', '%' and control characters, so it goes into
 * the environment file and onto kubelet's command line as is. */
bool kubelet_path_valid(const char *path);

/* The paths valid (above) and all four distinct; else -EINVAL with the
 * [kubelet] key at fault in *ret_key (may be NULL) and a sentence in what. */
int kubelet_config_check(const KubeletConfig *c, const char **ret_key, char *what, size_t size);

/* The environment file's text (malloc()ed). -EINVAL on an invalid path. */
int kubelet_env_render(const KubeletConfig *c, char **ret);

/* Checks the join bundle (join_bundle_parse()), then writes the CA file
 * (0644), the bootstrap kubeconfig (0600) and last the environment file
 * (0644), creating missing parent directories (0755). ret is filled in
 * either way. Returns 0, or -errno with ret->reason:
 *   kubelet.config         a path in c is not valid
 *   kubelet.bundle_invalid the bundle fails a check (-EBADMSG, -E2BIG)
 *   kubelet.token_expired  the token's expiry has passed (-EKEYEXPIRED)
 *   kubelet.write_failed   a file could not be written (-errno of the
 *                          write; earlier files may be in place, later
 *                          ones keep their old contents)
 * Lower layer: logs nothing; the caller logs once. */
int kubelet_handoff(const KubeletConfig *c, const Secret *join_bundle, KubeletResult *ret);
/* The same at a given time (tests). */
int kubelet_handoff_at(const KubeletConfig *c, const Secret *join_bundle, time_t now,
                       KubeletResult *ret);
