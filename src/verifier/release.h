#pragma once

/* What the verifier releases to an attested node, as plaintext in a
 * Secret (the server then JWE-encrypts it to the session's tee-pubkey):
 *
 *  - disk-key: the LUKS key of the node's state disk,
 *      HKDF-SHA256(IKM = master secret, salt = RELEASE_DISK_KEY_SALT,
 *                  info = RELEASE_DISK_KEY_INFO_PREFIX || disk UUID)
 *    32 bytes, where the UUID is the resource tag as sent: a canonical
 *    lower-case UUID (36 characters). Derived, not stored, so every
 *    replica with the same master secret gives the same key and none needs
 *    a key table.
 *  - join-bundle: {"api_server": URL, "cluster_ca": PEM, "token":
 *    "<6>.<16>", "expires": RFC 3339} with a freshly minted kubeadm-style
 *    bootstrap token (characters [a-z0-9] drawn from the CSPRNG without
 *    modulo bias). Only the token's SHA-256 leaves this module besides the
 *    bundle itself.
 *
 * The master secret is 32 to 64 bytes of raw key in a file that only its
 * owner may read; it is held in locked memory. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/secret.h"

#define RELEASE_MASTER_MIN 32
#define RELEASE_MASTER_MAX 64
#define RELEASE_DISK_KEY_SIZE 32
/* Fixed strings of the disk-key derivation; changing either changes every
 * node's disk key. */
#define RELEASE_DISK_KEY_SALT "confnode disk-key salt v1"
#define RELEASE_DISK_KEY_INFO_PREFIX "confnode disk-key v1 uuid="
#define RELEASE_UUID_LEN 36
/* "abcdef.0123456789abcdef" */
#define RELEASE_TOKEN_ID_LEN 6
#define RELEASE_TOKEN_SECRET_LEN 16
#define RELEASE_TOKEN_LEN (RELEASE_TOKEN_ID_LEN + 1 + RELEASE_TOKEN_SECRET_LEN)
#define RELEASE_TOKEN_HASH_SIZE 32

/* Reads the master secret: a regular file of RELEASE_MASTER_MIN to
 * RELEASE_MASTER_MAX bytes, not readable or writable by group or others.
 * -EPERM for loose permissions, -EBADMSG for a wrong size, -errno when it
 * cannot be read; err gets a sentence naming the file. */
int release_master_load(const char *path, Secret **ret, char *err, size_t err_size);

/* HKDF with SHA-256 (RFC 5869, extract and expand) through OpenSSL's
 * EVP_KDF "HKDF". salt may be NULL/0. */
int release_hkdf_sha256(const void *ikm, size_t ikm_size, const void *salt, size_t salt_size,
                        const void *info, size_t info_size, uint8_t *ret, size_t ret_size);

/* True for a canonical lower-case UUID: 8-4-4-4-12 hex digits [0-9a-f]. */
bool release_uuid_is_canonical(const char *s);

/* The disk key of the disk with this UUID. -EINVAL if uuid is not
 * canonical. */
int release_disk_key(const Secret *master, const char *uuid, Secret **ret);

/* A kubeadm bootstrap token "[a-z0-9]{6}.[a-z0-9]{16}" into ret (NUL
 * terminated). The caller wipes it. */
int release_bootstrap_token(char ret[static RELEASE_TOKEN_LEN + 1]);

/* What a join bundle needs besides the token. */
typedef struct ReleaseJoin {
        char *api_server_json; /* the URL as a JSON string literal, quotes included */
        char *cluster_ca_json; /* the PEM as a JSON string literal */
        uint64_t token_ttl;    /* seconds */
} ReleaseJoin;

/* api_server: an https:// URL; cluster_ca: a file with at least one PEM
 * certificate (read and checked now, so a bad one fails at start, not at
 * the first join). err gets a sentence. */
int release_join_new(const char *api_server, const char *cluster_ca_path, uint64_t token_ttl,
                     ReleaseJoin **ret, char *err, size_t err_size);
void release_join_free(ReleaseJoin *j);
DEFINE_CLEANUP(ReleaseJoin, release_join_free)

/* A join bundle with a fresh token, minted at now. ret_token_hash gets
 * SHA-256 of the token (what the store records), ret_expires its expiry
 * (Unix seconds). */
int release_join_bundle(const ReleaseJoin *j, time_t now, Secret **ret,
                        uint8_t ret_token_hash[static RELEASE_TOKEN_HASH_SIZE],
                        time_t *ret_expires);

/* RFC 3339 UTC ("2026-11-02T10:00:00Z") into buf (at least 21 bytes). */
int release_format_time(time_t t, char *buf, size_t size);
