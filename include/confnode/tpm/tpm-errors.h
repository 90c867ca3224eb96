#pragma once

/* TSS2_RC from tpm2-tss become -errno here and nowhere else. */

#include <tss2/tss2_common.h>

/* Maps a response code to a negative errno (0 for TSS2_RC_SUCCESS). */
int tpm_errors_to_errno(TSS2_RC rc);

/* Logs "call: decoded response code" at debug level and returns
 * tpm_errors_to_errno(rc). */
int tpm_errors_log(TSS2_RC rc, const char *call);
