#pragma once

/* Writes a TCG PC Client crypto-agile event log (TCG PC Client Platform
 * Firmware Profile, section 10): a SHA-1 format first event carrying the
 * "Spec ID Event03" header that announces the banks, then one
 * TCG_PCR_EVENT2 per measurement with a digest for every bank. All integers
 * little-endian. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"
#include "confnode/tpm/tpm-pcr.h"

#define TCG_EV_NO_ACTION 0x00000003u
#define TCG_EV_SEPARATOR 0x00000004u
#define TCG_EV_EVENT_TAG 0x00000006u
#define TCG_EV_S_CRTM_VERSION 0x00000008u
#define TCG_EV_IPL 0x0000000du
#define TCG_EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define TCG_EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u
#define TCG_EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000au

#define TCG_LOG_MAX_BANKS 5

typedef struct TcgLogWriter {
        uint8_t *data;
        size_t size, alloc;
        uint16_t banks[TCG_LOG_MAX_BANKS];
        size_t n_banks;
} TcgLogWriter;

void tcg_log_writer_done(TcgLogWriter *w);

/* Starts the log with the Spec ID event for these banks. */
int tcg_log_writer_begin(TcgLogWriter *w, const uint16_t *banks, size_t n_banks);

/* Hashes content with every bank's algorithm (the digest a measurement
 * of content extends). */
int tcg_log_writer_digests(const TcgLogWriter *w, const void *content, size_t size, TpmDigest *ret);

/* Appends one TCG_PCR_EVENT2; digests[i] is for banks[i]. */
int tcg_log_writer_event(TcgLogWriter *w, uint32_t pcr, uint32_t type, const TpmDigest *digests,
                         const void *data, size_t data_size);
