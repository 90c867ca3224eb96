/* The HCL report through tpm2-tss ESAPI: NV_ReadPublic for the size,
 * NV_Read in pieces of TPM2_PT_NV_BUFFER_MAX with owner authorization (how
 * Azure's guest tools read it), NV_DefineSpace and NV_Write for the user
 * data. */

#include "confnode/evidence/az-hcl-nv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <tss2/tss2_esys.h>

#include "confnode/basic/hex.h"
#include "confnode/basic/log.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-errors.h"
#include "confnode/tpm/tpm-object.h"

/* Far more than any HCL report (Azure's index is 2600 bytes). */
#define AZ_HCL_NV_MAX (64u * 1024)
/* What every TPM's NV buffer takes when it does not say. */
#define AZ_HCL_NV_CHUNK_DEFAULT 512u

static void az_hcl_nv_esys_freep(void *p) {
        Esys_Free(*(void **)p);
        *(void **)p = NULL;
}

static int az_hcl_nv_open(ESYS_CONTEXT *esys, uint32_t index, TpmObject *ret) {
        ESYS_TR tr = ESYS_TR_NONE;
        TSS2_RC rc;

        rc = Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_TR_FromTPMPublic");
        /* An NV index is not flushed; closing its ESAPI handle is all. */
        *ret = (TpmObject){.esys = esys, .tr = tr, .persistent = true};
        return 0;
}

static uint32_t az_hcl_nv_chunk(ESYS_CONTEXT *esys) {
        __attribute__((cleanup(az_hcl_nv_esys_freep))) TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more;
        TSS2_RC rc;

        rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &cap);
        if (rc != TSS2_RC_SUCCESS || cap->data.tpmProperties.count < 1 ||
            cap->data.tpmProperties.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX ||
            cap->data.tpmProperties.tpmProperty[0].value == 0)
                return AZ_HCL_NV_CHUNK_DEFAULT;
        if (cap->data.tpmProperties.tpmProperty[0].value >
            sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer))
                return sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer);
        return cap->data.tpmProperties.tpmProperty[0].value;
}

int az_hcl_nv_read(TpmContext *tpm, uint32_t index, uint8_t **ret, size_t *ret_size,
                   TeeError *err) {
        __attribute__((cleanup(az_hcl_nv_esys_freep))) TPM2B_NV_PUBLIC *pub = NULL;
        __attribute__((cleanup(az_hcl_nv_esys_freep))) TPM2B_NAME *name = NULL;
        _cleanup_(tpm_object_flush) TpmObject nv = TPM_OBJECT_NULL;
        ESYS_CONTEXT *esys = tpm_context_esys(tpm);
        _cleanup_free_ uint8_t *data = NULL;
        uint32_t size, chunk;
        TSS2_RC rc;
        int r;

        r = az_hcl_nv_open(esys, index, &nv);
        if (r < 0)
                return tee_evidence_error(err, r, "No NV index 0x%08x in the TPM", index);
        rc = Esys_NV_ReadPublic(esys, nv.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
        if (rc != TSS2_RC_SUCCESS)
                return tee_evidence_error(err, tpm_errors_log(rc, "Esys_NV_ReadPublic"),
                                          "Cannot read the public area of NV index 0x%08x", index);
        size = pub->nvPublic.dataSize;
        if (size == 0 || size > AZ_HCL_NV_MAX)
                return tee_evidence_error(err, -EBADMSG, "NV index 0x%08x holds %u bytes", index,
                                          size);
        data = malloc(size);
        if (!data)
                return -ENOMEM;
        chunk = az_hcl_nv_chunk(esys);
        for (uint32_t off = 0; off < size;) {
                __attribute__((cleanup(az_hcl_nv_esys_freep))) TPM2B_MAX_NV_BUFFER *piece = NULL;
                uint16_t want = (uint16_t)(size - off < chunk ? size - off : chunk);

                rc = Esys_NV_Read(esys, ESYS_TR_RH_OWNER, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, want, (uint16_t)off, &piece);
                if (rc != TSS2_RC_SUCCESS)
                        return tee_evidence_error(err, tpm_errors_log(rc, "Esys_NV_Read"),
                                                  "Cannot read NV index 0x%08x at offset %u", index,
                                                  off);
                if (piece->size != want)
                        return tee_evidence_error(
                                err, -EIO, "NV index 0x%08x gave %u bytes at offset %u, not %u",
                                index, piece->size, off, want);
                memcpy(data + off, piece->buffer, want);
                off += want;
        }
        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

static TeeType az_hcl_nv_type(const AzHclReport *rep) {
        return rep->report_type == AZ_HCL_REPORT_TDX ? TEE_TYPE_AZ_TDX_VTPM : TEE_TYPE_AZ_SNP_VTPM;
}

static int az_hcl_nv_parse(const uint8_t *data, size_t size, AzHclReport **ret, TeeError *err) {
        ParseError perr = {};
        char what[256];
        int r;

        r = az_hcl_parse(data, size, ret, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return tee_evidence_error(
                        err, r == -EOPNOTSUPP ? r : -EBADMSG,
                        "NV index 0x%08x holds no HCL report this build reads: %s",
                        AZ_HCL_NV_REPORT_INDEX, parse_error_string(&perr, what, sizeof(what)));
        return 0;
}

int az_hcl_nv_probe(TpmContext *tpm, TeeType *ret_type, TeeError *err) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        int r;

        r = az_hcl_nv_read(tpm, AZ_HCL_NV_REPORT_INDEX, &data, &size, err);
        if (r < 0)
                return r;
        r = az_hcl_nv_parse(data, size, &rep, err);
        if (r < 0)
                return r;
        *ret_type = az_hcl_nv_type(rep);
        return 0;
}

/* The user data goes to 0x01400002, defined by the guest itself if it is
 * not there yet, as Azure's tools do. */
static int az_hcl_nv_write_user_data(TpmContext *tpm,
                                     const uint8_t data[static AZ_HCL_NV_USER_DATA_SIZE],
                                     TeeError *err) {
        _cleanup_(tpm_object_flush) TpmObject nv = TPM_OBJECT_NULL;
        ESYS_CONTEXT *esys = tpm_context_esys(tpm);
        TPM2B_MAX_NV_BUFFER buf = {.size = AZ_HCL_NV_USER_DATA_SIZE};
        TSS2_RC rc;
        int r;

        r = az_hcl_nv_open(esys, AZ_HCL_NV_USER_DATA_INDEX, &nv);
        if (r == -ENOENT) {
                const TPM2B_AUTH auth = {};
                const TPM2B_NV_PUBLIC pub = {
                        .nvPublic =
                                {
                                        .nvIndex = AZ_HCL_NV_USER_DATA_INDEX,
                                        .nameAlg = TPM2_ALG_SHA256,
                                        .attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD |
                                                      TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD,
                                        .dataSize = AZ_HCL_NV_USER_DATA_SIZE,
                                },
                };
                ESYS_TR tr = ESYS_TR_NONE;

                rc = Esys_NV_DefineSpace(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                         ESYS_TR_NONE, &auth, &pub, &tr);
                if (rc != TSS2_RC_SUCCESS)
                        return tee_evidence_error(err, tpm_errors_log(rc, "Esys_NV_DefineSpace"),
                                                  "Cannot define NV index 0x%08x for the user data",
                                                  AZ_HCL_NV_USER_DATA_INDEX);
                nv = (TpmObject){.esys = esys, .tr = tr, .persistent = true};
        } else if (r < 0)
                return tee_evidence_error(err, r, "Cannot open NV index 0x%08x",
                                          AZ_HCL_NV_USER_DATA_INDEX);

        memcpy(buf.buffer, data, AZ_HCL_NV_USER_DATA_SIZE);
        rc = Esys_NV_Write(esys, ESYS_TR_RH_OWNER, nv.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &buf, 0);
        if (rc != TSS2_RC_SUCCESS)
                return tee_evidence_error(err, tpm_errors_log(rc, "Esys_NV_Write"),
                                          "Cannot write the user data to NV index 0x%08x",
                                          AZ_HCL_NV_USER_DATA_INDEX);
        return 0;
}

/* The report must be the one made for our user data, or it binds some
 * earlier nonce. */
static int az_hcl_nv_check_user_data(const AzHclReport *rep,
                                     const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                                     TeeError *err) {
        char want[2 * TEE_REPORT_DATA_SIZE + 1];
        json_object *v;
        const char *got;

        hex_encode_to(report_data, TEE_REPORT_DATA_SIZE, want);
        if (!json_object_object_get_ex(rep->runtime_json, "user-data", &v) ||
            !json_object_is_type(v, json_type_string))
                return tee_evidence_error(
                        err, -ESTALE,
                        "The HCL report in NV index 0x%08x has no user-data, so it does not "
                        "carry the report data written to 0x%08x",
                        AZ_HCL_NV_REPORT_INDEX, AZ_HCL_NV_USER_DATA_INDEX);
        got = json_object_get_string(v);
        if (strcasecmp(got, want) != 0)
                return tee_evidence_error(
                        err, -ESTALE,
                        "The HCL report's user-data is '%.16s…', not the report data '%.16s…' "
                        "written to NV index 0x%08x: the platform did not make it anew",
                        got, want, AZ_HCL_NV_USER_DATA_INDEX);
        return 0;
}

int az_hcl_nv_collect(TpmContext *tpm, const uint8_t report_data[static TEE_REPORT_DATA_SIZE],
                      TeeEvidence **ret, TeeError *err) {
        _cleanup_(tee_evidence_freep) TeeEvidence *ev = NULL;
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        char where[64];
        int r;

        snprintf(where, sizeof(where), "TPM NV index 0x%08x", AZ_HCL_NV_REPORT_INDEX);
        r = tee_evidence_new(TEE_SOURCE_AZURE, where, &ev);
        if (r < 0)
                return r;
        memcpy(ev->report_data, report_data, TEE_REPORT_DATA_SIZE);
        ev->format = TEE_FORMAT_HCL_REPORT;

        r = az_hcl_nv_write_user_data(tpm, report_data, err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_debug("%s; reading the report as it is", err->what);
        r = az_hcl_nv_read(tpm, AZ_HCL_NV_REPORT_INDEX, &ev->report, &ev->report_size, err);
        if (r < 0)
                return r;
        r = az_hcl_nv_parse(ev->report, ev->report_size, &rep, err);
        if (r < 0)
                return r;
        ev->type = az_hcl_nv_type(rep);
        r = az_hcl_nv_check_user_data(rep, report_data, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ev);
        return 0;
}
