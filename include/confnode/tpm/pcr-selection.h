#pragma once

/* A PCR selection over one or more banks, written as tpm2-tools does:
 * "sha256:0-7,9" or "sha1:0,1+sha256:0-7". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCR_SELECTION_MAX_BANKS 4
#define PCR_MAX 24

typedef struct PcrBank {
        uint16_t alg;  /* TPM2_ALG_ID: 0x0004 sha1, 0x000b sha256, 0x000c sha384, 0x000d sha512 */
        uint32_t mask; /* bit i = PCR i */
} PcrBank;

typedef struct PcrSelection {
        PcrBank banks[PCR_SELECTION_MAX_BANKS];
        size_t n_banks;
} PcrSelection;

/* -EINVAL with a sentence in err (if given) on bad syntax, unknown bank,
 * PCR index >= 24, repeated bank, or an empty selection. */
int pcr_selection_parse(const char *s, PcrSelection *ret, char *err, size_t err_size);
/* Formats back to the canonical "sha256:0,1,2" form. */
void pcr_selection_format(const PcrSelection *sel, char *buf, size_t size);

/* Bank names and digest sizes of the TPM hash algorithms we know. */
const char *tpm_alg_hash_name(uint16_t alg);     /* "sha256", or NULL */
int tpm_alg_hash_from_name(const char *name);     /* alg id, or -EINVAL */
size_t tpm_alg_hash_size(uint16_t alg);           /* 0 if unknown */
