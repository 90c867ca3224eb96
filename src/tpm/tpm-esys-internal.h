#pragma once

/* Every ESAPI output is allocated by tpm2-tss and must go back through
 * Esys_Free(). */

#include <tss2/tss2_esys.h>

static inline void Esys_Freep(void *p) {
        Esys_Free(*(void **)p);
        *(void **)p = NULL;
}
