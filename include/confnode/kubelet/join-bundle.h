#pragma once

/* The kubelet join bundle the verifier releases after a successful
 * attestation (src/verifier/release.c), a JSON object in a Secret:
 *   {"api_server": "https://…", "cluster_ca": "-----BEGIN CERTIFICATE-----…",
 *    "token": "abcdef.0123456789abcdef", "expires": "2026-11-23T20:00:00Z"}
 * The text is untrusted until every member has been checked here. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "confnode/basic/secret.h"

/* Bounds: a bundle is a URL, one CA bundle and a token. */
#define JOIN_BUNDLE_MAX_SIZE (128u * 1024)
#define JOIN_BUNDLE_MAX_URL 2048u
#define JOIN_BUNDLE_MAX_CA (64u * 1024)
/* A kubeadm bootstrap token: [a-z0-9]{6}.[a-z0-9]{16}. */
#define JOIN_BUNDLE_TOKEN_LEN 23u
/* Less time than this left on the token is worth a warning: kubelet may
 * not reach the API server before the token lapses. */
#define JOIN_BUNDLE_EXPIRY_WARN_SEC 300

typedef struct JoinBundle {
        char *api_server; /* https:// URL */
        char *cluster_ca; /* PEM text, NUL-terminated */
        size_t cluster_ca_size;
        Secret *token; /* JOIN_BUNDLE_TOKEN_LEN bytes, not NUL-terminated */
        time_t expires;
} JoinBundle;

typedef struct JoinBundleError {
        const char *member; /* "api_server", "cluster_ca", "token", "expires", or NULL */
        char what[256];     /* a sentence naming the member; never holds the token */
} JoinBundleError;

/* Parses and checks a bundle against now. Errors (err, may be NULL, says
 * which member and what is wrong):
 *   -E2BIG        the text or a member is over its bound
 *   -EBADMSG      not JSON, not an object, a member missing, of the wrong
 *                 type, unknown, or not of its form (URL, PEM, token, time)
 *   -EKEYEXPIRED  expires is not in the future
 *   -ENOMEM
 * json-c's copy of the token inside its tree is wiped before the tree is
 * freed; the token itself lives on only in ret->token. */
int join_bundle_parse(const void *data, size_t size, time_t now, JoinBundle *ret,
                      JoinBundleError *err);
void join_bundle_done(JoinBundle *b);

/* Whether fewer than JOIN_BUNDLE_EXPIRY_WARN_SEC seconds are left at now. */
bool join_bundle_expires_soon(const JoinBundle *b, time_t now);

/* The checks of the members one at a time, shared with the config check. */
bool join_bundle_url_valid(const char *url);
bool join_bundle_token_valid(const void *token, size_t size);
