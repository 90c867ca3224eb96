#pragma once

/* The TPM 2.0 structures a quote travels in, as marshalled by the TPM (TPM
 * 2.0 Part 2, big-endian): TPMS_ATTEST (what was signed), TPMT_SIGNATURE
 * (the signature over it) and TPMT_PUBLIC (the attestation key). Parsed
 * through the bounds-checked Reader into fixed-size structures, so nothing
 * read from the input decides how much memory is allocated. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"
#include "confnode/tpm/pcr-selection.h"

#define TPM_GENERATED_VALUE 0xff544347u

/* TPM_ST values of the TPMI_ST_ATTEST structures. */
#define TPM_ST_ATTEST_NV 0x8014
#define TPM_ST_ATTEST_COMMAND_AUDIT 0x8015
#define TPM_ST_ATTEST_SESSION_AUDIT 0x8016
#define TPM_ST_ATTEST_CERTIFY 0x8017
#define TPM_ST_ATTEST_QUOTE 0x8018
#define TPM_ST_ATTEST_TIME 0x8019
#define TPM_ST_ATTEST_CREATION 0x801a
#define TPM_ST_ATTEST_NV_DIGEST 0x801c

/* TPM_ALG_ID values used here. */
#define TPM_ALG_RSA 0x0001
#define TPM_ALG_SHA1 0x0004
#define TPM_ALG_SHA256 0x000b
#define TPM_ALG_SHA384 0x000c
#define TPM_ALG_SHA512 0x000d
#define TPM_ALG_NULL 0x0010
#define TPM_ALG_RSASSA 0x0014
#define TPM_ALG_RSAES 0x0015
#define TPM_ALG_RSAPSS 0x0016
#define TPM_ALG_OAEP 0x0017
#define TPM_ALG_ECDSA 0x0018
#define TPM_ALG_ECDH 0x0019
#define TPM_ALG_ECDAA 0x001a
#define TPM_ALG_SM2 0x001b
#define TPM_ALG_ECSCHNORR 0x001c
#define TPM_ALG_ECC 0x0023

/* TPM_ECC_CURVE values. */
#define TPM_ECC_NIST_P256 0x0003
#define TPM_ECC_NIST_P384 0x0004
#define TPM_ECC_NIST_P521 0x0005

/* TPMA_OBJECT bits (named apart from tpm2-tss's TPMA_OBJECT_* so both headers can meet). */
#define TPM_ATTR_FIXEDTPM (1u << 1)
#define TPM_ATTR_FIXEDPARENT (1u << 4)
#define TPM_ATTR_SENSITIVEDATAORIGIN (1u << 5)
#define TPM_ATTR_USERWITHAUTH (1u << 6)
#define TPM_ATTR_RESTRICTED (1u << 16)
#define TPM_ATTR_DECRYPT (1u << 17)
#define TPM_ATTR_SIGN (1u << 18)

/* Sizes of the TPM2B buffers, from the TPMU unions they hold (TPM 2.0
 * Part 2): a digest is at most a SHA-512, a name is a hash algorithm and a
 * digest, an RSA key at most 4096 bits, an ECC coordinate at most P-521. */
#define TPM_MAX_DIGEST 64
#define TPM_MAX_NAME (2 + TPM_MAX_DIGEST)
#define TPM_MAX_RSA_BYTES 512
#define TPM_MAX_ECC_BYTES 66

typedef struct TpmClockInfo {
        uint64_t clock;
        uint32_t reset_count;
        uint32_t restart_count;
        bool safe;
} TpmClockInfo;

typedef struct TpmAttest {
        uint32_t magic;
        uint16_t type;
        uint8_t qualified_signer[TPM_MAX_NAME];
        size_t qualified_signer_size;
        uint8_t extra_data[TPM_MAX_DIGEST];
        size_t extra_data_size;
        TpmClockInfo clock_info;
        uint64_t firmware_version;
        /* TPM_ST_ATTEST_QUOTE only: TPMS_QUOTE_INFO. */
        PcrSelection pcr_select;
        uint8_t pcr_digest[TPM_MAX_DIGEST];
        size_t pcr_digest_size;
        /* Other types: the TPMU_ATTEST body, undecoded, pointing into the
         * parsed buffer (valid as long as it is). */
        const uint8_t *attested;
        size_t attested_size;
} TpmAttest;

typedef struct TpmSignature {
        uint16_t sig_alg; /* TPM_ALG_RSASSA, TPM_ALG_RSAPSS or TPM_ALG_ECDSA */
        uint16_t hash_alg;
        uint8_t rsa[TPM_MAX_RSA_BYTES];
        size_t rsa_size;
        uint8_t ecdsa_r[TPM_MAX_ECC_BYTES];
        size_t ecdsa_r_size;
        uint8_t ecdsa_s[TPM_MAX_ECC_BYTES];
        size_t ecdsa_s_size;
} TpmSignature;

typedef struct TpmPublic {
        uint16_t type; /* TPM_ALG_RSA or TPM_ALG_ECC */
        uint16_t name_alg;
        uint32_t object_attributes;
        uint16_t scheme; /* TPM_ALG_NULL when the key has none */
        uint16_t scheme_hash;
        /* RSA */
        uint16_t rsa_key_bits;
        uint32_t rsa_exponent; /* 0 means the default, 65537 */
        uint8_t rsa_modulus[TPM_MAX_RSA_BYTES];
        size_t rsa_modulus_size;
        /* ECC */
        uint16_t ecc_curve;
        uint8_t ecc_x[TPM_MAX_ECC_BYTES];
        size_t ecc_x_size;
        uint8_t ecc_y[TPM_MAX_ECC_BYTES];
        size_t ecc_y_size;
} TpmPublic;

/* Each parser needs the whole input to be one structure: trailing bytes are
 * malformed, except for attest types whose body is kept undecoded. -EBADMSG
 * with err filled in (offset, field, what) on malformed input. */
int tpm_attest_parse(const uint8_t *data, size_t size, TpmAttest *ret, ParseError *err);
int tpm_attest_signature_parse(const uint8_t *data, size_t size, TpmSignature *ret,
                               ParseError *err);
int tpm_attest_public_parse(const uint8_t *data, size_t size, TpmPublic *ret, ParseError *err);

/* "quote", "certify", …, or NULL for a type that is not an attestation. */
const char *tpm_attest_type_to_string(uint16_t type);

/* Decodes a marshalled TPMS_ATTEST to JSON with the Part 2 field names in
 * snake case (magic, type, qualified_signer, extra_data, clock_info{…},
 * firmware_version, and for quotes pcr_select and pcr_digest). */
int tpm_attest_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err);
