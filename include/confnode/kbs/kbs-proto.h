#pragma once

/* The messages of the Trustee KBS attestation protocol, version 0.4.0
 * (confidential-containers/trustee kbs/docs/kbs_attestation_protocol.md,
 * types as in the kbs-types crate), built and parsed without any I/O:
 *   Request      {"version","tee","extra-params"}            POST /kbs/v0/auth
 *   Challenge    {"nonce","extra-params"}                    its reply
 *   Attestation  {"init-data"?,"runtime-data":{"nonce","tee-pubkey"},
 *                 "tee-evidence":{"primary_evidence","additional_evidence"}}
 *                                                            POST /kbs/v0/attest
 *   AttestationResponse {"token"}                            its reply
 *   ErrorInformation {"type","detail"} (RFC 7807)            any 4xx
 * Parsing is bounded (body size, nesting, number of values) before json-c
 * builds a tree, and every error names the member that is wrong. Members
 * we do not know are ignored, as serde does for these types. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "confnode/basic/cleanup.h"

#define KBS_PROTOCOL_VERSION "0.4.0"
/* Trustee's challenge nonce: 32 random bytes, standard base64. */
#define KBS_NONCE_SIZE 32
#define KBS_ERROR_TYPE_PREFIX "https://github.com/confidential-containers/kbs/errors/"

/* Bounds on bodies. The SEV pre-attestation Request of kbs-types' test
 * data is 96 KiB; an Attestation carries a TDX quote, a CCEL and a vTPM
 * quote with a UEFI event log, base64 in JSON. */
#define KBS_PROTO_MAX_REQUEST (256u * 1024)
#define KBS_PROTO_MAX_CHALLENGE (64u * 1024)
#define KBS_PROTO_MAX_ATTESTATION (4u * 1024 * 1024)
#define KBS_PROTO_MAX_RESPONSE (256u * 1024)
#define KBS_PROTO_MAX_ERROR (64u * 1024)
#define KBS_PROTO_MAX_DEPTH 16u
#define KBS_PROTO_MAX_VALUES 262144u
#define KBS_PROTO_MAX_NONCE 16384u /* IBM SE sends a whole request as its nonce */

/* TEE names as kbs-types spells them. SEV is kept for reading old
 * pre-attestation messages (kbs-types dropped it); Trustee no longer
 * accepts it. */
typedef enum KbsTee {
        KBS_TEE_AZ_SNP_VTPM,
        KBS_TEE_AZ_TDX_VTPM,
        KBS_TEE_NVIDIA,
        KBS_TEE_SGX,
        KBS_TEE_SNP,
        KBS_TEE_TDX,
        KBS_TEE_CCA,
        KBS_TEE_CSV,
        KBS_TEE_SE,
        KBS_TEE_HYGONDCU,
        KBS_TEE_TPM,
        KBS_TEE_SAMPLE,
        KBS_TEE_SAMPLEDEVICE,
        KBS_TEE_SEV,
        _KBS_TEE_MAX,
        _KBS_TEE_INVALID = -EINVAL,
} KbsTee;

const char *kbs_tee_to_string(KbsTee t);
KbsTee kbs_tee_from_string(const char *s);

/* The hash of the runtime-data binding, negotiated through extra-params
 * ("supported-hash-algorithms" in the Request, "selected-hash-algorithm"
 * in the Challenge); SHA-384 unless the Challenge selects another. */
typedef enum KbsHashAlg {
        KBS_HASH_SHA256,
        KBS_HASH_SHA384,
        KBS_HASH_SHA512,
        _KBS_HASH_ALG_MAX,
        _KBS_HASH_ALG_INVALID = -EINVAL,
} KbsHashAlg;

const char *kbs_hash_alg_to_string(KbsHashAlg a);
/* Case-insensitive, as Trustee's clients read it. */
KbsHashAlg kbs_hash_alg_from_string(const char *s);

/* Which member was wrong and how; member is a dotted path
 * ("runtime-data.tee-pubkey.kty"), empty for the body as a whole. */
typedef struct KbsProtoError {
        char member[64];
        char what[192];
} KbsProtoError;

/* "member: what" (or "what"). */
const char *kbs_proto_error_string(const KbsProtoError *e, char *buf, size_t size);

/* True for the version this protocol layer speaks: semantic version 0.4.0
 * exactly (build metadata ignored), as Trustee's "=0.4.0" requirement. */
bool kbs_version_is_supported(const char *version);

typedef struct KbsRequest {
        char *version;
        KbsTee tee;
        json_object *extra_params;
} KbsRequest;

/* extra_params NULL: {"supported-hash-algorithms":["sha256","sha384","sha512"]},
 * as Trustee's guest components offer (without sm3, which we lack). */
int kbs_request_build(KbsTee tee, json_object *extra_params, char **ret);
/* Does not judge the version (kbs_version_is_supported() does), so the
 * verifier can answer a wrong one with a precise error. -EBADMSG for a
 * malformed body, -E2BIG for one over the bounds, -ENOMEM. */
int kbs_request_parse(const void *data, size_t size, KbsRequest **ret, KbsProtoError *err);
void kbs_request_free(KbsRequest *r);
DEFINE_CLEANUP(KbsRequest, kbs_request_free)

typedef struct KbsChallenge {
        char *nonce;
        json_object *extra_params;
        KbsHashAlg hash_alg; /* from extra-params, SHA-384 by default */
} KbsChallenge;

/* A fresh nonce: KBS_NONCE_SIZE random bytes in standard base64. */
int kbs_nonce_new(char **ret);
/* extra_params NULL: "" as Trustee sends for snp, tdx and the vTPM TEEs. */
int kbs_challenge_build(const char *nonce, json_object *extra_params, char **ret);
/* -EOPNOTSUPP if extra-params selects a hash we do not implement. */
int kbs_challenge_parse(const void *data, size_t size, KbsChallenge **ret, KbsProtoError *err);
void kbs_challenge_free(KbsChallenge *c);
DEFINE_CLEANUP(KbsChallenge, kbs_challenge_free)

typedef struct KbsAttestation {
        json_object *root;
        char *nonce;                   /* runtime-data.nonce; NULL in the legacy shape */
        json_object *tee_pubkey;       /* borrowed from root */
        json_object *primary_evidence; /* borrowed from root; may be a JSON null */
        /* A JSON text as a string, borrowed from root (no copy: it is the
         * largest member); "" for none; NULL if legacy. */
        const char *additional_evidence;
        char *init_data_format;        /* NULL when init-data is absent or null */
        char *init_data_body;
        /* Before protocol 0.4.0 (kbs-types < 0.12) the message was
         * {"tee-pubkey", "tee-evidence"} with no runtime-data. */
        bool legacy;
} KbsAttestation;

/* additional_evidence NULL means "" (no additional evidence); init-data is
 * sent only if init_data_format is not NULL. */
int kbs_attestation_build(const char *nonce, json_object *tee_pubkey, json_object *primary_evidence,
                          const char *additional_evidence, const char *init_data_format,
                          const char *init_data_body, char **ret);
/* Checks the shape of tee-pubkey (kty and the string members kbs-types
 * requires for it) but not the key itself: jwk_to_pkey() does that. */
int kbs_attestation_parse(const void *data, size_t size, KbsAttestation **ret, KbsProtoError *err);
void kbs_attestation_free(KbsAttestation *a);
DEFINE_CLEANUP(KbsAttestation, kbs_attestation_free)

int kbs_attestation_response_build(const char *token, char **ret);
int kbs_attestation_response_parse(const void *data, size_t size, char **ret_token,
                                   KbsProtoError *err);

/* Trustee's KBS error types (kbs/src/error.rs): the "type" URI is
 * KBS_ERROR_TYPE_PREFIX followed by the name. */
typedef enum KbsErrorType {
        KBS_ERROR_ADMIN_AUTH_INITIALIZATION,
        KBS_ERROR_ADMIN_AUTH_ACCESS,
        KBS_ERROR_ATTESTATION_ERROR,
        KBS_ERROR_HTTP_FAILED,
        KBS_ERROR_HTTPS_FAILED,
        KBS_ERROR_INVALID_REQUEST_PATH,
        KBS_ERROR_JWE_ERROR,
        KBS_ERROR_PLUGIN_MANAGER_INITIALIZATION,
        KBS_ERROR_PLUGIN_NOT_FOUND,
        KBS_ERROR_PLUGIN_INTERNAL_ERROR,
        KBS_ERROR_POLICY_DENY,
        KBS_ERROR_PARSE_POLICY_ERROR,
        KBS_ERROR_POLICY_ENGINE_ERROR,
        KBS_ERROR_RVPS_ERROR,
        KBS_ERROR_SERDE_ERROR,
        KBS_ERROR_STORAGE_BACKEND_INITIALIZATION,
        KBS_ERROR_TOKEN_NOT_FOUND,
        KBS_ERROR_TOKEN_VERIFIER_ERROR,
        KBS_ERROR_PROMETHEUS_ERROR,
        _KBS_ERROR_TYPE_MAX,
        _KBS_ERROR_TYPE_INVALID = -EINVAL,
} KbsErrorType;

/* The name ("PolicyDeny"), the HTTP status Trustee answers with (401, or
 * 404 for InvalidRequestPath and PluginNotFound), and the reverse of the
 * full "type" URI. */
const char *kbs_error_type_to_string(KbsErrorType t);
int kbs_error_type_http_status(KbsErrorType t);
KbsErrorType kbs_error_type_from_uri(const char *uri);

typedef struct KbsErrorInfo {
        char *type; /* as received */
        char *detail;
        KbsErrorType known; /* _KBS_ERROR_TYPE_INVALID for a type Trustee does not define */
} KbsErrorInfo;

int kbs_error_build(KbsErrorType type, const char *detail, char **ret);
int kbs_error_parse(const void *data, size_t size, KbsErrorInfo **ret, KbsProtoError *err);
void kbs_error_info_free(KbsErrorInfo *e);
DEFINE_CLEANUP(KbsErrorInfo, kbs_error_info_free)
