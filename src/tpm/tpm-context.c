/* Opening a TPM: TCTI loader, ESAPI, TPM2_Startup. */

#include "confnode/tpm/tpm-context.h"

#include <errno.h>
#include <stdlib.h>

#include <tss2/tss2_tctildr.h>

#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-errors.h"

struct TpmContext {
        TSS2_TCTI_CONTEXT *tcti;
        ESYS_CONTEXT *esys;
};

void tpm_context_free(TpmContext *c) {
        if (!c)
                return;
        if (c->esys)
                Esys_Finalize(&c->esys);
        if (c->tcti)
                Tss2_TctiLdr_Finalize(&c->tcti);
        free(c);
}

ESYS_CONTEXT *tpm_context_esys(TpmContext *c) {
        return c->esys;
}

int tpm_context_open(const char *tcti, TpmContext **ret) {
        _cleanup_(tpm_context_freep) TpmContext *c = NULL;
        TSS2_RC rc;

        /* tpm2-tss prints its own errors and warnings to stderr, including
         * for conditions we expect (a TPM that is already started). We log
         * every failure ourselves, once, so its logging stays off unless
         * the user asks for it through TSS2_LOG. */
        if (!getenv("TSS2_LOG"))
                (void)setenv("TSS2_LOG", "all+NONE", 0);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        rc = Tss2_TctiLdr_Initialize(tcti, &c->tcti);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Tss2_TctiLdr_Initialize");
        rc = Esys_Initialize(&c->esys, c->tcti, NULL);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_Initialize");

        /* Firmware (or swtpm's startup-clear) normally started the TPM
         * already, and then TPM2_Startup answers TPM_RC_INITIALIZE. A TPM
         * nobody started (swtpm without it, a bare simulator) needs it. */
        rc = Esys_Startup(c->esys, TPM2_SU_CLEAR);
        if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
                return tpm_errors_log(rc, "Esys_Startup");

        *ret = TAKE_PTR(c);
        return 0;
}
