#pragma once

/* The TDREPORT_STRUCT a TD gets from TDG.MR.REPORT (Intel TDX Module ABI):
 * 1024 bytes of REPORTMACSTRUCT (report type, CPU SVN, the hashes of the
 * two structures below, report_data, MAC), TEE_TCB_INFO (the TDX module's
 * SVN and measurement) and TDINFO (the TD's attributes, MRTD, MRCONFIGID,
 * MROWNER, MROWNERCONFIG, RTMR0..3). It is MACed with a key only the CPU
 * holds, so outside the TD it proves nothing by itself: a TD quote made
 * from it, or a report that embeds it and is bound to such a quote (Azure's
 * HCL report), is what a verifier checks. Fields that exist since TDX 1.5
 * (tee_tcb_svn2, servtd_hash) read as zero from older modules. */

#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/reader.h"

#define TDX_REPORT_SIZE 1024
#define TDX_REPORT_TYPE_TDX 0x81

typedef struct TdxReport {
        /* REPORTMACSTRUCT */
        uint8_t type; /* 0x81 for TDX */
        uint8_t subtype;
        uint8_t version;
        uint8_t cpu_svn[16];
        uint8_t tee_tcb_info_hash[48];
        uint8_t tee_info_hash[48];
        uint8_t report_data[64];
        uint8_t mac[32];
        /* TEE_TCB_INFO */
        uint8_t tee_tcb_info_valid[8];
        uint8_t tee_tcb_svn[16];
        uint8_t mrseam[48];
        uint8_t mrsignerseam[48];
        uint8_t seam_attributes[8];
        uint8_t tee_tcb_svn2[16];
        /* TDINFO */
        uint8_t td_attributes[8];
        uint8_t xfam[8];
        uint8_t mrtd[48];
        uint8_t mrconfigid[48];
        uint8_t mrowner[48];
        uint8_t mrownerconfig[48];
        uint8_t rtmr[4][48];
        uint8_t servtd_hash[48];
} TdxReport;

/* Decodes exactly TDX_REPORT_SIZE bytes. -EBADMSG with err filled in for
 * any other size. The report type is recorded, not judged: which TEE made
 * it is for the caller (the container's header says so) to check. */
int tdx_report_parse(const uint8_t *data, size_t size, TdxReport *ret, ParseError *err);
