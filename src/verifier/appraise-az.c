/* Azure confidential VMs (az-snp-vtpm, az-tdx-vtpm): the paravisor's HCL
 * report carries the hardware report, whose report_data binds the HCL
 * runtime data, which carries the vTPM's attestation key and the user
 * data the agent wrote (the session's binding). So: the hardware report's
 * signature (SNP), or the TD quote and its match to the TD report (TDX);
 * then the runtime data's binding, which vouches for the AK; then the user
 * data against the session; then the SNP or TDX rules. The vTPM quote
 * follows in appraise-tpm.c with the AK found here. */

#include "appraise-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/basic/json-util.h"
#include "confnode/evidence/az-verify.h"

static int az_claims(AppraiseCtx *c, const AzHclReport *rep) {
        json_object *o = appraise_claims_section(c, "azure"), *v;
        int r = 0;

        if (!o)
                return c->error;
        r = json_add_string(o, "report_type",
                            az_hcl_report_type_to_string(rep->report_type) ?: "?");
        if (r >= 0 && json_object_object_get_ex(rep->runtime_json, "user-data", &v) &&
            json_object_is_type(v, json_type_string))
                r = json_add_string(o, "user_data", json_object_get_string(v));
        if (r >= 0 && json_object_object_get_ex(rep->runtime_json, "vm-configuration", &v))
                r = json_add(o, "vm_configuration", json_object_get(v));
        return r < 0 ? appraise_error(c, r) : 0;
}

static void az_runtime_data(AppraiseCtx *c, const AzHclReport *rep, const uint8_t *report_data) {
        AzVerdict v = {};
        int r;

        if (!appraise_step_runs(c, "az.runtime_data", false))
                return;
        r = az_verify_binding(rep, report_data, &c->azure_ak, &v);
        if (r == -ENOMEM || (r < 0 && !v.reason))
                (void)appraise_error(c, r);
        else if (r < 0)
                appraise_fail(c, "az.runtime_data", v.reason, "%s", v.detail);
        else
                appraise_pass(c, "az.runtime_data", "%s", v.detail);
}

static int az_hex_digit(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* The agent writes the session's 64-byte report data as the HCL user data
 * (NV index 0x01400002); the paravisor copies it, as hex, into the
 * runtime data that the hardware report binds. */
static void az_user_data(AppraiseCtx *c, const AzHclReport *rep) {
        uint8_t user_data[KBS_REPORT_DATA_SIZE];
        json_object *v;
        const char *s;

        if (!appraise_step_runs(c, "binding.report_data", false))
                return;
        /* Trustee's agents before evidence version 2 left the user data
         * alone: the vTPM quote's nonce (checked in any case) is then what
         * binds the session. */
        if (c->e->az_version < 2) {
                appraise_skip(c, "binding.report_data",
                              "Azure evidence version %u carries no report_data in the HCL "
                              "user-data; the vTPM quote's nonce binds the session",
                              c->e->az_version);
                return;
        }
        if (!json_object_object_get_ex(rep->runtime_json, "user-data", &v) ||
            !json_object_is_type(v, json_type_string)) {
                appraise_fail(c, "binding.report_data", "binding.report_data",
                              "The HCL runtime data has no user-data, so nothing binds the "
                              "report to this session");
                return;
        }
        s = json_object_get_string(v);
        if (json_object_get_string_len(v) != 2 * KBS_REPORT_DATA_SIZE) {
                appraise_fail(c, "binding.report_data", "binding.report_data",
                              "The HCL user-data is %d hex digits, not the %d of the session's "
                              "binding",
                              json_object_get_string_len(v), 2 * KBS_REPORT_DATA_SIZE);
                return;
        }
        for (size_t i = 0; i < KBS_REPORT_DATA_SIZE; i++) {
                int hi = az_hex_digit(s[2 * i]), lo = az_hex_digit(s[2 * i + 1]);

                if (hi < 0 || lo < 0) {
                        appraise_fail(c, "binding.report_data", "binding.report_data",
                                      "The HCL user-data is not hex");
                        return;
                }
                user_data[i] = (uint8_t)(hi << 4 | lo);
        }
        appraise_binding(c, user_data, "The HCL user-data");
}

static int az_snp(AppraiseCtx *c, const AzHclReport *rep) {
        int r;

        r = appraise_snp_claims(c, rep->snp);
        if (r >= 0)
                r = appraise_snp_signature(c, rep->snp);
        if (r < 0)
                return r;
        az_runtime_data(c, rep, NULL);
        az_user_data(c, rep);
        return appraise_snp_rules(c, rep->snp);
}

static int az_tdx(AppraiseCtx *c, const AzHclReport *rep) {
        const KbsBlob *b = &c->e->td_quote;
        ParseError perr = {};
        AzVerdict v = {};
        TdxQuote *q;
        char buf[256];
        int r;

        if (b->size == 0) {
                appraise_fail(c, "tdx.quote", "tdx.malformed",
                              "The az-tdx-vtpm evidence carries no TD quote: the TD report in the "
                              "HCL report is not signed, only a quote made from it vouches for "
                              "it");
                return 0;
        }
        q = calloc(1, sizeof(*q));
        if (!q)
                return appraise_error(c, -ENOMEM);
        r = tdx_quote_parse(b->data, b->size, q, &perr);
        if (r < 0 || q->body_type == TDX_QUOTE_BODY_SGX) {
                appraise_fail(c, "tdx.quote", r == -EBADMSG ? "tdx.malformed" : "tdx.unsupported",
                              "The TD quote is not a TDX quote this verifier decodes%s%s",
                              r < 0 ? ": " : " (an SGX quote)",
                              r < 0 ? parse_error_string(&perr, buf, sizeof(buf)) : "");
                free(q);
                return 0;
        }
        r = appraise_tdx_claims(c, q);
        if (r >= 0)
                r = appraise_tdx_quote(c, b->data, b->size);
        if (r < 0) {
                free(q);
                return r;
        }
        if (appraise_step_runs(c, "az.td_quote", false)) {
                r = az_verify_td_quote(rep, q, &v);
                if (r < 0)
                        appraise_fail(c, "az.td_quote", v.reason ?: "az.td_quote_mismatch", "%s",
                                      v.reason ? v.detail
                                               : "The TD quote cannot be matched to the HCL "
                                                 "report");
                else
                        appraise_pass(c, "az.td_quote", "%s", v.detail);
        }
        az_runtime_data(c, rep, q->td.report_data);
        az_user_data(c, rep);
        r = appraise_tdx_rules(c, q, &c->e->ccel);
        free(q);
        return r;
}

int appraise_az(AppraiseCtx *c) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        AzHclReportType want =
                c->e->tee == KBS_TEE_AZ_SNP_VTPM ? AZ_HCL_REPORT_SNP : AZ_HCL_REPORT_TDX;
        ParseError perr = {};
        char buf[256];
        int r;

        r = az_hcl_parse(c->e->report.data, c->e->report.size, &rep, &perr);
        if (r == -ENOMEM)
                return appraise_error(c, r);
        if (r < 0) {
                appraise_fail(c, "az.hcl_report",
                              r == -EOPNOTSUPP ? "az.unsupported" : "az.malformed",
                              "The evidence's report is not an HCL report this verifier "
                              "decodes: %s",
                              parse_error_string(&perr, buf, sizeof(buf)));
                return 0;
        }
        if (rep->report_type != (uint32_t)want) {
                appraise_fail(c, "az.hcl_report", "az.malformed",
                              "The HCL report holds a %s report, but the evidence is %s",
                              az_hcl_report_type_to_string(rep->report_type) ?: "?",
                              kbs_tee_to_string(c->e->tee));
                return 0;
        }
        appraise_pass(c, "az.hcl_report", "An HCL report (version %u) with a%s report",
                      rep->version, want == AZ_HCL_REPORT_SNP ? "n SEV-SNP" : " TDX TD");
        r = az_claims(c, rep);
        if (r < 0)
                return r;
        return want == AZ_HCL_REPORT_SNP ? az_snp(c, rep) : az_tdx(c, rep);
}
