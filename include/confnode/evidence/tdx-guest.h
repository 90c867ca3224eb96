#pragma once

/* TD reports through the tdx-guest driver (include/uapi/linux/tdx-guest.h):
 * TDX_CMD_GET_REPORT0 turns 64 bytes of report data into a TDREPORT, MACed
 * with a key only this CPU holds. It proves nothing to anyone else until
 * a Quoting Enclave turns it into a quote, which Linux offers through
 * configfs-tsm, not this device. */

#include <stdint.h>

#include "confnode/evidence/tee-evidence.h"

/* Issues one ioctl: 0 or -errno. */
typedef int (*TdxGuestIoctl)(void *userdata, unsigned long cmd, void *arg);

int tdx_guest_collect(const char *path, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      TeeEvidence **ret, TeeError *err);
int tdx_guest_collect_with(TdxGuestIoctl fn, void *userdata, const char *where,
                           const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                           TeeEvidence **ret, TeeError *err);
