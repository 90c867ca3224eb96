#pragma once

/* A connection to a TPM through tpm2-tss ESAPI, opened from a TCTI
 * configuration string ("device:/dev/tpmrm0", "swtpm:host=…,port=…"). */

#include <tss2/tss2_esys.h>

#include "confnode/basic/cleanup.h"

typedef struct TpmContext TpmContext;

/* Opens the TCTI and ESAPI and makes sure the TPM is started: a TPM that
 * was already started (by firmware, or swtpm's startup-clear) is fine.
 * -errno on failure (a TCTI that cannot be loaded or reached, a TPM in
 * failure mode); the reason is logged at debug level. */
int tpm_context_open(const char *tcti, TpmContext **ret);
void tpm_context_free(TpmContext *c);
DEFINE_CLEANUP(TpmContext, tpm_context_free)

ESYS_CONTEXT *tpm_context_esys(TpmContext *c);
