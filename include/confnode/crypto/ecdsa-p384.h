#pragma once

/* ECDSA P-384 with SHA-384 verification for keys OpenSSL holds, through
 * our own variable-time P-384 code (confnode/crypto/p384.h). An SEV-SNP
 * report is signed this way, and its check is the largest piece of
 * cryptography in an attestation: OpenSSL 3.0 (Debian 12) has no dedicated
 * P-384 code and verifies about 1,400 signatures a second on the build
 * host; signatures over public data need no constant-time care, so a
 * faster verifier is used where the verifier spends its time (bench/
 * bench-snp prints the figures). Keys still come from OpenSSL, which
 * parsed and checked the certificate. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

typedef struct P384Key P384Key;

/* Verifies that (r, s) — big-endian integers of any length — is an ECDSA
 * signature of SHA-384(msg) under key. 0 if it is, -EKEYREJECTED if not
 * (also for r or s out of range), -EOPNOTSUPP if key is not an EC key on
 * P-384 (the caller may use OpenSSL then), -EIO if OpenSSL cannot hash,
 * -ENOMEM. */
int ecdsa_p384_verify_sha384(EVP_PKEY *key, const void *msg, size_t size, const uint8_t *r,
                             size_t r_size, const uint8_t *s, size_t s_size);

/* A P384Key (with its table of multiples, for many verifications) for an
 * OpenSSL P-384 key. -EOPNOTSUPP if key is not one, -ENOMEM. */
int ecdsa_p384_key_new(EVP_PKEY *key, P384Key **ret);
