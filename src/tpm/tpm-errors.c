/* TSS2_RC to errno. The mapping keeps what a caller can act on (no TPM
 * there, busy, locked out, out of object slots, bad authorization) and
 * folds the rest into -EIO; the decoded code goes to the debug log. */

#include "confnode/tpm/tpm-errors.h"

#include <errno.h>
#include <stddef.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include "confnode/basic/log.h"

static int tpm_errors_base(TSS2_RC base) {
        switch (base) {
        case TSS2_BASE_RC_MEMORY:
                return -ENOMEM;
        case TSS2_BASE_RC_NO_CONNECTION:
                return -ECONNREFUSED;
        case TSS2_BASE_RC_TRY_AGAIN:
                return -EAGAIN;
        case TSS2_BASE_RC_NOT_IMPLEMENTED:
        case TSS2_BASE_RC_NOT_SUPPORTED:
                return -EOPNOTSUPP;
        case TSS2_BASE_RC_BAD_VALUE:
        case TSS2_BASE_RC_BAD_REFERENCE:
        case TSS2_BASE_RC_BAD_TCTI_STRUCTURE:
        case TSS2_BASE_RC_BAD_CONTEXT:
                return -EINVAL;
        case TSS2_BASE_RC_INSUFFICIENT_BUFFER:
                return -ENOBUFS;
        case TSS2_BASE_RC_BAD_SEQUENCE:
                return -EBUSY;
        case TSS2_BASE_RC_IO_ERROR:
        case TSS2_BASE_RC_MALFORMED_RESPONSE:
        default:
                return -EIO;
        }
}

static int tpm_errors_tpm(TSS2_RC rc) {
        if (rc & TPM2_RC_FMT1) {
                switch (rc & (TPM2_RC_FMT1 | 0x3f)) {
                case TPM2_RC_HANDLE:
                        return -ENOENT;
                case TPM2_RC_AUTH_FAIL:
                case TPM2_RC_BAD_AUTH:
                        return -EACCES;
                case TPM2_RC_SCHEME:
                case TPM2_RC_HASH:
                case TPM2_RC_CURVE:
                case TPM2_RC_KEY_SIZE:
                        return -EOPNOTSUPP;
                case TPM2_RC_VALUE:
                case TPM2_RC_SIZE:
                case TPM2_RC_ATTRIBUTES:
                        return -EINVAL;
                default:
                        return -EIO;
                }
        }
        switch (rc) {
        case TPM2_RC_RETRY:
        case TPM2_RC_YIELDED:
        case TPM2_RC_TESTING:
        case TPM2_RC_NV_RATE:
        case TPM2_RC_NV_UNAVAILABLE:
                return -EAGAIN;
        case TPM2_RC_OBJECT_MEMORY:
        case TPM2_RC_SESSION_MEMORY:
        case TPM2_RC_MEMORY:
        case TPM2_RC_NV_SPACE:
                return -ENOSPC;
        case TPM2_RC_LOCKOUT:
        case TPM2_RC_LOCALITY:
                return -EACCES;
        case TPM2_RC_NV_DEFINED:
                return -EEXIST;
        case TPM2_RC_INITIALIZE:
                return -EBUSY;
        case TPM2_RC_DISABLED:
                return -EPERM;
        default:
                return -EIO;
        }
}

int tpm_errors_to_errno(TSS2_RC rc) {
        if (rc == TSS2_RC_SUCCESS)
                return 0;
        if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER)
                return tpm_errors_tpm(rc);
        /* The resource manager layers pass TPM codes through with their
         * own layer bits; their base codes are the TPM's. */
        if ((rc & TSS2_RC_LAYER_MASK) == TSS2_RESMGR_TPM_RC_LAYER)
                return tpm_errors_tpm(rc & ~TSS2_RC_LAYER_MASK);
        return tpm_errors_base(rc & 0xffff);
}

int tpm_errors_log(TSS2_RC rc, const char *call) {
        int r = tpm_errors_to_errno(rc);

        log_debug_errno(r, "%s failed: 0x%08x %s", call, (unsigned)rc, Tss2_RC_Decode(rc));
        return r;
}
