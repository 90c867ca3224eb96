#pragma once

/* Gathering the evidence this machine can give: the TEE's report (with the
 * vendor certificates the platform hands out), the measured-boot event log
 * and a vTPM quote (with the PCR values it covers), all bound to a nonce.
 * Used by `confnode boot` and `confnode collect`. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "config.h"
#include "confnode/basic/cleanup.h"
#include "confnode/evidence/tee-detect.h"
#include "confnode/kbs/kbs-proto.h"

typedef struct Evidence Evidence;

/* The TEE options of the configuration, with tpm for Azure (may be NULL). */
void gather_tee_options(const Config *c, TpmContext *tpm, TeeOptions *ret);

/* nonce (at most 64 bytes) goes into the quote's qualifying data and,
 * zero-padded to 64 bytes, into the TEE report's report_data. tee is what
 * the detect phase found; NULL detects as the configuration says. A
 * missing event log is not an error (the Evidence then has none; the
 * caller decides); an unreadable or malformed one is. On failure err says
 * which step failed and on what, for the caller's one log line. */
int gather_evidence(const Config *c, const TeeDetection *tee, const uint8_t *nonce,
                    size_t nonce_size, Evidence **ret, TeeError *err);
void evidence_free(Evidence *e);
DEFINE_CLEANUP(Evidence, evidence_free)

/* The KBS session an attestation is bound to: the Challenge's nonce and
 * hash, and the agent's tee-pubkey. */
typedef struct GatherBinding {
        KbsHashAlg alg;
        const char *nonce;
        json_object *tee_pubkey;
} GatherBinding;

/* The KBS "tee" a detection is attested as: snp, tdx, az-snp-vtpm,
 * az-tdx-vtpm, or tpm when no TEE was found (tee = none, or auto on a
 * machine without one). -EOPNOTSUPP (with err saying why) for a TDX TD
 * report from /dev/tdx_guest, which no verifier off the machine can check. */
int gather_kbs_tee(const TeeDetection *d, KbsTee *ret, TeeError *err);

/* Evidence for the KBS Attestation message, bound in two stages as
 * protocol 0.4.0 has it (docs/kbs-protocol.md, "The binding"):
 *   snp, tdx  the vTPM quote first, over H({nonce, tee-pubkey}) cut to 32
 *             bytes; then its additional_evidence string {"tpm": …}; then
 *             the TEE report with report_data H({additional-evidence,
 *             nonce, tee-pubkey});
 *   az-*      the HCL report (user data) and the vTPM quote both over
 *             H({additional-evidence: "", nonce, tee-pubkey});
 *   tpm       the vTPM quote alone over that same three-member digest.
 * The quote covers the SHA-256 PCRs 0-23, the form Trustee's "tpm" and
 * Azure shapes carry (its PCR list has all 24 values); [tpm] pcrs applies
 * to `confnode collect`. tee is what the detect phase found. ret_ev is
 * what was gathered (for evidence_summary()), ret_primary and
 * ret_additional go into the Attestation as they are. */
int gather_kbs_evidence(const Config *c, const TeeDetection *tee, const GatherBinding *b,
                        Evidence **ret_ev, json_object **ret_primary, char **ret_additional,
                        TeeError *err);

/* One line for the log: what was gathered (the TEE report, sizes, event
 * count, PCR selection, AK fingerprint). */
void evidence_summary(const Evidence *e, char *buf, size_t size);

/* Writes ak.pem, ak.pub (TPMT_PUBLIC), tpm-quote.msg (TPMS_ATTEST),
 * tpm-quote.sig (TPMT_SIGNATURE), pcrs.json, nonce.hex and eventlog.bin
 * (if any) into dir, creating it; and tee.json (which TEE, from where, in
 * which format), tee-report.bin, and for a certificate table tee-certs.bin
 * and each certificate as certs/ark.pem, ask.pem, vcek.pem or vlek.pem.
 * Files of an earlier run that this one has no counterpart for go. */
int evidence_write_dir(const Evidence *e, const char *dir);
