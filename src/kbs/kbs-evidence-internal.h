#pragma once

/* What the evidence shapes share: member access with errors that name the
 * member, byte strings in the three spellings Trustee uses (arrays of
 * integers, hex, base64 in two alphabets) and the TPM quote parts that
 * the vTPM shapes have in common. Private to src/kbs/kbs-evidence*.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/kbs/kbs-evidence.h"
#include "confnode/kbs/kbs-proto.h"
#include "confnode/tpm/tpm-attest.h"

/* Records "path: what" in err (if not NULL), logs it at debug level and
 * returns r. */
int kbs_ev_fail(KbsProtoError *err, int r, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* "path.name" into buf (size 64, as KbsProtoError.member), cut if longer. */
const char *kbs_ev_path(char buf[static 64], const char *path, const char *name);

/* The member name of obj. Missing or null: NULL when !required (serde's
 * Option), else -EBADMSG "missing". Of another type: -EBADMSG. */
int kbs_ev_member(json_object *obj, const char *path, const char *name, json_type type,
                  bool required, json_object **ret, KbsProtoError *err);

/* A JSON object, or -EBADMSG naming path. */
int kbs_ev_expect_object(json_object *j, const char *path, KbsProtoError *err);

/* Unsigned integers: JSON integers from 0 to max. json-c keeps values of
 * 2^64 and more as UINT64_MAX, so that one is refused as ambiguous. */
int kbs_ev_uint(json_object *v, const char *path, uint64_t max, uint64_t *ret, KbsProtoError *err);
int kbs_ev_uint_member(json_object *obj, const char *path, const char *name, uint64_t max,
                       uint64_t *ret, KbsProtoError *err);

/* Byte strings, the way serde spells Vec<u8>/[u8; N] and serde_with its
 * Hex and Base64 adapters. Each checks the size against min..max before
 * anything is allocated, and names path in errors.
 *   array   [0, 255, …], every element a JSON integer 0-255
 *   hex     even length, 0-9a-fA-F only (the hex crate reads both cases)
 *   base64  standard alphabet with canonical padding (Trustee's STANDARD
 *           engine), or the URL-safe alphabet with or without padding
 *           (serde_with's Base64<UrlSafe>); in both the unused bits of the
 *           last character must be zero. */
typedef enum KbsEvEncoding {
        KBS_EV_ARRAY,
        KBS_EV_HEX,
        KBS_EV_BASE64,
        KBS_EV_BASE64URL,
} KbsEvEncoding;

int kbs_ev_bytes(json_object *v, KbsEvEncoding enc, const char *path, size_t min, size_t max,
                 KbsBlob *ret, KbsProtoError *err);
/* Exactly size bytes into buf. */
int kbs_ev_bytes_fixed(json_object *v, KbsEvEncoding enc, const char *path, uint8_t *buf,
                       size_t size, KbsProtoError *err);
/* The member name of obj as above; missing or null gives an empty blob
 * when !required. */
int kbs_ev_bytes_member(json_object *obj, const char *path, const char *name, KbsEvEncoding enc,
                        bool required, size_t min, size_t max, KbsBlob *ret, KbsProtoError *err);

/* The JSON value of n bytes in that spelling (URL-safe base64 is written
 * padded, as serde_with does); NULL on ENOMEM. */
json_object *kbs_ev_bytes_new(const uint8_t *data, size_t n, KbsEvEncoding enc);
/* Adds key = kbs_ev_bytes_new(…); -ENOMEM. */
int kbs_ev_add_bytes(json_object *obj, const char *key, const uint8_t *data, size_t n,
                     KbsEvEncoding enc);

void kbs_blob_clear(KbsBlob *b);
int kbs_blob_set(KbsBlob *b, const uint8_t *data, size_t size);

/* The Azure and Trustee quotes carry the SHA-256 PCRs 0-23 as a list in
 * index order. */
int kbs_ev_pcrs_from_json(json_object *list, KbsEvEncoding enc, const char *path, TpmPcrValues *ret,
                          KbsProtoError *err);
/* -EINVAL unless every SHA-256 PCR 0-23 has a value. */
int kbs_ev_pcrs_to_json(const TpmPcrValues *pcrs, KbsEvEncoding enc, json_object **ret);

/* Azure's vTPM quote signature is the bare RSASSA-PKCS1-v1_5 signature
 * (SHA-256) without the TPMT_SIGNATURE around it; KbsTpmEvidence keeps the
 * TPMT_SIGNATURE (sigAlg TPM_ALG_RSASSA, hash TPM_ALG_SHA256, TPM2B). */
int kbs_ev_tpmt_signature_from_rsa(const uint8_t *sig, size_t size, KbsBlob *ret);
/* -EINVAL for a TPMT_SIGNATURE that is not RSASSA with SHA-256. */
int kbs_ev_tpmt_signature_to_rsa(const KbsBlob *tpmt, uint8_t ret[static TPM_MAX_RSA_BYTES],
                                 size_t *ret_size);

/* The shapes. from_json fills e (tee already set) from the primary
 * evidence; path is the prefix for errors. */
int kbs_evidence_snp_from_json(KbsEvidence *e, json_object *j, const char *path,
                               KbsProtoError *err);
int kbs_evidence_snp_to_json(const KbsEvidence *e, json_object **ret);
int kbs_evidence_tdx_from_json(KbsEvidence *e, json_object *j, const char *path,
                               KbsProtoError *err);
int kbs_evidence_tdx_to_json(const KbsEvidence *e, json_object **ret);
int kbs_evidence_az_from_json(KbsEvidence *e, json_object *j, const char *path, KbsProtoError *err);
int kbs_evidence_az_to_json(const KbsEvidence *e, json_object **ret);
/* Trustee's "tpm" evidence, into or out of t. */
int kbs_evidence_tpm_from_json(KbsTpmEvidence *t, json_object *j, const char *path,
                               KbsProtoError *err);
int kbs_evidence_tpm_to_json(const KbsTpmEvidence *t, json_object **ret);
void kbs_tpm_evidence_clear(KbsTpmEvidence *t);
