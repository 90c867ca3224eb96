#pragma once

/* PCR values by bank and index, as read from a TPM or supplied to a
 * verifier. The JSON form is the one `confnode collect` writes to pcrs.json
 * and `confnode-verifier check --pcrs` reads:
 *   {"sha256": {"0": "hex", "1": "hex", …}, "sha1": {…}} */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/tpm/pcr-selection.h"

/* Every hash bank tpm_alg_hash_name() knows. */
#define TPM_PCR_VALUES_MAX_BANKS 5
#define TPM_PCR_VALUE_MAX 64

typedef struct TpmPcrBankValues {
        uint16_t alg;
        uint32_t present; /* bit i: value[i] is known */
        uint8_t value[PCR_MAX][TPM_PCR_VALUE_MAX];
} TpmPcrBankValues;

typedef struct TpmPcrValues {
        TpmPcrBankValues banks[TPM_PCR_VALUES_MAX_BANKS];
        size_t n_banks;
} TpmPcrValues;

/* The bank for alg, or NULL. */
const TpmPcrBankValues *tpm_pcr_values_bank(const TpmPcrValues *v, uint16_t alg);
/* Sets one value; size must be the bank's digest size. -EINVAL on an
 * unknown bank, a PCR index >= 24 or a wrong size, -E2BIG when all banks
 * are taken. */
int tpm_pcr_values_set(TpmPcrValues *v, uint16_t alg, unsigned pcr, const uint8_t *value,
                       size_t size);
/* Whether every PCR of the selection has a value. */
bool tpm_pcr_values_cover(const TpmPcrValues *v, const PcrSelection *sel);

int tpm_pcr_values_to_json(const TpmPcrValues *v, json_object **ret);
/* -EINVAL with a sentence in err on anything but the form above (unknown
 * bank, index not 0-23, value not hex of the bank's digest size). */
int tpm_pcr_values_from_json(json_object *j, TpmPcrValues *ret, char *err, size_t err_size);
