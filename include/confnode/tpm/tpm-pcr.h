#pragma once

/* PCR access on a live TPM: reading values, extending, and which banks the
 * TPM has allocated. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/tpm/pcr-selection.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-pcr-values.h"

typedef struct TpmDigest {
        uint16_t alg;
        uint8_t size;
        uint8_t value[TPM_PCR_VALUE_MAX];
} TpmDigest;

/* Reads every PCR of the selection (TPM2_PCR_Read answers at most 8 per
 * call, so this asks again for what is still missing). */
int tpm_pcr_read(TpmContext *c, const PcrSelection *sel, TpmPcrValues *ret);

/* Extends one PCR in each given bank with the given digest. */
int tpm_pcr_extend(TpmContext *c, unsigned pcr, const TpmDigest *digests, size_t n_digests);

/* The banks with at least one PCR allocated (TPM2_GetCapability
 * TPM_CAP_PCRS), each with its allocated PCRs as the mask. Banks whose hash
 * we do not know are left out. */
int tpm_pcr_banks(TpmContext *c, PcrSelection *ret);
