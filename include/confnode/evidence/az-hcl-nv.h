#pragma once

/* Azure's HCL report in the vTPM: the paravisor keeps it in NV index
 * 0x01400001 and makes it anew when the guest writes 64 bytes of user data
 * to NV index 0x01400002; the report's runtime data then carries them as
 * "user-data", and its hardware report's report_data begins with the hash
 * of that runtime data. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/evidence/tee-evidence.h"

typedef struct TpmContext TpmContext;

#define AZ_HCL_NV_REPORT_INDEX 0x01400001u
#define AZ_HCL_NV_USER_DATA_INDEX 0x01400002u
#define AZ_HCL_NV_USER_DATA_SIZE 64u

/* Whether the TPM holds an HCL report, and of which TEE. -ENOENT when the
 * index is not there; -EBADMSG when it holds no HCL report. */
int az_hcl_nv_probe(TpmContext *tpm, TeeType *ret_type, TeeError *err);

/* Reads a whole NV index, in pieces the TPM's NV buffer takes. */
int az_hcl_nv_read(TpmContext *tpm, uint32_t index, uint8_t **ret, size_t *ret_size, TeeError *err);

/* Writes report_data as the user data (defining the index if it is not
 * there; a platform that refuses is not an error by itself), reads the
 * report back and checks that its user-data is report_data: -ESTALE when
 * the platform did not make the report anew. */
int az_hcl_nv_collect(TpmContext *tpm, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      TeeEvidence **ret, TeeError *err);
