#pragma once

/* The binding of a KBS session into TEE evidence. The agent hashes the
 * RFC 8785 canonical JSON of the runtime data,
 *   {"nonce": <challenge nonce>, "tee-pubkey": <JWK>}
 * plus, for the primary evidence since protocol 0.4.0,
 *   "additional-evidence": <the additional_evidence string>,
 * and puts the digest where the TEE signs caller data. The verifier does
 * the same from the session's nonce and the Attestation message, so a
 * report made for another session or another key does not verify. Where
 * each TEE wants the digest, and how this differs from issue 5's wording,
 * is in docs/kbs-protocol.md. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/kbs/kbs-proto.h"

#define KBS_REPORT_DATA_SIZE 64 /* SNP REPORT_DATA, TDX REPORTDATA, Azure HCL user data */
#define KBS_BINDING_MAX_DIGEST 64

/* The runtime data object. tee_pubkey is reduced to the members kbs-types
 * keeps (EC: kty, crv, alg, x, y; RSA: kty, alg, n, e), because Trustee
 * re-serializes the typed key before hashing and drops anything else.
 * additional_evidence NULL leaves the member out (the form Trustee checks
 * additional evidence against); "" is a present, empty member (the primary
 * evidence of a guest without additional evidence). -EBADMSG if tee_pubkey
 * lacks a member its kty requires. */
int kbs_binding_runtime_data(const char *nonce, json_object *tee_pubkey,
                             const char *additional_evidence, json_object **ret);

/* The digest of the canonical runtime data: 32, 48 or 64 bytes. */
int kbs_binding_digest(KbsHashAlg alg, const char *nonce, json_object *tee_pubkey,
                       const char *additional_evidence, uint8_t ret[static KBS_BINDING_MAX_DIGEST],
                       size_t *ret_size);

/* The digest zero-padded to 64 bytes: what goes into SNP REPORT_DATA, TDX
 * REPORTDATA and the Azure HCL user data. */
int kbs_binding_report_data(KbsHashAlg alg, const char *nonce, json_object *tee_pubkey,
                            const char *additional_evidence,
                            uint8_t ret[static KBS_REPORT_DATA_SIZE]);

/* What Trustee compares a vTPM quote's qualifying data (extraData) with,
 * from the digest: the digest itself for az-snp-vtpm and az-tdx-vtpm, the
 * digest cut or zero-padded to 32 bytes for its "tpm" evidence.
 * -EOPNOTSUPP for a TEE whose evidence carries no TPM quote. */
int kbs_binding_tpm_qualifying_data(KbsTee tee, const uint8_t *digest, size_t digest_size,
                                    uint8_t ret[static KBS_BINDING_MAX_DIGEST], size_t *ret_size);
