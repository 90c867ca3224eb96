#pragma once

/* A TDREPORT as JSON, with the names a TDX quote uses for the same values
 * (tee_tcb_svn, mrseam, mrsignerseam, seam_attributes, td_attributes,
 * xfam, mrtd, mrconfigid, mrowner, mrownerconfig, rtmr0…rtmr3,
 * report_data), so a policy reads both alike; plus the REPORTMACSTRUCT
 * fields (report_type, cpu_svn, tee_tcb_info_hash, tee_info_hash, mac) and
 * the TDX 1.5 ones (tee_tcb_svn2, servtd_hash). Byte fields are lower-case
 * hex. */

#include <json-c/json.h>

#include "confnode/evidence/tdx-report.h"

/* Adds the fields to obj. -ENOMEM only. */
int tdx_report_json_add(const TdxReport *rep, json_object *obj);
