#pragma once

/* TDX and SGX quotes as JSON for `confnode inspect --type tdx-quote`: the
 * header, the report body with the names of the Intel specifications in
 * lower snake case (DESIGN.md: version, att_key_type, tee_type,
 * tee_tcb_svn, mrseam, td_attributes, xfam, mrtd, mrconfigid, mrowner,
 * mrownerconfig, rtmr0…rtmr3, report_data, …) at the top level, then the
 * signature data with the QE report and the subjects of the PCK chain.
 * Byte fields are lower-case hex. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "confnode/basic/reader.h"
#include "confnode/evidence/tdx-quote.h"

/* Adds the fields of a TD report body (the 1.5 ones too when v15) to obj. */
int tdx_quote_json_td_body(const TdxReportBody *b, bool v15, json_object *obj);
/* Adds the fields of an SGX report body to obj. */
int tdx_quote_json_sgx_body(const SgxReportBody *b, json_object *obj);

/* The whole quote. A PCK chain that does not decode is described in
 * "pck_chain_error" rather than failing: inspect shows what is there. */
int tdx_quote_to_json(const TdxQuote *q, json_object **ret);

/* Parses and converts; -EBADMSG with err filled in when the bytes are not
 * a quote this parser decodes (unsupported versions included). */
int tdx_quote_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err);
