#pragma once

/* SEV-SNP reports through the sev-guest driver's ioctls
 * (include/uapi/linux/sev-guest.h): SNP_GET_EXT_REPORT with a certificate
 * buffer, which grows when the host says it needs more pages, and
 * SNP_GET_REPORT when the extended request is not available. */

#include <stdint.h>

#include "confnode/evidence/tee-evidence.h"

/* The certificate buffer asked for first, and the largest the kernel
 * takes (SEV_FW_BLOB_MAX_SIZE). */
#define SEV_GUEST_CERTS_INITIAL 4096u
#define SEV_GUEST_CERTS_MAX (16u * 1024)

/* Issues one ioctl: 0 or -errno, as ioctl(2) on the device would. */
typedef int (*SevGuestIoctl)(void *userdata, unsigned long cmd, void *arg);

/* A report for report_data at vmpl through the device at path. */
int sev_guest_collect(const char *path, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      uint32_t vmpl, TeeEvidence **ret, TeeError *err);

/* The same through any ioctl function (what the device path uses, and
 * what tests drive the simulated driver with). where names it in errors. */
int sev_guest_collect_with(SevGuestIoctl fn, void *userdata, const char *where,
                           const uint8_t report_data[static TEE_REPORT_DATA_SIZE], uint32_t vmpl,
                           TeeEvidence **ret, TeeError *err);
