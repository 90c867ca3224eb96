/* Trustee's "tdx" evidence (deps/verifier/src/tdx/mod.rs at 78962cd, and
 * guest components' TDX attester):
 *   {"cc_eventlog": base64(CCEL) | null, "quote": base64(DCAP quote)}
 * base64 is the standard alphabet with padding. Trustee treats an empty
 * cc_eventlog like a null one. Older guest components also sent
 * "aa_eventlog" (the attestation agent's own log); Trustee at 78962cd no
 * longer reads it, nor do we: like any member we do not know, it is
 * ignored. */

#include <errno.h>

#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "kbs-evidence-internal.h"

int kbs_evidence_tdx_from_json(KbsEvidence *e, json_object *j, const char *path,
                               KbsProtoError *err) {
        KbsBlob quote = {}, ccel = {};
        int r;

        /* Trustee: "TDX Quote is empty." */
        r = kbs_ev_bytes_member(j, path, "quote", KBS_EV_BASE64, true, 1, KBS_EVIDENCE_MAX_BLOB,
                                &quote, err);
        if (r < 0)
                return r;
        r = kbs_ev_bytes_member(j, path, "cc_eventlog", KBS_EV_BASE64, false, 0,
                                KBS_EVIDENCE_MAX_EVENTLOG, &ccel, err);
        if (r < 0) {
                kbs_blob_clear(&quote);
                return r;
        }
        if (ccel.size == 0)
                kbs_blob_clear(&ccel);
        kbs_blob_clear(&e->report);
        kbs_blob_clear(&e->ccel);
        e->report = quote;
        e->ccel = ccel;
        return 0;
}

int kbs_evidence_tdx_to_json(const KbsEvidence *e, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if (!e->report.data || e->report.size == 0)
                return log_debug_errno(EINVAL, "TDX evidence without a quote");
        if (e->ccel.data && e->ccel.size > 0)
                r = kbs_ev_add_bytes(o, "cc_eventlog", e->ccel.data, e->ccel.size, KBS_EV_BASE64);
        else
                r = json_object_object_add(o, "cc_eventlog", NULL) < 0 ? -ENOMEM : 0;
        if (r < 0 ||
            kbs_ev_add_bytes(o, "quote", e->report.data, e->report.size, KBS_EV_BASE64) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
