/* Decoding of TDREPORT_STRUCT (Intel TDX Module ABI, TDG.MR.REPORT): three
 * fixed structures at fixed offsets, 256 + 239 (+ 17 reserved) + 512 bytes. */

#include "confnode/evidence/tdx-report.h"

#include <errno.h>

static int tdx_report_copy(Reader *rd, const char *field, void *dst, size_t n) {
        return reader_field(rd, reader_copy(rd, dst, n), field);
}

static int tdx_report_skip(Reader *rd, const char *field, size_t n) {
        return reader_field(rd, reader_skip(rd, n), field);
}

/* REPORTMACSTRUCT, 256 bytes. */
static int tdx_report_mac_struct(Reader *rd, TdxReport *t) {
        int r;

        if ((r = tdx_report_copy(rd, "report_type.type", &t->type, 1)) < 0 ||
            (r = tdx_report_copy(rd, "report_type.subtype", &t->subtype, 1)) < 0 ||
            (r = tdx_report_copy(rd, "report_type.version", &t->version, 1)) < 0 ||
            (r = tdx_report_skip(rd, "report_type.reserved", 1)) < 0 ||
            (r = tdx_report_skip(rd, "reserved1", 12)) < 0 ||
            (r = tdx_report_copy(rd, "cpu_svn", t->cpu_svn, sizeof(t->cpu_svn))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info_hash", t->tee_tcb_info_hash,
                                 sizeof(t->tee_tcb_info_hash))) < 0 ||
            (r = tdx_report_copy(rd, "tee_info_hash", t->tee_info_hash, sizeof(t->tee_info_hash))) <
                    0 ||
            (r = tdx_report_copy(rd, "report_data", t->report_data, sizeof(t->report_data))) < 0 ||
            (r = tdx_report_skip(rd, "reserved2", 32)) < 0 ||
            (r = tdx_report_copy(rd, "mac", t->mac, sizeof(t->mac))) < 0)
                return r;
        return 0;
}

/* TEE_TCB_INFO, 239 bytes, then 17 reserved. */
static int tdx_report_tee_tcb_info(Reader *rd, TdxReport *t) {
        int r;

        if ((r = tdx_report_copy(rd, "tee_tcb_info.valid", t->tee_tcb_info_valid,
                                 sizeof(t->tee_tcb_info_valid))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info.tee_tcb_svn", t->tee_tcb_svn,
                                 sizeof(t->tee_tcb_svn))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info.mrseam", t->mrseam, sizeof(t->mrseam))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info.mrsignerseam", t->mrsignerseam,
                                 sizeof(t->mrsignerseam))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info.attributes", t->seam_attributes,
                                 sizeof(t->seam_attributes))) < 0 ||
            (r = tdx_report_copy(rd, "tee_tcb_info.tee_tcb_svn2", t->tee_tcb_svn2,
                                 sizeof(t->tee_tcb_svn2))) < 0 ||
            (r = tdx_report_skip(rd, "tee_tcb_info.reserved", 95)) < 0 ||
            (r = tdx_report_skip(rd, "reserved", 17)) < 0)
                return r;
        return 0;
}

/* TDINFO, 512 bytes. */
static int tdx_report_td_info(Reader *rd, TdxReport *t) {
        static const char *const rtmr[4] = {"td_info.rtmr0", "td_info.rtmr1", "td_info.rtmr2",
                                            "td_info.rtmr3"};
        int r;

        if ((r = tdx_report_copy(rd, "td_info.attributes", t->td_attributes,
                                 sizeof(t->td_attributes))) < 0 ||
            (r = tdx_report_copy(rd, "td_info.xfam", t->xfam, sizeof(t->xfam))) < 0 ||
            (r = tdx_report_copy(rd, "td_info.mrtd", t->mrtd, sizeof(t->mrtd))) < 0 ||
            (r = tdx_report_copy(rd, "td_info.mrconfigid", t->mrconfigid, sizeof(t->mrconfigid))) <
                    0 ||
            (r = tdx_report_copy(rd, "td_info.mrowner", t->mrowner, sizeof(t->mrowner))) < 0 ||
            (r = tdx_report_copy(rd, "td_info.mrownerconfig", t->mrownerconfig,
                                 sizeof(t->mrownerconfig))) < 0)
                return r;
        for (size_t i = 0; i < 4; i++) {
                r = tdx_report_copy(rd, rtmr[i], t->rtmr[i], sizeof(t->rtmr[i]));
                if (r < 0)
                        return r;
        }
        if ((r = tdx_report_copy(rd, "td_info.servtd_hash", t->servtd_hash,
                                 sizeof(t->servtd_hash))) < 0 ||
            (r = tdx_report_skip(rd, "td_info.reserved", 64)) < 0)
                return r;
        return 0;
}

int tdx_report_parse(const uint8_t *data, size_t size, TdxReport *ret, ParseError *err) {
        TdxReport t = {};
        Reader rd;
        int r;

        reader_init(&rd, data, size, err);
        if (size != TDX_REPORT_SIZE)
                return reader_fail(&rd, NULL, "%zu bytes, a TDREPORT has %d", size,
                                   TDX_REPORT_SIZE);
        if ((r = tdx_report_mac_struct(&rd, &t)) < 0 ||
            (r = tdx_report_tee_tcb_info(&rd, &t)) < 0 || (r = tdx_report_td_info(&rd, &t)) < 0)
                return r;
        *ret = t;
        return 0;
}
