#pragma once

/* An ESYS_TR that cleans up after itself: a transient object is flushed
 * from the TPM (swtpm without a resource manager holds only three), a
 * persistent one only has its ESAPI metadata closed, so it stays in the
 * TPM. Use as
 *   _cleanup_(tpm_object_flush) TpmObject ak = TPM_OBJECT_NULL; */

#include <stdbool.h>

#include <tss2/tss2_esys.h>

typedef struct TpmObject {
        ESYS_CONTEXT *esys;
        ESYS_TR tr;
        bool persistent;
} TpmObject;

#define TPM_OBJECT_NULL ((TpmObject){.esys = NULL, .tr = ESYS_TR_NONE, .persistent = false})

/* A failed flush is only debug-logged: the object is gone with the
 * connection anyway, and the caller's own result matters more. */
void tpm_object_flush(TpmObject *o);

/* Hands the object over and leaves o empty. */
TpmObject tpm_object_take(TpmObject *o);
