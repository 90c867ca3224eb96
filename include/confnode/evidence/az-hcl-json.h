#pragma once

/* Azure HCL reports as JSON for `confnode inspect --type hcl-report`: the
 * attestation header, the hardware report (snp_report in the SNP JSON,
 * td_report in the TDREPORT JSON), the runtime-data header with the hash of
 * the runtime data, the runtime data itself as JSON, and the attestation
 * key as its JWK and as a SubjectPublicKeyInfo PEM. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"
#include "confnode/evidence/az-hcl.h"

/* -ENOMEM only. */
int az_hcl_json_from_report(const AzHclReport *rep, json_object **ret);

/* az_hcl_parse() and then the above: -EBADMSG with err filled in (an
 * unsupported version or report type included). */
int az_hcl_json_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err);
