/* TEE evidence: the names of its sources, types and formats, the error
 * sentence the collectors leave, and the checks every collector makes on
 * what an interface returned. */

#include "confnode/evidence/tee-evidence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/tdx-quote.h"
#include "confnode/evidence/tdx-report.h"

static const char *const tee_sources[_TEE_SOURCE_MAX] = {
        [TEE_SOURCE_AUTO] = "auto",
        [TEE_SOURCE_NONE] = "none",
        [TEE_SOURCE_TSM] = "tsm",
        [TEE_SOURCE_SEV_GUEST] = "sev-guest",
        [TEE_SOURCE_TDX_GUEST] = "tdx-guest",
        [TEE_SOURCE_AZURE] = "azure",
};

static const char *const tee_types[_TEE_TYPE_MAX] = {
        [TEE_TYPE_SNP] = "snp",
        [TEE_TYPE_TDX] = "tdx",
        [TEE_TYPE_AZ_SNP_VTPM] = "az-snp-vtpm",
        [TEE_TYPE_AZ_TDX_VTPM] = "az-tdx-vtpm",
};

static const char *const tee_formats[_TEE_FORMAT_MAX] = {
        [TEE_FORMAT_SNP_REPORT] = "snp-report",
        [TEE_FORMAT_TDX_QUOTE] = "tdx-quote",
        [TEE_FORMAT_TDX_REPORT] = "tdx-report",
        [TEE_FORMAT_HCL_REPORT] = "hcl-report",
};

const char *tee_source_to_string(TeeSource s) {
        if (s < 0 || s >= _TEE_SOURCE_MAX)
                return NULL;
        return tee_sources[s];
}

TeeSource tee_source_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(tee_sources); i++)
                if (strcmp(s, tee_sources[i]) == 0)
                        return (TeeSource)i;
        return _TEE_SOURCE_INVALID;
}

const char *tee_type_to_string(TeeType t) {
        if (t < 0 || t >= _TEE_TYPE_MAX)
                return NULL;
        return tee_types[t];
}

const char *tee_format_to_string(TeeFormat f) {
        if (f < 0 || f >= _TEE_FORMAT_MAX)
                return NULL;
        return tee_formats[f];
}

int tee_evidence_error(TeeError *e, int r, const char *fmt, ...) {
        va_list ap;
        size_t n;

        if (!e)
                return r;
        va_start(ap, fmt);
        vsnprintf(e->what, sizeof(e->what), fmt, ap);
        va_end(ap);
        n = strlen(e->what);
        if (r < 0 && n < sizeof(e->what))
                snprintf(e->what + n, sizeof(e->what) - n, ": %s", strerror(-r));
        return r;
}

void tee_evidence_free(TeeEvidence *e) {
        if (!e)
                return;
        free(e->report);
        free(e->certs);
        free(e);
}

int tee_evidence_new(TeeSource source, const char *where, TeeEvidence **ret) {
        TeeEvidence *e = calloc(1, sizeof(TeeEvidence));

        if (!e)
                return -ENOMEM;
        e->source = source;
        e->type = _TEE_TYPE_INVALID;
        e->format = _TEE_FORMAT_INVALID;
        snprintf(e->where, sizeof(e->where), "%s", where);
        *ret = e;
        return 0;
}

static int tee_evidence_check_certs(TeeEvidence *e, TeeError *err) {
        SnpCertTable t;
        ParseError perr;
        char what[256];
        uint8_t *trimmed;

        if (!e->certs)
                return 0;
        /* No certificates at all: an empty blob, or a host that zeroed
         * the buffer and wrote nothing into it. */
        if (e->certs_size == 0 || e->certs[0] == 0) {
                bool zero = true;

                for (size_t i = 0; i < e->certs_size && zero; i++)
                        zero = e->certs[i] == 0;
                if (zero) {
                        free(e->certs);
                        e->certs = NULL;
                        e->certs_size = 0;
                        return 0;
                }
        }
        if (snp_cert_table_parse(e->certs, e->certs_size, &t, &perr) < 0)
                return tee_evidence_error(err, -EBADMSG,
                                          "The certificate table from '%s' is malformed: %s",
                                          e->where, parse_error_string(&perr, what, sizeof(what)));
        if (t.n_entries == 0) {
                free(e->certs);
                e->certs = NULL;
                e->certs_size = 0;
                return 0;
        }
        /* Keep what the table uses, not the page padding around it. */
        trimmed = realloc(e->certs, t.used_size);
        if (trimmed)
                e->certs = trimmed;
        e->certs_size = t.used_size;
        return 0;
}

int tee_evidence_check(TeeEvidence *e, TeeError *err) {
        _cleanup_(snp_report_freep) SnpReport *snp = NULL;
        const uint8_t *got = NULL;
        ParseError perr = {};
        TdxReport tdreport;
        char what[256];
        TdxQuote quote;
        int r;

        switch (e->format) {
        case TEE_FORMAT_SNP_REPORT:
                r = snp_report_parse(e->report, e->report_size, &snp, &perr);
                if (r >= 0)
                        got = snp->report_data;
                break;
        case TEE_FORMAT_TDX_QUOTE:
                r = tdx_quote_parse(e->report, e->report_size, &quote, &perr);
                if (r >= 0 && quote.tee_type != TDX_QUOTE_TEE_TDX)
                        return tee_evidence_error(err, -EBADMSG,
                                                  "'%s' returned an SGX quote, not a TDX one",
                                                  e->where);
                if (r >= 0)
                        got = tdx_quote_report_data(&quote);
                break;
        case TEE_FORMAT_TDX_REPORT:
                r = tdx_report_parse(e->report, e->report_size, &tdreport, &perr);
                if (r >= 0)
                        got = tdreport.report_data;
                break;
        default:
                return tee_evidence_error(err, -EINVAL, "No check for evidence of format %d",
                                          e->format);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tee_evidence_error(err, -EBADMSG, "'%s' returned no %s: %s", e->where,
                                          tee_format_to_string(e->format),
                                          parse_error_string(&perr, what, sizeof(what)));
        if (memcmp(got, e->report_data, TEE_REPORT_DATA_SIZE) != 0)
                return tee_evidence_error(
                        err, -ESTALE,
                        "'%s' returned a %s whose report_data is not the one asked for", e->where,
                        tee_format_to_string(e->format));
        return tee_evidence_check_certs(e, err);
}
