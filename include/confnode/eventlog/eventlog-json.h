#pragma once

/* Event logs as JSON for `confnode inspect`: field names of the TCG PC Client
 * spec in lower snake case, byte fields as lower-case hex.
 *
 * TCG: {"format": "crypto-agile"|"sha1", "banks": [...], "spec_id": {...},
 *       "startup_locality": N, "events": [{"offset", "pcr", "type",
 *       "type_name", "digests": {bank: hex}, "data"}], "pcrs": {bank: {"N": hex}}}
 *       where "pcrs" has every PCR the log extends, per bank it can replay.
 * CCEL: {"format": "ccel", "banks", "events": [{"offset", "index", "register",
 *       "type", "type_name", "digests", "data"}], "rtmr0".."rtmr3" (the first
 *       bank), "rtmrs": {bank: {"rtmr0".."rtmr3"}}}.
 * Both return -EBADMSG with err filled in on a malformed log, -ENOMEM, -EIO. */

#include <stddef.h>
#include <stdint.h>

typedef struct json_object json_object;
typedef struct ParseError ParseError;

int eventlog_inspect_tcg(const uint8_t *data, size_t size, json_object **ret, ParseError *err);
int eventlog_inspect_ccel(const uint8_t *data, size_t size, json_object **ret, ParseError *err);
