/* A TDREPORT as JSON: the TD's values under the names a TDX quote gives
 * them, then what only the report has. */

#include "confnode/evidence/tdx-report-json.h"

#include <errno.h>

#include "confnode/basic/json-util.h"

int tdx_report_json_add(const TdxReport *t, json_object *obj) {
        _cleanup_(json_object_putp) json_object *type = json_object_new_object();
        int r;

        if (!type)
                return -ENOMEM;
        if ((r = json_add_u64(type, "type", t->type)) < 0 ||
            (r = json_add_u64(type, "subtype", t->subtype)) < 0 ||
            (r = json_add_u64(type, "version", t->version)) < 0)
                return r;
        if (json_object_object_add(obj, "report_type", type) < 0)
                return -ENOMEM;
        type = NULL;
        if ((r = json_add_hex(obj, "cpu_svn", t->cpu_svn, sizeof(t->cpu_svn))) < 0 ||
            (r = json_add_hex(obj, "tee_tcb_info_valid", t->tee_tcb_info_valid,
                              sizeof(t->tee_tcb_info_valid))) < 0 ||
            (r = json_add_hex(obj, "tee_tcb_svn", t->tee_tcb_svn, sizeof(t->tee_tcb_svn))) < 0 ||
            (r = json_add_hex(obj, "mrseam", t->mrseam, sizeof(t->mrseam))) < 0 ||
            (r = json_add_hex(obj, "mrsignerseam", t->mrsignerseam, sizeof(t->mrsignerseam))) < 0 ||
            (r = json_add_hex(obj, "seam_attributes", t->seam_attributes,
                              sizeof(t->seam_attributes))) < 0 ||
            (r = json_add_hex(obj, "tee_tcb_svn2", t->tee_tcb_svn2, sizeof(t->tee_tcb_svn2))) < 0 ||
            (r = json_add_hex(obj, "td_attributes", t->td_attributes, sizeof(t->td_attributes))) <
                    0 ||
            (r = json_add_hex(obj, "xfam", t->xfam, sizeof(t->xfam))) < 0 ||
            (r = json_add_hex(obj, "mrtd", t->mrtd, sizeof(t->mrtd))) < 0 ||
            (r = json_add_hex(obj, "mrconfigid", t->mrconfigid, sizeof(t->mrconfigid))) < 0 ||
            (r = json_add_hex(obj, "mrowner", t->mrowner, sizeof(t->mrowner))) < 0 ||
            (r = json_add_hex(obj, "mrownerconfig", t->mrownerconfig, sizeof(t->mrownerconfig))) <
                    0 ||
            (r = json_add_hex(obj, "rtmr0", t->rtmr[0], sizeof(t->rtmr[0]))) < 0 ||
            (r = json_add_hex(obj, "rtmr1", t->rtmr[1], sizeof(t->rtmr[1]))) < 0 ||
            (r = json_add_hex(obj, "rtmr2", t->rtmr[2], sizeof(t->rtmr[2]))) < 0 ||
            (r = json_add_hex(obj, "rtmr3", t->rtmr[3], sizeof(t->rtmr[3]))) < 0 ||
            (r = json_add_hex(obj, "servtd_hash", t->servtd_hash, sizeof(t->servtd_hash))) < 0 ||
            (r = json_add_hex(obj, "report_data", t->report_data, sizeof(t->report_data))) < 0 ||
            (r = json_add_hex(obj, "tee_tcb_info_hash", t->tee_tcb_info_hash,
                              sizeof(t->tee_tcb_info_hash))) < 0 ||
            (r = json_add_hex(obj, "tee_info_hash", t->tee_info_hash, sizeof(t->tee_info_hash))) <
                    0 ||
            (r = json_add_hex(obj, "mac", t->mac, sizeof(t->mac))) < 0)
                return r;
        return 0;
}
