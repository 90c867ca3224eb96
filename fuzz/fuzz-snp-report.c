/* The SEV-SNP report parser and its JSON on arbitrary bytes, and the first
 * steps of verification (which key the report asks for) with no
 * certificates. Seeded from shared/peer-data/snp. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "confnode/basic/json-util.h"
#include "confnode/evidence/snp-json.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/snp-verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        ParseError err;
        SnpVerdict v;
        time_t at = 0;

        if (snp_report_parse(data, size, &rep, &err) >= 0) {
                SnpPolicy p;
                SnpPlatformInfo pi;

                snp_report_policy_decode(rep->policy, rep->version, &p);
                snp_report_platform_info_decode(rep->platform_info, rep->version, &pi);
                snp_report_set_tcb_layout(rep, SNP_TCB_LAYOUT_TURIN);
        }
        (void) snp_json_inspect(data, size, &j, &err);
        (void) snp_verify(data, size, NULL, NULL, &at, &v);
        return 0;
}
