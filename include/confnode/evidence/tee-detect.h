#pragma once

/* Which TEE this machine is. A TEE is reached through one of the
 * interfaces the kernel or the platform offers, tried in this order when
 * nothing is forced:
 *   tsm        configfs-tsm (/sys/kernel/config/tsm/report), provider
 *              sev_guest (an SEV-SNP report and its certificate table) or
 *              tdx_guest (a TDX quote)
 *   sev-guest  /dev/sev-guest, SNP_GET_EXT_REPORT
 *   tdx-guest  /dev/tdx_guest, TDX_CMD_GET_REPORT0 (a TD report, which only
 *              the TD's own platform can check: a quote needs configfs-tsm)
 *   azure      the HCL report Azure's paravisor keeps in vTPM NV index
 *              0x01400001
 * Simulated TEEs appear through the same interfaces, so nothing here knows
 * about simulation. */

#include "confnode/evidence/tee-evidence.h"

typedef struct TpmContext TpmContext;

typedef struct TeeOptions {
        const char *tsm_path;       /* the configfs-tsm report directory */
        const char *sev_guest_path; /* /dev/sev-guest */
        const char *tdx_guest_path; /* /dev/tdx_guest */
        TpmContext *tpm;            /* for Azure; NULL: Azure is not tried */
} TeeOptions;

typedef struct TeeDetection {
        TeeSource source;  /* NONE when nothing was found */
        TeeType type;      /* unless source is NONE */
        char provider[32]; /* configfs-tsm */
        char where[256];   /* the path, or the NV index */
} TeeDetection;

/* want AUTO tries every interface in order and gives source NONE when
 * none answers; a forced source that is not there is -ENODEV (with err
 * saying what was looked at). */
int tee_detect(const TeeOptions *o, TeeSource want, TeeDetection *ret, TeeError *err);

/* Takes evidence with report_data from the detected interface. */
int tee_detect_collect(const TeeOptions *o, const TeeDetection *d,
                       const uint8_t report_data[static TEE_REPORT_DATA_SIZE], TeeEvidence **ret,
                       TeeError *err);
