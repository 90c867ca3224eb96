#pragma once

/* Appraisal: the verifier's decision on one piece of evidence, in a fixed
 * order of steps, each with a stable reason code when it fails:
 *   1. vendor chain and signature (the verification library's reasons),
 *   2. report_data equals the session binding,
 *   3. TCB at least the policy minimum,
 *   4. debug / migration / VMPL rules,
 *   5. measurement / MRTD / RTMRs in the allowed set (TDX: CCEL replays to
 *      the quoted RTMRs),
 *   6. vTPM: the AK is trusted (TEE-vouched, or per policy vtpm), the quote
 *      signature, the quote nonce equals the binding, the PCR digest equals
 *      the quoted PCR values, the event log replays to exactly those
 *      values, the values are in policy.
 * The first failing step decides the reason; the steps after it are
 * recorded as skipped. Used by `confnode-verifier serve` (one Appraiser
 * shared by every worker thread) and `check BUNDLE`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "policy.h"
#include "confnode/basic/cleanup.h"
#include "confnode/kbs/kbs-binding.h"
#include "confnode/kbs/kbs-evidence.h"
#include "confnode/kbs/kbs-proto.h"

#define APPRAISAL_MAX_STEPS 48

typedef enum StepStatus {
        STEP_PASS,
        STEP_FAIL,
        STEP_SKIP,
        _STEP_STATUS_MAX,
        _STEP_STATUS_INVALID = -EINVAL,
} StepStatus;

const char *step_status_to_string(StepStatus s); /* "pass", "fail", "skip" */

typedef struct AppraisalStep {
        const char *name;   /* static: "snp.chain", "binding.report_data", "tpm.replay", … */
        StepStatus status;
        const char *reason; /* static stable code when failed, else NULL */
        char detail[256];   /* a sentence: what was compared, what differed */
} AppraisalStep;

typedef struct Appraisal {
        bool accepted;
        const char *reason; /* the first failing step's reason; NULL when accepted */
        char detail[512];
        KbsTee tee;
        /* How the vTPM evidence was trusted: "tee" (bound by the TEE report),
         * "azure" (HCL runtime data), "cloud", "ignore", or "none" (no TPM
         * evidence). */
        const char *vtpm;
        AppraisalStep steps[APPRAISAL_MAX_STEPS];
        size_t n_steps;
        /* The appraised values (measurement, TCB, chip_id, MRTD, RTMRs, PCR
         * values by bank, …) as JSON, for records and `reference --from`.
         * Owned; appraisal_done() frees it. */
        json_object *claims;
} Appraisal;

void appraisal_done(Appraisal *a);
int appraisal_to_json(const Appraisal *a, json_object **ret);

/* What the evidence must carry for this session. */
typedef struct AppraisalInput {
        const KbsEvidence *evidence;
        uint8_t report_data[KBS_REPORT_DATA_SIZE]; /* the TEE report's REPORT_DATA */
        uint8_t tpm_nonce[KBS_BINDING_MAX_DIGEST]; /* the quote's extraData */
        size_t tpm_nonce_size;
        time_t at; /* certificate validity time */
} AppraisalInput;

/* The expected values of in for an Attestation message, from the session's
 * own nonce (never the message's) and hash: the primary evidence binds
 * {additional-evidence, nonce, tee-pubkey}, TPM evidence {nonce,
 * tee-pubkey}, as docs/kbs-protocol.md says. */
int appraisal_input_from_attestation(const char *session_nonce, KbsHashAlg alg,
                                     const KbsAttestation *att, const KbsEvidence *e,
                                     AppraisalInput *ret);

/* Policy plus the trust anchors it names, loaded once, with caches of
 * verified certificate chains. appraise() may run on several threads at
 * once with one Appraiser. */
typedef struct Appraiser Appraiser;

/* p must outlive the Appraiser (the server swaps both together). */
int appraiser_new(const Policy *p, Appraiser **ret, char *err, size_t err_size);
void appraiser_free(Appraiser *a);
DEFINE_CLEANUP(Appraiser, appraiser_free)
const Policy *appraiser_policy(const Appraiser *a);

/* Returns 0 with a decision in ret (accepted or not); < 0 only when the
 * appraisal itself could not run (-ENOMEM). */
int appraise(Appraiser *a, const AppraisalInput *in, Appraisal *ret);

/* Reference mode, for `confnode-verifier reference --from`: the steps that
 * establish that the evidence is genuine and bound (vendor chain and
 * signatures, report_data, the quote's nonce and PCR digest, the event
 * log's replay) run as in appraise(); the steps that compare values with
 * the policy's rules (TCB, debug, VMPL, measurements, PCR values, and the
 * vtpm decision on an AK no TEE vouches for) are recorded as skipped.
 * accepted then says whether the claims can be taken as reference values.
 * The policy needs the anchors, not rules for the evidence's TEE. */
int appraise_reference(Appraiser *a, const AppraisalInput *in, Appraisal *ret);

/* How many SEV-SNP appraisals found their VCEK/VLEK chain in the cache,
 * and how many verified one afresh. */
void appraiser_snp_cache_stats(Appraiser *a, unsigned long *ret_hits, unsigned long *ret_misses);
