/* libFuzzer target for the event log parser: both flavors, the replay of
 * every bank and the JSON of `confnode inspect`, on the same bytes. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/reader.h"
#include "confnode/eventlog/eventlog-json.h"
#include "confnode/eventlog/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_eventlog_one(const uint8_t *data, size_t size, EventLogFlavor flavor) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        ParseError err;
        char buf[256];

        if (eventlog_parse(data, size, flavor, &err, &log) < 0) {
                /* The message is built from the input; format it so a bad
                 * offset or field pointer would show. */
                (void) parse_error_string(&err, buf, sizeof(buf));
                return;
        }
        for (size_t b = 0; b < log->n_banks; b++) {
                EventLogBankValues v;

                (void) eventlog_replay(log, log->banks[b], &v);
        }
        for (size_t i = 0; i < log->n_events; i++)
                (void) eventlog_type_name(log->events[i].type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *tcg = NULL, *ccel = NULL;
        ParseError err;

        fuzz_eventlog_one(data, size, EVENTLOG_TCG);
        fuzz_eventlog_one(data, size, EVENTLOG_CCEL);
        if (eventlog_inspect_tcg(data, size, &tcg, &err) >= 0)
                (void) json_object_to_json_string(tcg);
        if (eventlog_inspect_ccel(data, size, &ccel, &err) >= 0)
                (void) json_object_to_json_string(ccel);
        return 0;
}
