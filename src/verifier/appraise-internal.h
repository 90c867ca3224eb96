#pragma once

/* What policy.c and the appraise*.c files share: the policy as loaded, the
 * Appraiser with its caches, and the state of one appraisal as its steps
 * run. Private to the confnode_appraise library. */

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "appraise.h"
#include "policy.h"
#include "confnode/basic/cleanup.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/tdx-quote.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-pcr-values.h"

/* Bounds on what a policy may list: more than any fleet needs, small
 * enough that a policy file cannot make the verifier allocate without end. */
#define POLICY_MAX_FILE (1024u * 1024)
#define POLICY_MAX_VALUES 4096u
#define POLICY_MAX_RESOURCES 256u
#define POLICY_MAX_ANCHOR_FILES 64u

#define POLICY_SNP_MEASUREMENT_SIZE 48
#define POLICY_SNP_HOST_DATA_SIZE 32
#define POLICY_TDX_MR_SIZE 48
#define POLICY_TDX_SVN_SIZE 16

/* A list of allowed byte strings of one size. present is false when the
 * policy does not name the list at all (no rule). */
typedef struct PolicyValues {
        bool present;
        size_t size; /* bytes per value */
        size_t n;
        uint8_t *data; /* n * size bytes */
} PolicyValues;

typedef struct PolicySnp {
        bool present;
        bool has_fmc; /* min_tcb.fmc given: applies to reports in the Turin layout */
        uint8_t min_fmc, min_bootloader, min_tee, min_snp, min_microcode;
        bool allow_debug;
        bool allow_migration_agent;
        uint32_t vmpl_mask; /* bit n: VMPL n allowed */
        PolicyValues measurements;
        uint32_t min_guest_svn;
        PolicyValues host_data;
} PolicySnp;

typedef struct PolicyTdx {
        bool present;
        uint8_t min_tee_tcb_svn[POLICY_TDX_SVN_SIZE];
        bool allow_debug;
        bool require_ccel;
        PolicyValues mrtd;
        PolicyValues mrseam;
        PolicyValues rtmr[4];
} PolicyTdx;

typedef struct PolicyPcrBank {
        uint16_t alg;
        PolicyValues pcr[PCR_MAX];
} PolicyPcrBank;

typedef struct PolicyTpm {
        bool present;
        PolicyVtpm vtpm;
        bool require_eventlog;
        bool required; /* snp/tdx evidence without a vTPM quote is rejected */
        /* bit n: PCR n may hold a value the event log does not explain
         * (IMA's PCR 10 has a log of its own). */
        uint32_t unlogged_mask;
        PolicyPcrBank banks[TPM_PCR_VALUES_MAX_BANKS];
        size_t n_banks;
} PolicyTpm;

struct Policy {
        char *origin;
        bool builtin;
        bool simulated;
        STACK_OF(X509) * amd_arks;    /* trusted, self-signed */
        STACK_OF(X509) * amd_certs;   /* ASK/ASVK and cached VCEK/VLEK: the pile, not trusted */
        STACK_OF(X509) * intel_roots; /* trusted; the built-in root when builtin */
        STACK_OF(X509_CRL) * intel_crls;
        /* az_snp and az_tdx: the "az-snp-vtpm" and "az-tdx-vtpm" sections;
         * when absent (present false), the snp and tdx rules apply. */
        PolicySnp snp, az_snp;
        PolicyTdx tdx, az_tdx;
        PolicyTpm tpm;
        PolicyResource *resources;
        size_t n_resources;
};

/* A verified AMD chain, shared by every appraisal that finds its key
 * certificate again. */
typedef struct SnpCacheEntry SnpCacheEntry;
#define APPRAISER_SNP_CACHE_MAX 256
#define APPRAISER_TDX_VERIFIERS 8

typedef struct TdxSlot {
        pthread_mutex_t lock;
        void *verifier; /* TdxVerifier */
} TdxSlot;

struct Appraiser {
        const Policy *policy;
        pthread_mutex_t snp_lock;
        SnpCacheEntry *snp_cache[APPRAISER_SNP_CACHE_MAX];
        size_t snp_cache_next;
        /* SHA-256 of the DER of each VCEK/VLEK in policy->amd_certs, in
         * order: cache keys found without decoding anything again. */
        uint8_t (*pool_key_hashes)[32];
        int *pool_key_index;
        size_t n_pool_keys;
        /* TdxVerifier caches its PCK chains and is not thread-safe: a few,
         * each behind its own lock. NULL when no Intel root is trusted. */
        TdxSlot tdx[APPRAISER_TDX_VERIFIERS];
        size_t n_tdx;
        unsigned tdx_next;
        /* Counters for tests and bench/: appraisals that used a cached
         * chain, and that verified one afresh. */
        unsigned long snp_cache_hits, snp_cache_misses;
};

/* One appraisal in progress. */
typedef struct AppraiseCtx {
        Appraiser *appraiser;
        const Policy *policy;
        const AppraisalInput *in;
        const KbsEvidence *e;
        Appraisal *out;
        bool reference; /* rule steps are skipped: only authenticity and binding count */
        bool failed;    /* a step failed: the later ones are skipped */
        int error;      /* < 0: the appraisal itself could not run (-ENOMEM) */
        const PolicySnp *snp_rules;
        const PolicyTdx *tdx_rules;
        /* What the TEE part established for the vTPM part. */
        bool report_data_bound; /* binding.report_data passed */
        EVP_PKEY *azure_ak;     /* the HCL runtime data's AK (owned) */
        /* The SNP report's reported_tcb in the layout of the chip that
         * signed it, as verified against the VCEK/VLEK. */
        SnpTcb snp_tcb;
        SnpTcbLayout snp_layout;
        bool snp_tcb_valid;
        json_object *claims; /* == out->claims */
} AppraiseCtx;

/* Steps. A step runs unless an earlier one failed (then it is recorded as
 * skipped) or, in reference mode, it applies a rule of the policy. */
bool appraise_step_runs(AppraiseCtx *c, const char *name, bool rule);
void appraise_pass(AppraiseCtx *c, const char *name, const char *fmt, ...) _printf_(3, 4);
void appraise_fail(AppraiseCtx *c, const char *name, const char *reason, const char *fmt, ...)
        _printf_(4, 5);
void appraise_skip(AppraiseCtx *c, const char *name, const char *fmt, ...) _printf_(3, 4);
/* Records -ENOMEM (or another error of the appraisal itself); returns r. */
int appraise_error(AppraiseCtx *c, int r);

/* Hex of the first bytes (16 hex digits at most, "…" after), for details. */
const char *appraise_hex_short(const void *data, size_t n, char buf[static 24]);
/* Whether a list holds value (size bytes). */
bool policy_values_contain(const PolicyValues *v, const void *value);

/* Claims: a member object of c->claims, created on first use. */
json_object *appraise_claims_section(AppraiseCtx *c, const char *name);

/* The SNP part, shared by snp and az-snp-vtpm: the chain and signature of
 * rep with the certificates of the evidence (cert_table, vcek_pem), then
 * (after the caller's binding step) the rules. */
int appraise_snp_claims(AppraiseCtx *c, const SnpReport *rep);
int appraise_snp_signature(AppraiseCtx *c, const SnpReport *rep);
int appraise_snp_rules(AppraiseCtx *c, const SnpReport *rep);
int appraise_snp(AppraiseCtx *c);

/* The TDX part: the quote's verification, the rules on its TD body, the
 * CCEL (ccel may be NULL). */
int appraise_tdx_claims(AppraiseCtx *c, const TdxQuote *q);
int appraise_tdx_quote(AppraiseCtx *c, const uint8_t *data, size_t size);
int appraise_tdx_rules(AppraiseCtx *c, const TdxQuote *q, const KbsBlob *ccel);
int appraise_tdx(AppraiseCtx *c);

int appraise_az(AppraiseCtx *c);

/* The vTPM part: trust in the AK, the quote, the event log, the PCR rules. */
int appraise_tpm(AppraiseCtx *c);

/* binding.report_data against 64 bytes from the report. */
void appraise_binding(AppraiseCtx *c, const uint8_t *report_data, const char *where);

void snp_cache_entry_unref(SnpCacheEntry *e);
int appraiser_tdx_setup(Appraiser *a);
void appraiser_tdx_free(Appraiser *a);
int appraiser_snp_setup(Appraiser *a);
void appraiser_snp_free(Appraiser *a);
