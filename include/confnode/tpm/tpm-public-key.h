#pragma once

/* Attestation keys as OpenSSL keys: a TPMT_PUBLIC (RSA or ECC) becomes an
 * EVP_PKEY, and a key file is read whatever form it comes in. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/reader.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/basic/openssl-cleanup.h"


typedef enum TpmKeyFormat {
        TPM_KEY_FORMAT_PEM,   /* SubjectPublicKeyInfo, PEM */
        TPM_KEY_FORMAT_DER,   /* SubjectPublicKeyInfo, DER */
        TPM_KEY_FORMAT_TPMT,  /* marshalled TPMT_PUBLIC */
        TPM_KEY_FORMAT_TPM2B, /* marshalled TPM2B_PUBLIC (size-prefixed TPMT_PUBLIC) */
        _TPM_KEY_FORMAT_MAX,
        _TPM_KEY_FORMAT_INVALID = -22,
} TpmKeyFormat;

const char *tpm_public_key_format_to_string(TpmKeyFormat f);

/* -EOPNOTSUPP for key types, curves or sizes OpenSSL cannot take, -EBADMSG
 * for inconsistent keys (modulus size not matching key_bits). */
int tpm_public_key_from_tpmt(const TpmPublic *pub, EVP_PKEY **ret);

/* Reads a public key in any of the formats above. When it was a TPM
 * structure, ret_pub (if given) gets the parsed TPMT_PUBLIC and
 * ret_has_pub is set. -EBADMSG if it is none of them. */
int tpm_public_key_load(const uint8_t *data, size_t size, EVP_PKEY **ret, TpmKeyFormat *ret_format,
                        TpmPublic *ret_pub, bool *ret_has_pub, ParseError *err);

/* SubjectPublicKeyInfo PEM, NUL-terminated and malloc()ed. */
int tpm_public_key_to_pem(EVP_PKEY *key, char **ret);
/* Lower-case hex of the first 8 bytes of SHA-256(SubjectPublicKeyInfo DER). */
int tpm_public_key_fingerprint(EVP_PKEY *key, char ret[static 17]);

/* The DER SubjectPublicKeyInfo of an RSA key or an EC key on a NIST curve
 * with named parameters, written without OpenSSL's encoder (byte for byte
 * what i2d_PUBKEY() gives). -EOPNOTSUPP for other keys, -ENOBUFS if size is
 * too small. */
int tpm_public_key_spki(EVP_PKEY *key, uint8_t *buf, size_t size, size_t *ret_size);
