#pragma once

/* Gathering the evidence this machine can give: the measured-boot event log
 * and a vTPM quote (with the PCR values it covers) bound to a nonce. Used by
 * `confnode boot` and `confnode collect`. */

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "confnode/basic/cleanup.h"

typedef struct Evidence Evidence;

/* nonce goes into the quote's qualifying data (at most 64 bytes). A missing
 * event log is not an error (the Evidence then has none; the caller decides);
 * an unreadable or malformed one is. */
int gather_evidence(const Config *c, const uint8_t *nonce, size_t nonce_size, Evidence **ret);
void evidence_free(Evidence *e);
DEFINE_CLEANUP(Evidence, evidence_free)

/* One line for the log: what was gathered (sizes, event count, PCR
 * selection, AK fingerprint). */
void evidence_summary(const Evidence *e, char *buf, size_t size);

/* Writes ak.pem, ak.pub (TPMT_PUBLIC), tpm-quote.msg (TPMS_ATTEST),
 * tpm-quote.sig (TPMT_SIGNATURE), pcrs.json, nonce.hex and eventlog.bin
 * (if any) into dir, creating it. */
int evidence_write_dir(const Evidence *e, const char *dir);
