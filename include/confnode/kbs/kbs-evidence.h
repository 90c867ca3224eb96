#pragma once

/* Evidence as the KBS protocol carries it, in both directions: the agent
 * turns what it collected into Trustee's JSON shapes (primary_evidence and
 * the additional_evidence string of the Attestation message), and the
 * verifier turns those shapes back into the binary artifacts its
 * verification library reads. The shapes are the ones Trustee's verifiers
 * deserialize (deps/verifier/src/{snp,tdx,az_snp_vtpm,az_tdx_vtpm,tpm}),
 * so a Trustee KBS can appraise a confnode node; differences are in
 * docs/kbs-protocol.md.
 *
 * KbsEvidence is the one currency between the protocol and appraisal: the
 * server, `confnode-verifier check BUNDLE` and the agent all fill one. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/kbs/kbs-proto.h"
#include "confnode/tpm/tpm-pcr-values.h"

/* Bounds on what one piece of evidence may carry (docs/kbs-protocol.md,
 * "Evidence shapes"): an SNP report is exactly SNP_REPORT_SIZE bytes. */
#define KBS_EVIDENCE_MAX_BLOB (64u * 1024)            /* quotes, HCL reports, TPM structures */
#define KBS_EVIDENCE_MAX_EVENTLOG (16u * 1024 * 1024) /* CCEL, TCG2 logs */
#define KBS_EVIDENCE_MAX_CERTS 16u                    /* entries of an SNP cert_chain */
#define KBS_EVIDENCE_MAX_CERT (16u * 1024)            /* one certificate (or CRL) */
#define KBS_EVIDENCE_TPM_PCRS 24u                     /* SHA-256 PCRs 0-23 */

/* An owned byte string; data NULL and size 0 when absent. */
typedef struct KbsBlob {
        uint8_t *data;
        size_t size;
} KbsBlob;

/* The vTPM part: a TPM2_Quote, its signature, the AK that made it, the PCR
 * values it covers and the measured-boot event log. For az-snp-vtpm and
 * az-tdx-vtpm it is part of the primary evidence (the AK then comes from
 * the HCL report's runtime data); otherwise it is Trustee's "tpm"
 * additional evidence. */
typedef struct KbsTpmEvidence {
        KbsBlob attest;    /* TPMS_ATTEST as signed */
        KbsBlob signature; /* TPMT_SIGNATURE */
        /* The AK: TPMT_PUBLIC when the sender gave it (confnode's
         * "ak_tpmt_public"); from a Trustee agent, which sends only a
         * DER SubjectPublicKeyInfo, that DER. tpm_public_key_load() reads
         * both. Absent for Azure, whose AK is in the HCL report. */
        KbsBlob ak_public;
        /* The AK as OpenSSL's key, when kbs_evidence_from_json() made one
         * from ak_tpmt_public while checking it against ak_public (so the
         * appraisal need not import it again); NULL otherwise. Owned. */
        EVP_PKEY *ak_key;
        KbsBlob eventlog;  /* TCG2 crypto-agile log; may be absent */
        TpmPcrValues pcrs; /* the values the quote covers */
} KbsTpmEvidence;

typedef struct KbsEvidence {
        KbsTee tee; /* snp, tdx, az-snp-vtpm, az-tdx-vtpm; tpm for vTPM-only */
        /* snp: the 1184-byte SNP report; tdx: the DCAP quote; az-*: the
         * HCL report; empty for tee tpm. */
        KbsBlob report;
        KbsBlob td_quote;   /* az-tdx-vtpm: the TD quote */
        KbsBlob ccel;       /* tdx: the CCEL event log, may be absent */
        KbsBlob cert_table; /* snp: vendor certificates as a GHCB table, may be absent */
        char *vcek_pem;     /* az-snp-vtpm: the VCEK (PEM) */
        bool has_tpm;
        KbsTpmEvidence tpm;
        /* True when the TPM evidence came from the additional_evidence
         * string, which the primary evidence's report_data binds (protocol
         * 0.4.0): a verified TEE report then vouches for the AK in it. */
        bool tpm_in_additional;
        /* az-snp-vtpm, az-tdx-vtpm: Trustee's evidence version: 0 (byte
         * arrays), 1 (hex and base64url) or 2 (as 1, and the HCL user-data
         * carries report_data, which Trustee then checks). kbs_evidence_new()
         * sets 2, what Trustee's agent writes now. */
        uint32_t az_version;
} KbsEvidence;

void kbs_evidence_free(KbsEvidence *e);
DEFINE_CLEANUP(KbsEvidence, kbs_evidence_free)
int kbs_evidence_new(KbsTee tee, KbsEvidence **ret);

/* Agent side. The TPM part first: the additional_evidence string (a JSON
 * map {"tpm": …}, "" when e has no TPM evidence or its tee carries the
 * quote in the primary evidence). The caller hashes that string into the
 * TEE report's report_data before collecting it, then builds the
 * primary_evidence. */
int kbs_evidence_additional_to_string(const KbsEvidence *e, char **ret);
int kbs_evidence_primary_to_json(const KbsEvidence *e, json_object **ret);

/* Verifier side: primary_evidence as received, additional_evidence as the
 * string received ("" or NULL for none). Every size and count read is
 * bounded; -EBADMSG with the member named in err on anything malformed,
 * -EOPNOTSUPP for a tee we do not appraise. */
int kbs_evidence_from_json(KbsTee tee, json_object *primary, const char *additional,
                           KbsEvidence **ret, KbsProtoError *err);

/* One SEV-SNP report in the sev crate's serde form (the "attestation_report"
 * member of snp evidence), both ways. To JSON: -EBADMSG for a report that
 * would not come back byte for byte (wrong size, a version other than 2-5,
 * non-zero reserved bytes, TCB bytes the layout reserves). From JSON: the
 * 1184 bytes with reserved bytes zero, -EBADMSG with the member named. */
int kbs_evidence_snp_report_to_json(const uint8_t *report, size_t size, json_object **ret);
int kbs_evidence_snp_report_from_json(json_object *j, uint8_t *ret, size_t ret_size,
                                      KbsProtoError *err);
