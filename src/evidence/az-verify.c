/* The Azure HCL report's runtime-data binding, and the match of a TDX HCL
 * report to the TD quote that vouches for it. */

#include "confnode/evidence/az-verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confnode/basic/hex.h"
#include "tdx-openssl-internal.h"

static int az_verify_reject(AzVerdict *v, int r, const char *reason, const char *fmt, ...)
        _printf_(4, 5);
static int az_verify_reject(AzVerdict *v, int r, const char *reason, const char *fmt, ...) {
        va_list ap;

        v->reason = reason;
        va_start(ap, fmt);
        vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
        va_end(ap);
        return r;
}

int az_verify_binding(const AzHclReport *rep, const uint8_t *report_data, EVP_PKEY **ret_ak,
                      AzVerdict *v) {
        size_t n = az_hcl_hash_size(rep->hash_type);
        char want[2 * 64 + 1], got[2 * 64 + 1];
        const char *hash = az_hcl_hash_type_to_string(rep->hash_type);
        int r;

        v->reason = NULL;
        if (n == 0)
                return az_verify_reject(v, -EOPNOTSUPP, "az.unsupported",
                                        "The runtime data is hashed with hash type %u, which is "
                                        "not SHA-256, SHA-384 or SHA-512",
                                        rep->hash_type);
        r = tdx_openssl_digest(n, rep->runtime_data, rep->runtime_data_size, v->runtime_data_hash);
        if (r < 0)
                return r;
        v->hash_size = n;
        v->binding_checked = true;
        if (!report_data)
                report_data = az_hcl_report_data(rep);
        if (memcmp(report_data, v->runtime_data_hash, n) != 0) {
                hex_encode_to(v->runtime_data_hash, n, want);
                hex_encode_to(report_data, n, got);
                return az_verify_reject(v, -EKEYREJECTED, "az.runtime_data_binding",
                                        "report_data begins with %s, not the %s of the runtime "
                                        "data (%s): the runtime data and its keys are not the "
                                        "ones the TEE report vouches for",
                                        got, hash, want);
        }
        if (!rep->ak)
                return az_verify_reject(v, -ENOKEY, "az.ak_missing",
                                        "The runtime data is bound to the TEE report but holds "
                                        "no HCLAkPub key");
        if (!EVP_PKEY_up_ref(rep->ak))
                return -ENOMEM;
        *ret_ak = rep->ak;
        snprintf(v->detail, sizeof(v->detail),
                 "report_data begins with the %s of the runtime data, which holds the "
                 "attestation key HCLAkPub",
                 hash);
        return 0;
}

int az_verify_td_quote(const AzHclReport *rep, const TdxQuote *q, AzVerdict *v) {
        const TdxReport *t = &rep->tdx;
        const TdxReportBody *b = &q->td;
        const struct {
                const char *name;
                const void *report, *quote;
                size_t size;
        } fields[] = {
                {"report_data", t->report_data, b->report_data, sizeof(b->report_data)},
                {"mrtd", t->mrtd, b->mrtd, sizeof(b->mrtd)},
                {"rtmr0", t->rtmr[0], b->rtmr[0], sizeof(b->rtmr[0])},
                {"rtmr1", t->rtmr[1], b->rtmr[1], sizeof(b->rtmr[1])},
                {"rtmr2", t->rtmr[2], b->rtmr[2], sizeof(b->rtmr[2])},
                {"rtmr3", t->rtmr[3], b->rtmr[3], sizeof(b->rtmr[3])},
                {"td_attributes", t->td_attributes, b->td_attributes, sizeof(b->td_attributes)},
                {"xfam", t->xfam, b->xfam, sizeof(b->xfam)},
                {"mrconfigid", t->mrconfigid, b->mrconfigid, sizeof(b->mrconfigid)},
                {"mrowner", t->mrowner, b->mrowner, sizeof(b->mrowner)},
                {"mrownerconfig", t->mrownerconfig, b->mrownerconfig, sizeof(b->mrownerconfig)},
                {"tee_tcb_svn", t->tee_tcb_svn, b->tee_tcb_svn, sizeof(b->tee_tcb_svn)},
                {"mrseam", t->mrseam, b->mrseam, sizeof(b->mrseam)},
                {"mrsignerseam", t->mrsignerseam, b->mrsignerseam, sizeof(b->mrsignerseam)},
                {"seam_attributes", t->seam_attributes, b->seam_attributes,
                 sizeof(b->seam_attributes)},
        };

        if (rep->report_type != AZ_HCL_REPORT_TDX || q->body_type == TDX_QUOTE_BODY_SGX)
                return -EINVAL;
        v->reason = NULL;
        v->td_quote_checked = true;
        /* A quote is made from a TDREPORT by copying its values: any
         * difference means another report, of another TD or another
         * moment. */
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (memcmp(fields[i].report, fields[i].quote, fields[i].size) != 0)
                        return az_verify_reject(v, -EXDEV, "az.td_quote_mismatch",
                                                "The TD quote's %s differs from the TD report's "
                                                "in the HCL report: the quote was not made from "
                                                "this report",
                                                fields[i].name);
        if (q->body_type == TDX_QUOTE_BODY_TD15 &&
            (memcmp(t->tee_tcb_svn2, b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2)) != 0 ||
             memcmp(t->servtd_hash, b->mrservicetd, sizeof(b->mrservicetd)) != 0))
                return az_verify_reject(v, -EXDEV, "az.td_quote_mismatch",
                                        "The TD quote's tee_tcb_svn2 or mrservicetd differs "
                                        "from the TD report's in the HCL report: the quote was "
                                        "not made from this report");
        snprintf(v->detail, sizeof(v->detail),
                 "The TD quote was made from the TD report in the HCL report");
        return 0;
}
