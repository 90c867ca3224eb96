#pragma once

/* The AMD SEV-SNP ATTESTATION_REPORT (SEV Secure Nested Paging Firmware ABI
 * Specification, "ATTESTATION_REPORT Structure"): 1184 bytes, little-endian,
 * produced and signed by the AMD Secure Processor. Versions 2, 3, 4 and 5
 * share one layout; later versions give meaning to bytes that earlier ones
 * reserve (3: the CPUID family/model/stepping at 0x188; 5: the mitigation
 * vectors at 0x1F8). The signature (ECDSA P-384 with SHA-384) covers bytes
 * 0x000-0x29F. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/reader.h"

#define SNP_REPORT_SIZE 1184
#define SNP_REPORT_SIGNED_SIZE 0x2a0
#define SNP_REPORT_MIN_VERSION 2
#define SNP_REPORT_MAX_VERSION 5

#define SNP_FAMILY_ID_SIZE 16
#define SNP_IMAGE_ID_SIZE 16
#define SNP_REPORT_DATA_SIZE 64
#define SNP_MEASUREMENT_SIZE 48
#define SNP_HOST_DATA_SIZE 32
#define SNP_KEY_DIGEST_SIZE 48
#define SNP_REPORT_ID_SIZE 32
#define SNP_CHIP_ID_SIZE 64
/* r and s of the ECDSA signature, each zero-extended to 72 bytes. */
#define SNP_SIGNATURE_COMPONENT_SIZE 72

/* SIGNATURE_ALGO: the only algorithm the ABI defines. */
#define SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384 1

/* The CPU generation a report comes from. It decides the layout of
 * TCB_VERSION, and which AMD root signs the chain. */
typedef enum SnpGeneration {
        SNP_GENERATION_UNKNOWN,
        SNP_GENERATION_MILAN,
        SNP_GENERATION_GENOA,
        SNP_GENERATION_TURIN,
        _SNP_GENERATION_MAX,
        _SNP_GENERATION_INVALID = -EINVAL,
} SnpGeneration;

/* The TCB_VERSION layouts. Milan and Genoa: BOOT_LOADER, TEE, four
 * reserved bytes, SNP, MICROCODE. Turin (Zen 5) and later: FMC,
 * BOOT_LOADER, TEE, SNP, three reserved bytes, MICROCODE. */
typedef enum SnpTcbLayout {
        SNP_TCB_LAYOUT_MILAN_GENOA,
        SNP_TCB_LAYOUT_TURIN,
        _SNP_TCB_LAYOUT_MAX,
        _SNP_TCB_LAYOUT_INVALID = -EINVAL,
} SnpTcbLayout;

/* SIGNING_KEY: the key the firmware signed the report with. */
typedef enum SnpSigningKey {
        SNP_SIGNING_KEY_VCEK = 0,
        SNP_SIGNING_KEY_VLEK = 1,
        SNP_SIGNING_KEY_NONE = 7,
        _SNP_SIGNING_KEY_MAX,
        _SNP_SIGNING_KEY_INVALID = -EINVAL,
} SnpSigningKey;

typedef struct SnpTcb {
        uint64_t raw;
        uint8_t fmc; /* Turin layout only */
        uint8_t bootloader;
        uint8_t tee;
        uint8_t snp;
        uint8_t microcode;
} SnpTcb;

/* The guest policy the guest owner launched with. Bits the report's ABI
 * does not yet define stay in reserved. */
typedef struct SnpPolicy {
        uint8_t abi_minor;
        uint8_t abi_major;
        bool smt;
        bool reserved_17; /* the ABI requires it set */
        bool migrate_ma;
        bool debug;
        bool single_socket;
        bool cxl_allow;
        bool mem_aes_256_xts;
        bool rapl_dis;
        bool ciphertext_hiding;
        bool page_swap_disable; /* version 5 on */
        uint64_t reserved;      /* bits of no defined meaning for this version */
} SnpPolicy;

/* PLATFORM_INFO: how the platform was configured when it made the report. */
typedef struct SnpPlatformInfo {
        bool smt_en;
        bool tsme_en;
        bool ecc_en;
        bool rapl_dis;
        bool ciphertext_hiding_en;
        bool alias_check_complete; /* version 3 on */
        bool tio_en;               /* version 5 on */
        uint64_t reserved;
} SnpPlatformInfo;

typedef struct SnpReport {
        uint32_t version;
        uint32_t guest_svn;
        uint64_t policy;
        uint8_t family_id[SNP_FAMILY_ID_SIZE];
        uint8_t image_id[SNP_IMAGE_ID_SIZE];
        uint32_t vmpl;
        uint32_t signature_algo;
        SnpTcb current_tcb;
        uint64_t platform_info;
        /* The word at 0x48: AUTHOR_KEY_EN (bit 0), MASK_CHIP_KEY (bit 1),
         * SIGNING_KEY (bits 4:2). */
        uint32_t flags;
        bool author_key_en;
        bool mask_chip_key;
        uint8_t signing_key; /* SnpSigningKey, or a reserved value 2-6 */
        uint8_t report_data[SNP_REPORT_DATA_SIZE];
        uint8_t measurement[SNP_MEASUREMENT_SIZE];
        uint8_t host_data[SNP_HOST_DATA_SIZE];
        uint8_t id_key_digest[SNP_KEY_DIGEST_SIZE];
        uint8_t author_key_digest[SNP_KEY_DIGEST_SIZE];
        uint8_t report_id[SNP_REPORT_ID_SIZE];
        uint8_t report_id_ma[SNP_REPORT_ID_SIZE];
        SnpTcb reported_tcb;
        bool has_cpuid; /* version 3 on */
        uint8_t cpuid_fam_id;
        uint8_t cpuid_mod_id;
        uint8_t cpuid_step;
        uint8_t chip_id[SNP_CHIP_ID_SIZE];
        SnpTcb committed_tcb;
        uint8_t current_build;
        uint8_t current_minor;
        uint8_t current_major;
        uint8_t committed_build;
        uint8_t committed_minor;
        uint8_t committed_major;
        SnpTcb launch_tcb;
        bool has_mit_vectors; /* version 5 on */
        uint64_t launch_mit_vector;
        uint64_t current_mit_vector;
        /* Little-endian, as in the report. */
        uint8_t signature_r[SNP_SIGNATURE_COMPONENT_SIZE];
        uint8_t signature_s[SNP_SIGNATURE_COMPONENT_SIZE];

        /* From cpuid_fam_id/cpuid_mod_id; UNKNOWN for version 2 reports,
         * whose TCBs are then decoded in the Milan/Genoa layout. */
        SnpGeneration generation;
        SnpTcbLayout tcb_layout;

        /* The report as parsed: what the signature covers. */
        uint8_t raw[SNP_REPORT_SIZE];
} SnpReport;

void snp_report_free(SnpReport *rep);
DEFINE_CLEANUP(SnpReport, snp_report_free)

/* Parses exactly one report. -EBADMSG (err filled in: offset, field, what)
 * for a wrong size, a version other than 2-5, or non-zero bytes where the
 * report's version reserves them; -ENOMEM. *ret is set only on success. */
int snp_report_parse(const uint8_t *data, size_t size, SnpReport **ret, ParseError *err);

/* Decodes a TCB_VERSION in the given layout. */
void snp_report_tcb_decode(uint64_t raw, SnpTcbLayout layout, SnpTcb *ret);
/* Decodes the report's TCBs again in another layout: for version 2
 * reports, once the VCEK has told which CPU made them. */
void snp_report_set_tcb_layout(SnpReport *rep, SnpTcbLayout layout);

void snp_report_policy_decode(uint64_t policy, uint32_t version, SnpPolicy *ret);
void snp_report_platform_info_decode(uint64_t info, uint32_t version, SnpPlatformInfo *ret);

/* From CPUID Fn0000_0001_EAX's combined family and model. */
SnpGeneration snp_report_generation_from_cpuid(uint8_t family, uint8_t model);
SnpTcbLayout snp_report_tcb_layout_from_cpuid(uint8_t family);

const char *snp_generation_to_string(SnpGeneration g); /* "milan", …; NULL if out of range */
const char *snp_tcb_layout_to_string(SnpTcbLayout l);  /* "milan-genoa", "turin" */
const char *snp_signing_key_to_string(uint8_t key);    /* "vcek", "vlek", "none", "reserved" */
