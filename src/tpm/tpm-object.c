#include "confnode/tpm/tpm-object.h"

#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-errors.h"

void tpm_object_flush(TpmObject *o) {
        TSS2_RC rc;

        if (!o->esys || o->tr == ESYS_TR_NONE)
                return;
        /* Flushing a persistent object would fail; closing its ESAPI
         * handle leaves it in NV where it belongs. */
        if (o->persistent)
                rc = Esys_TR_Close(o->esys, &o->tr);
        else
                rc = Esys_FlushContext(o->esys, o->tr);
        if (rc != TSS2_RC_SUCCESS)
                (void)tpm_errors_log(rc, o->persistent ? "Esys_TR_Close" : "Esys_FlushContext");
        o->tr = ESYS_TR_NONE;
}

TpmObject tpm_object_take(TpmObject *o) {
        TpmObject t = *o;

        *o = TPM_OBJECT_NULL;
        return t;
}
