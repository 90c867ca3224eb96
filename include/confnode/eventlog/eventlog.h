#pragma once

/* TCG PC Client measured-boot event logs: the crypto-agile format (a SHA-1
 * format first event carrying the "Spec ID Event03" header, then
 * TCG_PCR_EVENT2 records with one digest per announced bank), the legacy
 * SHA-1-only format, and the TDX CC event log (CCEL), which is crypto-agile
 * with SHA-384 and whose index is a CC measurement register (1..4 = RTMR0..3).
 * Parsed through the bounds-checked Reader; never trusts a count or size
 * before checking it against what is left. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/reader.h"

#define EVENTLOG_MAX_BANKS 8
#define EVENTLOG_MAX_DIGEST 64
#define EVENTLOG_MAX_PCRS 24
/* CC measurement registers a CCEL may name: MRTD and RTMR0..3. */
#define EVENTLOG_MAX_CC_MRS 5

/* The event types the parser and the replay act on (TCG PC Client PFP). */
#define EVENTLOG_EV_NO_ACTION UINT32_C(0x00000003)
#define EVENTLOG_EV_EFI_HCRTM_EVENT UINT32_C(0x80000010)

typedef enum EventLogFlavor {
        EVENTLOG_TCG,  /* index = TPM PCR */
        EVENTLOG_CCEL, /* index = CC MR: 0 = MRTD, 1..4 = RTMR0..3 */
} EventLogFlavor;

typedef struct EventLogDigest {
        uint16_t alg; /* TPM2_ALG_ID */
        uint8_t size;
        uint8_t value[EVENTLOG_MAX_DIGEST];
} EventLogDigest;

typedef struct EventLogEvent {
        size_t offset;  /* byte offset of the event in the log */
        uint32_t index; /* PCR index (TCG) or CC MR index (CCEL) */
        uint32_t type;
        EventLogDigest digests[EVENTLOG_MAX_BANKS];
        size_t n_digests;
        uint8_t *data; /* copy of the event data */
        size_t data_size;
} EventLogEvent;

/* The fixed part of TCG_EfiSpecIdEvent; the vendor info stays in the data of
 * events[0]. */
typedef struct EventLogSpecId {
        uint32_t platform_class;
        uint8_t spec_version_minor;
        uint8_t spec_version_major;
        uint8_t spec_errata;
        uint8_t uintn_size;
} EventLogSpecId;

typedef struct EventLog {
        EventLogFlavor flavor;
        bool crypto_agile;      /* false: legacy SHA-1 log without Spec ID event */
        EventLogSpecId spec_id; /* only when crypto_agile */
        /* Announced by the Spec ID event; a legacy log has the one SHA-1 bank. */
        uint16_t banks[EVENTLOG_MAX_BANKS];
        uint8_t bank_sizes[EVENTLOG_MAX_BANKS];
        size_t n_banks;
        bool has_locality; /* a StartupLocality EV_NO_ACTION event was seen */
        uint8_t startup_locality;
        EventLogEvent *events; /* every event, the Spec ID header included */
        size_t n_events;
        size_t size; /* bytes used by events; padding after them is not counted */
} EventLog;

/* Parses a log. Trailing padding (bytes 0x00 and 0xFF up to the end, as CCEL
 * areas and some firmware buffers have) ends the log. -EBADMSG with err
 * filled in (offset and field) on malformed input, -ENOMEM, -EINVAL on a bad
 * flavor. */
int eventlog_parse(const uint8_t *data, size_t size, EventLogFlavor flavor, ParseError *err,
                   EventLog **ret);
void eventlog_free(EventLog *log);
DEFINE_CLEANUP(EventLog, eventlog_free)

/* The number of registers a flavor's index may name (24 PCRs, or 5 CC MRs). */
size_t eventlog_max_index(EventLogFlavor flavor);

/* The replayed value of every register in one bank. */
typedef struct EventLogBankValues {
        uint16_t alg;
        uint8_t size;
        uint32_t used; /* bit i: register i was extended at least once */
        uint8_t value[EVENTLOG_MAX_PCRS][EVENTLOG_MAX_DIGEST];
} EventLogBankValues;

/* Replays the log for one bank: registers start at zero (PCR 0 at
 * 0…0<locality> when a StartupLocality event is present, 0…04 when its first
 * event is an EV_EFI_HCRTM_EVENT; in TCG logs PCRs 17-22 hold all ones unless
 * the log extends them, which only a dynamic launch that zeroes them allows),
 * EV_NO_ACTION is never extended, new = H(old || digest).
 * For a CCEL, value[i] is CC MR i, so RTMR n is value[n + 1]. -ENOENT if the
 * log has no bank for alg, -ENODATA if an extended event lacks that bank's
 * digest, -EOPNOTSUPP if we have no hash for alg, -ENOMEM, -EIO if OpenSSL
 * fails to hash. */
int eventlog_replay(const EventLog *log, uint16_t alg, EventLogBankValues *ret);

/* The spec name of an event type ("EV_EFI_VARIABLE_BOOT"), or NULL. */
const char *eventlog_type_name(uint32_t type);
