#include "confnode/eventlog/eventlog-json.h"

#include <errno.h>
#include <stdio.h>

#include <json-c/json.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/reader.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/tpm/pcr-selection.h"

#define EVENTLOG_JSON_NAME_MAX 16

/* Adds v under key and takes it over, also on failure, so callers can chain
 * calls without leaking. A NULL v is JSON null. */
static int eventlog_json_add(json_object *obj, const char *key, json_object *v) {
        if (json_object_object_add(obj, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int eventlog_json_append(json_object *arr, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(arr, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* The tpm2-tools bank name ("sha256"), or the algorithm id in hex for banks
 * the Spec ID event announced but we have no name for. */
static const char *eventlog_json_bank_name(uint16_t alg, char buf[static EVENTLOG_JSON_NAME_MAX]) {
        const char *name = tpm_alg_hash_name(alg);

        if (name)
                return name;
        snprintf(buf, EVENTLOG_JSON_NAME_MAX, "0x%04x", alg);
        return buf;
}

static const char *eventlog_json_register_name(uint32_t index,
                                               char buf[static EVENTLOG_JSON_NAME_MAX]) {
        if (index == 0)
                return "mrtd";
        snprintf(buf, EVENTLOG_JSON_NAME_MAX, "rtmr%u", (unsigned) (index - 1));
        return buf;
}

static int eventlog_json_banks(const EventLog *log, json_object *out) {
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (size_t b = 0; b < log->n_banks; b++) {
                char buf[EVENTLOG_JSON_NAME_MAX];
                int r = eventlog_json_append(
                        arr, json_object_new_string(eventlog_json_bank_name(log->banks[b], buf)));
                if (r < 0)
                        return r;
        }
        return eventlog_json_add(out, "banks", TAKE_PTR(arr));
}

static int eventlog_json_spec_id(const EventLog *log, json_object *out) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const EventLogSpecId *s = &log->spec_id;
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_u64(o, "platform_class", s->platform_class);
        if (r >= 0)
                r = json_add_u64(o, "spec_version_major", s->spec_version_major);
        if (r >= 0)
                r = json_add_u64(o, "spec_version_minor", s->spec_version_minor);
        if (r >= 0)
                r = json_add_u64(o, "spec_errata", s->spec_errata);
        if (r >= 0)
                r = json_add_u64(o, "uintn_size", s->uintn_size);
        if (r < 0)
                return r;
        return eventlog_json_add(out, "spec_id", TAKE_PTR(o));
}

static int eventlog_json_event(const EventLog *log, const EventLogEvent *ev, json_object *events) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *digests = json_object_new_object();
        const char *type_name = eventlog_type_name(ev->type);
        char buf[EVENTLOG_JSON_NAME_MAX];
        json_object *name = NULL;
        int r;

        if (!o || !digests)
                return -ENOMEM;
        r = json_add_u64(o, "offset", ev->offset);
        if (r < 0)
                return r;
        if (log->flavor == EVENTLOG_CCEL) {
                r = json_add_u64(o, "index", ev->index);
                if (r >= 0)
                        r = json_add_string(o, "register",
                                            eventlog_json_register_name(ev->index, buf));
        } else {
                r = json_add_u64(o, "pcr", ev->index);
        }
        if (r >= 0)
                r = json_add_u64(o, "type", ev->type);
        if (r < 0)
                return r;
        /* An unknown type is JSON null, not a made-up name. */
        if (type_name) {
                name = json_object_new_string(type_name);
                if (!name)
                        return -ENOMEM;
        }
        r = eventlog_json_add(o, "type_name", name);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ev->n_digests; i++) {
                r = json_add_hex(digests, eventlog_json_bank_name(ev->digests[i].alg, buf),
                                 ev->digests[i].value, ev->digests[i].size);
                if (r < 0)
                        return r;
        }
        r = eventlog_json_add(o, "digests", TAKE_PTR(digests));
        if (r >= 0)
                r = json_add_hex(o, "data", ev->data, ev->data_size);
        if (r < 0)
                return r;
        return eventlog_json_append(events, TAKE_PTR(o));
}

static int eventlog_json_events(const EventLog *log, json_object *out) {
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < log->n_events; i++) {
                int r = eventlog_json_event(log, &log->events[i], arr);
                if (r < 0)
                        return r;
        }
        return eventlog_json_add(out, "events", TAKE_PTR(arr));
}

/* Replays one bank. A bank we cannot replay (no hash for it, or an event
 * without its digest) is left out of the output rather than failing the
 * whole decode: the events are still worth showing. */
static int eventlog_json_replay(const EventLog *log, uint16_t alg, EventLogBankValues *v) {
        int r = eventlog_replay(log, alg, v);

        if (r == -ENOMEM || r == -EIO)
                return r;
        return r < 0 ? 0 : 1;
}

static int eventlog_json_pcrs(const EventLog *log, json_object *out) {
        _cleanup_(json_object_putp) json_object *pcrs = json_object_new_object();

        if (!pcrs)
                return -ENOMEM;
        for (size_t b = 0; b < log->n_banks; b++) {
                _cleanup_(json_object_putp) json_object *bank = NULL;
                char buf[EVENTLOG_JSON_NAME_MAX];
                EventLogBankValues v;
                int r;

                r = eventlog_json_replay(log, log->banks[b], &v);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                bank = json_object_new_object();
                if (!bank)
                        return -ENOMEM;
                for (unsigned i = 0; i < EVENTLOG_MAX_PCRS; i++) {
                        char key[4];

                        if (!(v.used & (UINT32_C(1) << i)))
                                continue;
                        snprintf(key, sizeof(key), "%u", i);
                        r = json_add_hex(bank, key, v.value[i], v.size);
                        if (r < 0)
                                return r;
                }
                r = eventlog_json_add(pcrs, eventlog_json_bank_name(log->banks[b], buf),
                                      TAKE_PTR(bank));
                if (r < 0)
                        return r;
        }
        return eventlog_json_add(out, "pcrs", TAKE_PTR(pcrs));
}

/* RTMR n is CC MR n + 1; MRTD (CC MR 0) is measured by the TDX module when
 * the TD is built, not extended from the log, so it has no replayed value. */
static int eventlog_json_rtmr_values(const EventLogBankValues *v, json_object *obj) {
        for (unsigned n = 0; n + 1 < EVENTLOG_MAX_CC_MRS; n++) {
                char key[EVENTLOG_JSON_NAME_MAX];
                int r;

                snprintf(key, sizeof(key), "rtmr%u", n);
                r = json_add_hex(obj, key, v->value[n + 1], v->size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int eventlog_json_rtmrs(const EventLog *log, json_object *out) {
        _cleanup_(json_object_putp) json_object *rtmrs = json_object_new_object();
        bool top = false;

        if (!rtmrs)
                return -ENOMEM;
        for (size_t b = 0; b < log->n_banks; b++) {
                _cleanup_(json_object_putp) json_object *bank = NULL;
                char buf[EVENTLOG_JSON_NAME_MAX];
                EventLogBankValues v;
                int r;

                r = eventlog_json_replay(log, log->banks[b], &v);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The top-level rtmr0..3 come from the first bank that
                 * replays: a CCEL has one bank (SHA-384, or SM3 on CSV). */
                if (!top) {
                        r = eventlog_json_rtmr_values(&v, out);
                        if (r < 0)
                                return r;
                        top = true;
                }
                bank = json_object_new_object();
                if (!bank)
                        return -ENOMEM;
                r = eventlog_json_rtmr_values(&v, bank);
                if (r >= 0)
                        r = eventlog_json_add(rtmrs, eventlog_json_bank_name(log->banks[b], buf),
                                              TAKE_PTR(bank));
                if (r < 0)
                        return r;
        }
        return eventlog_json_add(out, "rtmrs", TAKE_PTR(rtmrs));
}

static int eventlog_json_inspect(const uint8_t *data, size_t size, EventLogFlavor flavor,
                                 json_object **ret, ParseError *err) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_(json_object_putp) json_object *out = NULL;
        int r;

        r = eventlog_parse(data, size, flavor, err, &log);
        if (r < 0)
                return r;
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        if (flavor == EVENTLOG_CCEL)
                r = json_add_string(out, "format", "ccel");
        else
                r = json_add_string(out, "format", log->crypto_agile ? "crypto-agile" : "sha1");
        if (r >= 0)
                r = eventlog_json_banks(log, out);
        if (r >= 0 && log->crypto_agile)
                r = eventlog_json_spec_id(log, out);
        if (r >= 0 && log->has_locality)
                r = json_add_u64(out, "startup_locality", log->startup_locality);
        if (r >= 0)
                r = eventlog_json_events(log, out);
        if (r >= 0)
                r = flavor == EVENTLOG_CCEL ? eventlog_json_rtmrs(log, out)
                                            : eventlog_json_pcrs(log, out);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int eventlog_inspect_tcg(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        return eventlog_json_inspect(data, size, EVENTLOG_TCG, ret, err);
}

int eventlog_inspect_ccel(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        return eventlog_json_inspect(data, size, EVENTLOG_CCEL, ret, err);
}
