#pragma once

/* kubelet's bootstrap kubeconfig: the API server, the cluster CA and the
 * bootstrap token, the shape `kubeadm join` writes for TLS bootstrapping. */

#include <stddef.h>

#include "confnode/basic/secret.h"

#define KUBECONFIG_MODE 0600
/* The names kubeadm gives the entries of a bootstrap kubeconfig. */
#define KUBECONFIG_CLUSTER "kubernetes"
#define KUBECONFIG_USER "tls-bootstrap-token-user"
#define KUBECONFIG_CONTEXT KUBECONFIG_USER "@" KUBECONFIG_CLUSTER

typedef struct KubeconfigParams {
        const char *server;  /* the API server URL */
        const char *ca_file; /* written as certificate-authority; NULL: embed ca_data */
        const char *ca_data; /* PEM, written base64-encoded as certificate-authority-data */
        size_t ca_data_size;
        const Secret *token; /* the bootstrap token */
} KubeconfigParams;

/* The YAML text, every scalar a double-quoted string, in locked memory
 * since it holds the token. -EINVAL if server or token is missing, or
 * neither CA form is given. -ENOMEM. */
int kubeconfig_render(const KubeconfigParams *p, Secret **ret);

/* Renders and writes path atomically with mode 0600; the rendered text is
 * wiped. -errno. */
int kubeconfig_write(const char *path, const KubeconfigParams *p);
