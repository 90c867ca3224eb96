#pragma once

/* Gathering the evidence this machine can give: the TEE's report (with the
 * vendor certificates the platform hands out), the measured-boot event log
 * and a vTPM quote (with the PCR values it covers), all bound to a nonce.
 * Used by `confnode boot` and `confnode collect`. */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "confnode/basic/cleanup.h"
#include "confnode/evidence/tee-detect.h"

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
