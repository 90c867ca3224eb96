#pragma once

/* The attestation key: a restricted signing key in the endorsement
 * hierarchy, created as a primary (so the same template gives the same key
 * for the life of the endorsement seed), either per run (transient) or
 * persisted at a configured handle on first use. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-object.h"

typedef enum TpmAkAlgorithm {
        TPM_AK_RSA2048,  /* RSASSA with SHA-256 */
        TPM_AK_ECC_P256, /* ECDSA P-256 with SHA-256 */
        _TPM_AK_MAX,
        _TPM_AK_INVALID = -EINVAL,
} TpmAkAlgorithm;

const char *tpm_ak_algorithm_to_string(TpmAkAlgorithm a);

/* Persistent handles an AK may live at. Creating one in the platform half
 * (0x81800000 and up) needs platform authorization, which the TPM refuses. */
#define TPM_AK_HANDLE_MIN 0x81000000u
#define TPM_AK_HANDLE_MAX 0x81ffffffu

/* handle == 0: creates a transient AK. Otherwise loads the key at handle,
 * or creates and persists one there if the handle is empty; -EEXIST when
 * the handle holds something that is not a restricted signing key of the
 * requested algorithm. Returns the marshalled TPMT_PUBLIC. */
int tpm_ak_open(TpmContext *c, TpmAkAlgorithm alg, uint32_t handle, TpmObject *ret_ak,
                uint8_t **ret_public, size_t *ret_public_size);
