#pragma once

/* Intel DCAP ECDSA quotes: the TDX quote v4 and v5 (Intel TDX DCAP Quote
 * Generation Library and Quote Verification Library API, appendix A) and
 * the SGX quote v3 the same quoting stack produces (Intel SGX ECDSA Quote
 * Library API, appendix A). A quote is a 48-byte header, a report body (a
 * TD report body 1.0 or 1.5, or an SGX enclave report body), a length, and
 * the ECDSA-256 signature data: the quote signature, the attestation key
 * and the certification data that vouches for that key (the Quoting
 * Enclave's report, signed by the PCK, and the PCK certificate chain).
 *
 * Parsed through the bounds-checked Reader into a fixed-size structure; the
 * variable-length parts (QE authentication data, certification data) are
 * spans that point into the input, so a TdxQuote is valid only as long as
 * the buffer it was parsed from. Nothing read from the input decides how
 * much memory is allocated. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/reader.h"

#define TDX_QUOTE_HEADER_SIZE 48
#define TDX_QUOTE_SGX_BODY_SIZE 384
#define TDX_QUOTE_TD10_BODY_SIZE 584
#define TDX_QUOTE_TD15_BODY_SIZE 648
#define TDX_QUOTE_ECDSA_SIG_SIZE 64
#define TDX_QUOTE_ECDSA_KEY_SIZE 64

/* tee_type in the header. */
#define TDX_QUOTE_TEE_SGX UINT32_C(0x00000000)
#define TDX_QUOTE_TEE_TDX UINT32_C(0x00000081)

/* att_key_type: the only one Intel's quoting enclaves use. */
#define TDX_QUOTE_ATT_KEY_ECDSA_P256 2

/* Certification data types. */
#define TDX_CERT_PPID_CLEARTEXT 1
#define TDX_CERT_PPID_RSA2048 2
#define TDX_CERT_PPID_RSA3072 3
#define TDX_CERT_PCK_CLEARTEXT 4
#define TDX_CERT_PCK_CHAIN 5
#define TDX_CERT_QE_REPORT 6
#define TDX_CERT_PLATFORM_MANIFEST 7

/* The body types of a v5 quote; v3 and v4 imply theirs from the version and
 * tee_type. */
typedef enum TdxQuoteBodyType {
        TDX_QUOTE_BODY_SGX = 1,  /* SGX enclave report body, 384 bytes */
        TDX_QUOTE_BODY_TD10 = 2, /* TD report body for TDX 1.0, 584 bytes */
        TDX_QUOTE_BODY_TD15 = 3, /* TD report body for TDX 1.5, 648 bytes */
        _TDX_QUOTE_BODY_TYPE_MAX,
        _TDX_QUOTE_BODY_TYPE_INVALID = -EINVAL,
} TdxQuoteBodyType;

/* SGX REPORT_BODY: the body of an SGX quote and of every QE report. */
typedef struct SgxReportBody {
        uint8_t cpu_svn[16];
        uint32_t misc_select;
        uint8_t isv_ext_prod_id[16];
        uint8_t attributes[16];
        uint8_t mrenclave[32];
        uint8_t mrsigner[32];
        uint8_t config_id[64];
        uint16_t isv_prod_id;
        uint16_t isv_svn;
        uint16_t config_svn;
        uint8_t isv_family_id[16];
        uint8_t report_data[64];
} SgxReportBody;

/* The TD report body of a TDX quote. tee_tcb_svn2 and mrservicetd exist in
 * the 1.5 body only (zero otherwise). */
typedef struct TdxReportBody {
        uint8_t tee_tcb_svn[16];
        uint8_t mrseam[48];
        uint8_t mrsignerseam[48];
        uint8_t seam_attributes[8];
        uint8_t td_attributes[8];
        uint8_t xfam[8];
        uint8_t mrtd[48];
        uint8_t mrconfigid[48];
        uint8_t mrowner[48];
        uint8_t mrownerconfig[48];
        uint8_t rtmr[4][48];
        uint8_t report_data[64];
        uint8_t tee_tcb_svn2[16];
        uint8_t mrservicetd[48];
} TdxReportBody;

typedef struct TdxQuote {
        /* Header. */
        uint16_t version;
        uint16_t att_key_type;
        uint32_t tee_type;
        uint16_t qe_svn;
        uint16_t pce_svn;
        uint8_t qe_vendor_id[16];
        uint8_t user_data[20];

        /* Body: sgx for TDX_QUOTE_BODY_SGX, td otherwise. */
        TdxQuoteBodyType body_type;
        uint32_t body_size;
        SgxReportBody sgx;
        TdxReportBody td;

        /* What the attestation key signs: the header and the body (for v5
         * with the body type and size between them). */
        const uint8_t *signed_data;
        size_t signed_size;

        /* Signature data. */
        uint32_t sig_data_len;
        uint8_t signature[TDX_QUOTE_ECDSA_SIG_SIZE];  /* r || s, big-endian */
        uint8_t attest_key[TDX_QUOTE_ECDSA_KEY_SIZE]; /* x || y, big-endian, P-256 */

        /* The certification data right after the attestation key: type 6
         * (QE report certification data) in TDX quotes; in a v3 quote, the
         * one that certifies the QE (the QE report comes before it). */
        uint16_t cert_data_type;
        const uint8_t *cert_data;
        size_t cert_data_size;

        /* The QE report and what certifies it: present in every v3 quote
         * and in v4/v5 quotes with certification data type 6. */
        bool has_qe_report;
        const uint8_t *qe_report_raw; /* the 384 signed bytes */
        SgxReportBody qe_report;
        uint8_t qe_report_signature[TDX_QUOTE_ECDSA_SIG_SIZE];
        const uint8_t *qe_auth_data;
        size_t qe_auth_data_size;
        uint16_t pck_cert_data_type; /* 5: PEM PCK chain, leaf first */
        const uint8_t *pck_cert_data;
        size_t pck_cert_data_size;

        /* Bytes the quote takes; whatever follows is not part of it (a
         * buffer of fixed size, as configfs-tsm and the CCEL tools hand
         * out, ends in padding). */
        size_t size;
        size_t trailing_size;
        bool trailing_zero;
} TdxQuote;

/* Parses a quote. -EBADMSG with err filled in (offset, field, what) when
 * the bytes are not a well-formed quote; -EOPNOTSUPP (err filled in as
 * well) for a well-formed header this parser does not decode (a version
 * other than 3, 4 or 5, an attestation key other than ECDSA P-256, a TEE
 * other than SGX or TDX). Bytes after the signature data are allowed and
 * counted in trailing_size. */
int tdx_quote_parse(const uint8_t *data, size_t size, TdxQuote *ret, ParseError *err);

/* "sgx", "tdx", or NULL. */
const char *tdx_quote_tee_type_to_string(uint32_t tee_type);
/* "ppid_cleartext", …, "qe_report", "platform_manifest", or NULL. */
const char *tdx_quote_cert_type_to_string(uint16_t type);
/* "sgx_enclave_report", "td_report_1.0", "td_report_1.5", or NULL. */
const char *tdx_quote_body_type_to_string(TdxQuoteBodyType type);

/* The report_data of the quote's body (64 bytes). */
const uint8_t *tdx_quote_report_data(const TdxQuote *q);
