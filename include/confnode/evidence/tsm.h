#pragma once

/* configfs-tsm (Documentation/ABI/testing/configfs-tsm): a report is an
 * entry directory made under the report directory, with inblob (up to 64
 * bytes written), outblob (the provider's report of them), auxblob (the
 * SEV-SNP certificate table), provider, generation (counts the writes),
 * privlevel and privlevel_floor. The entry is ours alone while it exists,
 * but anyone may write to it; generation tells whether someone did. */

#include <stdint.h>

#include "confnode/evidence/tee-evidence.h"

/* Attempts before giving up on an entry whose generation keeps moving. */
#define TSM_ATTEMPTS 3

/* The provider ("sev_guest", "tdx_guest", …) of the report directory, by
 * making an entry, reading its provider and removing it. -ENOENT when
 * report_dir does not exist, -ENXIO when no provider is registered. */
int tsm_provider(const char *report_dir, char *ret, size_t size, TeeError *err);

/* A report for report_data through an entry of report_dir, removed after.
 * Checks that the provider is one we know, that generation moved only by
 * our own writes (else tries again in a fresh entry, TSM_ATTEMPTS times,
 * then -EBUSY), and that the report parses and carries report_data. */
int tsm_collect(const char *report_dir, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                TeeEvidence **ret, TeeError *err);
