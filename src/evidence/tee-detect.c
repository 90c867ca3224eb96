/* Finding the TEE behind this machine's interfaces, and collecting from
 * the one found. The order is DESIGN.md's: configfs-tsm first (the
 * kernel's own interface, and the only one that gives a TDX quote), then
 * the vendor devices, then Azure's vTPM. */

#include "confnode/evidence/tee-detect.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "confnode/basic/log.h"
#include "confnode/evidence/az-hcl-nv.h"
#include "confnode/evidence/sev-guest.h"
#include "confnode/evidence/tdx-guest.h"
#include "confnode/evidence/tsm.h"

static bool tee_detect_exists(const char *path, bool dir) {
        struct stat st;

        if (!path || stat(path, &st) < 0)
                return false;
        return dir ? S_ISDIR(st.st_mode) : true;
}

static int tee_detect_tsm(const TeeOptions *o, TeeDetection *d, TeeError *err) {
        int r;

        if (!tee_detect_exists(o->tsm_path, true))
                return tee_evidence_error(err, -ENODEV, "No configfs-tsm report directory '%s'",
                                          o->tsm_path ?: "(none)");
        r = tsm_provider(o->tsm_path, d->provider, sizeof(d->provider), err);
        if (r < 0)
                return r;
        if (strcmp(d->provider, "sev_guest") == 0)
                d->type = TEE_TYPE_SNP;
        else if (strcmp(d->provider, "tdx_guest") == 0)
                d->type = TEE_TYPE_TDX;
        else
                return tee_evidence_error(
                        err, -EOPNOTSUPP,
                        "configfs-tsm provider '%s' of '%s' is not one confnode reads", d->provider,
                        o->tsm_path);
        d->source = TEE_SOURCE_TSM;
        snprintf(d->where, sizeof(d->where), "%s", o->tsm_path);
        return 0;
}

static int tee_detect_device(const char *path, TeeSource source, TeeType type, TeeDetection *d,
                             TeeError *err) {
        if (!tee_detect_exists(path, false))
                return tee_evidence_error(err, -ENODEV, "No device '%s'", path ?: "(none)");
        d->source = source;
        d->type = type;
        snprintf(d->where, sizeof(d->where), "%s", path);
        return 0;
}

static int tee_detect_azure(const TeeOptions *o, TeeDetection *d, TeeError *err) {
        int r;

        if (!o->tpm)
                return tee_evidence_error(err, -ENODEV,
                                          "No TPM to look for an Azure HCL report in");
        r = az_hcl_nv_probe(o->tpm, &d->type, err);
        if (r == -ENOENT)
                return tee_evidence_error(err, -ENODEV, "No HCL report in TPM NV index 0x%08x",
                                          AZ_HCL_NV_REPORT_INDEX);
        if (r < 0)
                return r;
        d->source = TEE_SOURCE_AZURE;
        snprintf(d->where, sizeof(d->where), "TPM NV index 0x%08x", AZ_HCL_NV_REPORT_INDEX);
        return 0;
}

static int tee_detect_one(const TeeOptions *o, TeeSource s, TeeDetection *d, TeeError *err) {
        switch (s) {
        case TEE_SOURCE_TSM:
                return tee_detect_tsm(o, d, err);
        case TEE_SOURCE_SEV_GUEST:
                return tee_detect_device(o->sev_guest_path, s, TEE_TYPE_SNP, d, err);
        case TEE_SOURCE_TDX_GUEST:
                return tee_detect_device(o->tdx_guest_path, s, TEE_TYPE_TDX, d, err);
        case TEE_SOURCE_AZURE:
                return tee_detect_azure(o, d, err);
        default:
                return -EINVAL;
        }
}

int tee_detect(const TeeOptions *o, TeeSource want, TeeDetection *ret, TeeError *err) {
        TeeDetection d = {.source = TEE_SOURCE_NONE, .type = _TEE_TYPE_INVALID};
        int r;

        if (want == TEE_SOURCE_NONE) {
                *ret = d;
                return 0;
        }
        if (want != TEE_SOURCE_AUTO) {
                r = tee_detect_one(o, want, &d, err);
                if (r < 0)
                        return r;
                *ret = d;
                return 0;
        }
        for (TeeSource s = TEE_SOURCE_TSM; s < _TEE_SOURCE_MAX; s++) {
                TeeError e = {};

                r = tee_detect_one(o, s, &d, &e);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        break;
                /* Auto-detection looks where a TEE may be; not finding one
                 * there is the normal case, so it is only debug-logged. */
                log_debug("TEE detection, %s: %s", tee_source_to_string(s), e.what);
                d = (TeeDetection){.source = TEE_SOURCE_NONE, .type = _TEE_TYPE_INVALID};
        }
        *ret = d;
        return 0;
}

int tee_detect_collect(const TeeOptions *o, const TeeDetection *d,
                       const uint8_t report_data[static TEE_REPORT_DATA_SIZE], TeeEvidence **ret,
                       TeeError *err) {
        switch (d->source) {
        case TEE_SOURCE_TSM:
                return tsm_collect(o->tsm_path, report_data, ret, err);
        case TEE_SOURCE_SEV_GUEST:
                /* VMPL 0 is what a guest without an SVSM runs at; a guest
                 * under one must go through configfs-tsm, which knows its
                 * floor. */
                return sev_guest_collect(o->sev_guest_path, report_data, 0, ret, err);
        case TEE_SOURCE_TDX_GUEST:
                return tdx_guest_collect(o->tdx_guest_path, report_data, ret, err);
        case TEE_SOURCE_AZURE:
                if (!o->tpm)
                        return tee_evidence_error(err, -EINVAL,
                                                  "No TPM to read the Azure HCL report from");
                return az_hcl_nv_collect(o->tpm, report_data, ret, err);
        default:
                return tee_evidence_error(err, -EINVAL, "No TEE to collect from");
        }
}
