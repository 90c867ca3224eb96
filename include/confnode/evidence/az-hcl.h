#pragma once

/* The Azure confidential VM's HCL report, as the paravisor (HCL) writes it
 * to vTPM NV index 0x01400001: a 32-byte attestation header ("HCLA"), the
 * hardware report in a fixed 1184-byte slot (an SEV-SNP ATTESTATION_REPORT,
 * or a 1024-byte TDX TDREPORT and zeros), then the runtime-data header and
 * the runtime data ("variable data"): UTF-8 JSON with the vTPM's keys
 * (a JWK with kid "HCLAkPub" is the attestation key), "vm-configuration"
 * and "user-data". The hardware report's report_data begins with the hash
 * of the runtime data bytes; that is what binds the AK to the TEE.
 *
 * All integers are little-endian. Parsed through the bounds-checked
 * Reader; the runtime data is parsed with json-c under a size and depth
 * bound. The NV index is larger than the report: what follows report_size
 * is padding and is only counted. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/reader.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/tdx-report.h"

#define AZ_HCL_NV_INDEX 0x01400001u
#define AZ_HCL_SIGNATURE 0x414c4348u /* "HCLA" */
#define AZ_HCL_HEADER_SIZE 32
#define AZ_HCL_HW_REPORT_SIZE 1184
#define AZ_HCL_RUNTIME_HEADER_SIZE 20
/* Far more than the keys and VM configuration the HCL writes (~1 KiB);
 * the bound on what is handed to the JSON parser. */
#define AZ_HCL_MAX_RUNTIME_DATA (64u * 1024)

typedef enum AzHclReportType {
        AZ_HCL_REPORT_SNP = 2,
        AZ_HCL_REPORT_TVM = 3, /* VBS: no hardware report to check */
        AZ_HCL_REPORT_TDX = 4,
        _AZ_HCL_REPORT_TYPE_MAX,
        _AZ_HCL_REPORT_TYPE_INVALID = -EINVAL,
} AzHclReportType;

typedef enum AzHclHashType {
        AZ_HCL_HASH_SHA256 = 1,
        AZ_HCL_HASH_SHA384 = 2,
        AZ_HCL_HASH_SHA512 = 3,
        _AZ_HCL_HASH_TYPE_MAX,
        _AZ_HCL_HASH_TYPE_INVALID = -EINVAL,
} AzHclHashType;

typedef struct AzHclReport {
        /* Attestation header. */
        uint32_t signature;
        uint32_t version;
        uint32_t report_size;
        uint32_t request_type;
        uint32_t status;

        /* The hardware report slot: snp for AZ_HCL_REPORT_SNP, tdx for
         * AZ_HCL_REPORT_TDX. Points into the parsed buffer. */
        const uint8_t *hw_report;
        SnpReport *snp;
        TdxReport tdx;

        /* Runtime-data header. */
        uint32_t data_size;
        uint32_t data_version;
        uint32_t report_type; /* AzHclReportType */
        uint32_t hash_type;   /* AzHclHashType */
        uint32_t runtime_data_size;

        /* The runtime data as bytes (what is hashed, pointing into the
         * parsed buffer) and as JSON. */
        const uint8_t *runtime_data;
        json_object *runtime_json;

        /* The JWK of kid "HCLAkPub" (borrowed from runtime_json) and the
         * key it describes; both NULL when the runtime data has none. */
        json_object *ak_jwk;
        EVP_PKEY *ak;

        size_t size; /* report_size */
        size_t trailing_size;
} AzHclReport;

void az_hcl_free(AzHclReport *rep);
DEFINE_CLEANUP(AzHclReport, az_hcl_free)

/* Parses an HCL report. -EBADMSG with err filled in (offset, field, what)
 * for malformed bytes, runtime data that is not a JSON object, or an
 * HCLAkPub that is not a usable RSA JWK; -EOPNOTSUPP (err filled in) for a
 * header version or hardware report type this parser does not decode;
 * -ENOMEM. *ret is set only on success. */
int az_hcl_parse(const uint8_t *data, size_t size, AzHclReport **ret, ParseError *err);

/* The hardware report's report_data (64 bytes). */
const uint8_t *az_hcl_report_data(const AzHclReport *rep);

/* Digest size of a hash type (32, 48, 64), or 0 if unknown. */
size_t az_hcl_hash_size(uint32_t hash_type);

const char *az_hcl_report_type_to_string(uint32_t type);  /* "snp", "tvm", "tdx", or NULL */
const char *az_hcl_hash_type_to_string(uint32_t type);    /* "sha256", …, or NULL */
const char *az_hcl_request_type_to_string(uint32_t type); /* "ak_cert", …, or NULL */
