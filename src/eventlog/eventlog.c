#include "confnode/eventlog/eventlog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/tpm/pcr-selection.h"

/* TCG PC Client Platform Firmware Profile, "Event Logging": the first event of
 * every log is a TCG_PCClientPCREvent (SHA-1 format). In a crypto-agile log
 * its data is a TCG_EfiSpecIdEvent whose 16-byte signature is
 * "Spec ID Event03" with its NUL; the same signature with 00 or 02 belongs to
 * the older SHA-1 logs, which stay in the legacy format. */
#define EVENTLOG_SIGNATURE_SIZE 16
static const char eventlog_spec_id_signature[EVENTLOG_SIGNATURE_SIZE] = "Spec ID Event03";
static const char eventlog_startup_locality_signature[EVENTLOG_SIGNATURE_SIZE] = "StartupLocality";

#define EVENTLOG_SHA1_ALG 0x0004
#define EVENTLOG_SHA1_SIZE 20

size_t eventlog_max_index(EventLogFlavor flavor) {
        return flavor == EVENTLOG_CCEL ? EVENTLOG_MAX_CC_MRS : EVENTLOG_MAX_PCRS;
}

void eventlog_free(EventLog *log) {
        if (!log)
                return;
        for (size_t i = 0; i < log->n_events; i++)
                free(log->events[i].data);
        free(log->events);
        free(log);
}

/* Where the trailing padding begins: the longest suffix made only of 0x00 and
 * 0xFF bytes. CCEL areas are reserved at a fixed size and filled with 0xFF
 * (or zero) behind the last event, and some firmware hands over its whole
 * zeroed buffer. An event starting inside that suffix would be made of
 * nothing but those bytes: an index of 0 or out of range, no data, and
 * digests of algorithm 0x0000 or 0xffff (or, in a legacy log, an
 * EV_PREBOOT_CERT with an all-zero digest). No firmware logs such a thing, so
 * stopping there loses nothing. Computed once, so a long run of padding costs
 * one pass however many events come before it. */
static size_t eventlog_padding_start(const uint8_t *data, size_t size) {
        size_t i = size;

        while (i > 0 && (data[i - 1] == 0x00 || data[i - 1] == 0xff))
                i--;
        return i;
}

/* The events array grows by doubling; each event takes at least 19 bytes of
 * input, so its length is bounded by what the caller handed us. */
static int eventlog_new_event(EventLog *log, size_t offset, EventLogEvent **ret) {
        static const size_t first = 64;

        if ((log->n_events & (log->n_events - 1)) == 0 && log->n_events >= first) {
                EventLogEvent *e = reallocarray(log->events, log->n_events * 2, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                log->events = e;
        } else if (!log->events) {
                log->events = calloc(first, sizeof(*log->events));
                if (!log->events)
                        return -ENOMEM;
        }
        log->events[log->n_events] = (EventLogEvent){ .offset = offset };
        *ret = &log->events[log->n_events++];
        return 0;
}

static int eventlog_read_index(EventLog *log, Reader *rd, uint32_t *ret) {
        Reader at = *rd;
        uint32_t index;
        int r;

        r = reader_field(rd, reader_u32le(rd, &index), "pcr_index");
        if (r < 0)
                return r;
        if (index >= eventlog_max_index(log->flavor))
                return reader_fail(&at, "pcr_index", "%s %" PRIu32 " out of range (0-%zu)",
                                   log->flavor == EVENTLOG_CCEL ? "CC MR index" : "PCR index",
                                   index, eventlog_max_index(log->flavor) - 1);
        *ret = index;
        return 0;
}

/* The event data: its size is checked against what is left before the copy
 * is allocated. */
static int eventlog_read_data(Reader *rd, EventLogEvent *ev) {
        const uint8_t *p;
        uint32_t size;
        int r;

        r = reader_field(rd, reader_u32le(rd, &size), "event_size");
        if (r < 0)
                return r;
        r = reader_field(rd, reader_bytes(rd, size, &p), "event");
        if (r < 0)
                return r;
        if (size == 0)
                return 0;
        ev->data = malloc(size);
        if (!ev->data)
                return -ENOMEM;
        memcpy(ev->data, p, size);
        ev->data_size = size;
        return 0;
}

/* A StartupLocality EV_NO_ACTION event (PFP, TCG_EfiStartupLocalityEvent)
 * says from which locality TPM2_Startup ran, and so the value PCR 0 held
 * before the first extend. The spec logs it to PCR 0; only the first one
 * counts. */
static void eventlog_note_locality(EventLog *log, const EventLogEvent *ev) {
        if (ev->type != EVENTLOG_EV_NO_ACTION || ev->index != 0 || log->has_locality)
                return;
        if (ev->data_size < EVENTLOG_SIGNATURE_SIZE + 1 ||
            memcmp(ev->data, eventlog_startup_locality_signature, EVENTLOG_SIGNATURE_SIZE) != 0)
                return;
        log->has_locality = true;
        log->startup_locality = ev->data[EVENTLOG_SIGNATURE_SIZE];
}

/* TCG_EfiSpecIdEvent: signature, platform class, spec version, uintn size,
 * then numberOfAlgorithms (algorithmId, digestSize) pairs and the vendor
 * info. The pairs are what lets us walk TCG_PCR_EVENT2 digests, including
 * those of algorithms we cannot hash ourselves. */
static int eventlog_parse_spec_id(EventLog *log, Reader *rd, size_t *ret_vendor_after) {
        EventLogSpecId *s = &log->spec_id;
        uint32_t n_algs;
        uint8_t vendor_size;
        Reader at;
        int r;

        r = reader_skip(rd, EVENTLOG_SIGNATURE_SIZE);
        if (r < 0)
                return reader_field(rd, r, "spec_id.signature");
        r = reader_u32le(rd, &s->platform_class);
        if (r < 0)
                return reader_field(rd, r, "spec_id.platform_class");
        r = reader_u8(rd, &s->spec_version_minor);
        if (r >= 0)
                r = reader_u8(rd, &s->spec_version_major);
        if (r >= 0)
                r = reader_u8(rd, &s->spec_errata);
        if (r >= 0)
                r = reader_u8(rd, &s->uintn_size);
        if (r < 0)
                return reader_field(rd, r, "spec_id.spec_version");

        at = *rd;
        r = reader_u32le(rd, &n_algs);
        if (r < 0)
                return reader_field(rd, r, "spec_id.number_of_algorithms");
        if (n_algs == 0 || n_algs > EVENTLOG_MAX_BANKS)
                return reader_fail(&at, "spec_id.number_of_algorithms",
                                   "%" PRIu32 " algorithms (1-%d supported)", n_algs,
                                   EVENTLOG_MAX_BANKS);

        for (uint32_t i = 0; i < n_algs; i++) {
                uint16_t alg, size;
                size_t known;

                at = *rd;
                r = reader_u16le(rd, &alg);
                if (r >= 0)
                        r = reader_u16le(rd, &size);
                if (r < 0)
                        return reader_field(rd, r, "spec_id.digest_sizes");
                for (size_t j = 0; j < log->n_banks; j++)
                        if (log->banks[j] == alg)
                                return reader_fail(&at, "spec_id.digest_sizes",
                                                   "algorithm 0x%04x announced twice", alg);
                if (size == 0 || size > EVENTLOG_MAX_DIGEST)
                        return reader_fail(&at, "spec_id.digest_sizes",
                                           "digest size %u of algorithm 0x%04x out of range (1-%d)",
                                           size, alg, EVENTLOG_MAX_DIGEST);
                /* Sizes of algorithms we know must be right, or the walk would
                 * drift and a replay would hash the wrong bytes. */
                known = tpm_alg_hash_size(alg);
                if (known != 0 && known != size)
                        return reader_fail(&at, "spec_id.digest_sizes",
                                           "digest size %u for %s, expected %zu", size,
                                           tpm_alg_hash_name(alg), known);
                log->banks[log->n_banks] = alg;
                log->bank_sizes[log->n_banks] = (uint8_t) size;
                log->n_banks++;
        }

        r = reader_u8(rd, &vendor_size);
        if (r < 0)
                return reader_field(rd, r, "spec_id.vendor_info_size");
        /* Some writers count the structure without its vendor info in
         * eventDataSize and put the vendor info right behind it; tpm2-tools
         * reads the Spec ID event by its structure and accepts such logs.
         * Only that exact shape is taken (the data ends right at
         * vendorInfoSize); the caller then takes the vendor info from behind
         * the event. Any other overrun is malformed. */
        if (vendor_size > 0 && reader_eof(rd)) {
                *ret_vendor_after = vendor_size;
                return 0;
        }
        r = reader_skip(rd, vendor_size);
        if (r < 0)
                return reader_field(rd, r, "spec_id.vendor_info");
        /* Bytes after the vendor info are kept with the event data but carry
         * nothing we act on. */
        *ret_vendor_after = 0;
        return 0;
}

/* Appends the n vendor info bytes behind the Spec ID event to its data, so
 * the event keeps all of its structure and the next event starts after it. */
static int eventlog_take_vendor_info(Reader *rd, EventLogEvent *ev, size_t n) {
        const uint8_t *p;
        uint8_t *data;
        int r;

        r = reader_field(rd, reader_bytes(rd, n, &p), "spec_id.vendor_info");
        if (r < 0)
                return r;
        data = realloc(ev->data, ev->data_size + n);
        if (!data)
                return -ENOMEM;
        memcpy(data + ev->data_size, p, n);
        ev->data = data;
        ev->data_size += n;
        return 0;
}

/* The first event, always in the SHA-1 TCG_PCClientPCREvent format. It
 * decides whether the rest of the log is crypto-agile. */
static int eventlog_parse_first(EventLog *log, Reader *rd) {
        EventLogEvent *ev;
        Reader at;
        int r;

        r = eventlog_new_event(log, reader_offset(rd), &ev);
        if (r < 0)
                return r;
        r = eventlog_read_index(log, rd, &ev->index);
        if (r < 0)
                return r;
        r = reader_field(rd, reader_u32le(rd, &ev->type), "event_type");
        if (r < 0)
                return r;
        ev->n_digests = 1;
        ev->digests[0].alg = EVENTLOG_SHA1_ALG;
        ev->digests[0].size = EVENTLOG_SHA1_SIZE;
        r = reader_field(rd, reader_copy(rd, ev->digests[0].value, EVENTLOG_SHA1_SIZE), "digest");
        if (r < 0)
                return r;
        at = *rd;
        r = eventlog_read_data(rd, ev);
        if (r < 0)
                return r;

        log->crypto_agile =
                ev->type == EVENTLOG_EV_NO_ACTION && ev->data_size >= EVENTLOG_SIGNATURE_SIZE &&
                memcmp(ev->data, eventlog_spec_id_signature, EVENTLOG_SIGNATURE_SIZE) == 0;
        if (log->crypto_agile) {
                size_t vendor_after = 0;
                Reader spec;

                /* Re-read the data in place so errors name their absolute offset. */
                r = reader_skip(&at, 4);
                if (r >= 0)
                        r = reader_sub(&at, ev->data_size, &spec);
                if (r < 0)
                        return r;
                r = eventlog_parse_spec_id(log, &spec, &vendor_after);
                if (r < 0)
                        return r;
                return vendor_after > 0 ? eventlog_take_vendor_info(rd, ev, vendor_after) : 0;
        }

        if (log->flavor == EVENTLOG_CCEL)
                return reader_fail(&at, "event",
                                   "a CC event log must start with a Spec ID Event03 header");
        log->banks[0] = EVENTLOG_SHA1_ALG;
        log->bank_sizes[0] = EVENTLOG_SHA1_SIZE;
        log->n_banks = 1;
        eventlog_note_locality(log, ev);
        return 0;
}

/* A legacy TCG_PCClientPCREvent: one SHA-1 digest. */
static int eventlog_parse_event1(EventLog *log, Reader *rd) {
        EventLogEvent *ev;
        int r;

        r = eventlog_new_event(log, reader_offset(rd), &ev);
        if (r < 0)
                return r;
        r = eventlog_read_index(log, rd, &ev->index);
        if (r < 0)
                return r;
        r = reader_field(rd, reader_u32le(rd, &ev->type), "event_type");
        if (r < 0)
                return r;
        ev->n_digests = 1;
        ev->digests[0].alg = EVENTLOG_SHA1_ALG;
        ev->digests[0].size = EVENTLOG_SHA1_SIZE;
        r = reader_field(rd, reader_copy(rd, ev->digests[0].value, EVENTLOG_SHA1_SIZE), "digest");
        if (r < 0)
                return r;
        r = eventlog_read_data(rd, ev);
        if (r < 0)
                return r;
        eventlog_note_locality(log, ev);
        return 0;
}

/* TCG_PCR_EVENT2: a TPML_DIGEST_VALUES of at least one and at most as many
 * digests as the Spec ID event announced banks, each of an announced
 * algorithm and of the announced size, each bank at most once. */
static int eventlog_parse_event2(EventLog *log, Reader *rd) {
        EventLogEvent *ev;
        uint32_t count;
        Reader at;
        int r;

        r = eventlog_new_event(log, reader_offset(rd), &ev);
        if (r < 0)
                return r;
        r = eventlog_read_index(log, rd, &ev->index);
        if (r < 0)
                return r;
        r = reader_field(rd, reader_u32le(rd, &ev->type), "event_type");
        if (r < 0)
                return r;

        at = *rd;
        r = reader_field(rd, reader_u32le(rd, &count), "digests.count");
        if (r < 0)
                return r;
        /* An event without a digest could never have been extended, and the
         * zeros of an unmarked end of log would read as just that. */
        if (count == 0)
                return reader_fail(&at, "digests.count", "event without digests");
        if (count > log->n_banks)
                return reader_fail(&at, "digests.count",
                                   "%" PRIu32 " digests, but the Spec ID event announces %zu banks",
                                   count, log->n_banks);

        for (uint32_t i = 0; i < count; i++) {
                EventLogDigest *d = &ev->digests[i];
                size_t bank = log->n_banks;
                uint16_t alg;

                at = *rd;
                r = reader_field(rd, reader_u16le(rd, &alg), "digests.hash_alg");
                if (r < 0)
                        return r;
                for (size_t b = 0; b < log->n_banks; b++)
                        if (log->banks[b] == alg)
                                bank = b;
                if (bank == log->n_banks)
                        return reader_fail(&at, "digests.hash_alg",
                                           "algorithm 0x%04x is not announced by the Spec ID event",
                                           alg);
                for (uint32_t j = 0; j < i; j++)
                        if (ev->digests[j].alg == alg)
                                return reader_fail(&at, "digests.hash_alg",
                                                   "two digests for algorithm 0x%04x", alg);
                d->alg = alg;
                d->size = log->bank_sizes[bank];
                r = reader_field(rd, reader_copy(rd, d->value, d->size), "digests.digest");
                if (r < 0)
                        return r;
                ev->n_digests++;
        }

        r = eventlog_read_data(rd, ev);
        if (r < 0)
                return r;
        eventlog_note_locality(log, ev);
        return 0;
}

int eventlog_parse(const uint8_t *data, size_t size, EventLogFlavor flavor, ParseError *err,
                   EventLog **ret) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        size_t end;
        Reader rd;
        int r;

        reader_init(&rd, data, size, err);
        if (!ret || (flavor != EVENTLOG_TCG && flavor != EVENTLOG_CCEL))
                return -EINVAL;
        if (!data)
                size = 0;

        end = size > 0 ? eventlog_padding_start(data, size) : 0;
        if (end == 0)
                return reader_fail(&rd, NULL,
                                   size == 0 ? "empty event log" : "event log holds only padding");

        log = calloc(1, sizeof(*log));
        if (!log)
                return -ENOMEM;
        log->flavor = flavor;

        r = eventlog_parse_first(log, &rd);
        if (r < 0)
                return r;
        while (reader_offset(&rd) < end) {
                r = log->crypto_agile ? eventlog_parse_event2(log, &rd)
                                      : eventlog_parse_event1(log, &rd);
                if (r < 0)
                        return r;
        }
        log->size = reader_offset(&rd);

        *ret = TAKE_PTR(log);
        return 0;
}
