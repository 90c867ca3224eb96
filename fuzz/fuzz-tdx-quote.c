/* The DCAP quote decoder on arbitrary bytes: tdx_quote_parse(), its JSON
 * (which also decodes the PCK chain PEM), the TDREPORT decoder, and the
 * verifier (chain under the Intel root at a fixed time, QE report, QE
 * binding, quote signature) with its chain cache. Seeded from the quotes
 * of shared/peer-data. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "confnode/basic/json-util.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/evidence/tdx-quote-json.h"
#include "confnode/evidence/tdx-quote.h"
#include "confnode/evidence/tdx-report.h"
#include "confnode/evidence/tdx-verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static TdxVerifier *fuzz_tdx_verifier(void) {
        static TdxVerifier *v;
        STACK_OF(X509) * roots;
        X509 *intel = NULL;

        if (v)
                return v;
        roots = sk_X509_new_null();
        if (!roots || tdx_verify_intel_root(&intel) < 0 || sk_X509_push(roots, intel) <= 0)
                abort();
        if (tdx_verify_new(roots, NULL, &v) < 0)
                abort();
        cert_load_stack_free(roots);
        return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        ParseError err;
        TdxVerdict verdict;
        TdxReport report;
        TdxQuote q;

        (void)tdx_quote_parse(data, size, &q, &err);
        (void)tdx_quote_inspect(data, size, &j, &err);
        (void)tdx_report_parse(data, size, &report, &err);
        /* 2026-02-03T01:00Z: inside the validity of every seed's chain. */
        (void)tdx_verify_quote(fuzz_tdx_verifier(), data, size, 1770080400, &verdict);
        return 0;
}
