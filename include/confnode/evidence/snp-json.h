#pragma once

/* SEV-SNP attestation reports as JSON for `confnode inspect` and for the
 * formats that embed one (Azure's HCL report). Names are the ABI's fields
 * in lower snake case; byte fields are lower-case hex of the bytes as they
 * stand in the report; policy, PLATFORM_INFO and the key-info word are
 * objects with the raw value ("0x…") and their decoded bits; TCB values are
 * objects {raw, bootloader, tee, snp, microcode, and fmc on Turin}. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"
#include "confnode/evidence/snp-report.h"

/* -ENOMEM only. */
int snp_json_from_report(const SnpReport *rep, json_object **ret);

/* snp_report_parse() and then the above: -EBADMSG with err filled in. */
int snp_json_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err);

/* One TCB_VERSION as its JSON object, with fmc in the Turin layout. */
int snp_json_tcb(const SnpTcb *tcb, SnpTcbLayout layout, json_object **ret);
