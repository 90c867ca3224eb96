/* The attestation key. It is a primary object of the endorsement hierarchy
 * created from a fixed template: no EK policy session is needed, and the
 * same template yields the same key until the endorsement seed changes, so
 * a verifier that learnt the AK once keeps recognising it. Restricted
 * signing means the TPM will sign only digests it computed itself (quotes,
 * certifications), never external data that looks like an attestation. */

#include "confnode/tpm/tpm-ak.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-errors.h"
#include "tpm-esys-internal.h"

#define TPM_AK_ATTRIBUTES                                                                          \
        (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |        \
         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

static const char *const ak_algorithms[_TPM_AK_MAX] = {
        [TPM_AK_RSA2048] = "rsa2048",
        [TPM_AK_ECC_P256] = "ecc-p256",
};

const char *tpm_ak_algorithm_to_string(TpmAkAlgorithm a) {
        if (a < 0 || a >= _TPM_AK_MAX)
                return NULL;
        return ak_algorithms[a];
}

static void tpm_ak_template(TpmAkAlgorithm alg, TPM2B_PUBLIC *ret) {
        *ret = (TPM2B_PUBLIC){};
        ret->publicArea.nameAlg = TPM2_ALG_SHA256;
        ret->publicArea.objectAttributes = TPM_AK_ATTRIBUTES;
        if (alg == TPM_AK_RSA2048) {
                TPMS_RSA_PARMS *p = &ret->publicArea.parameters.rsaDetail;

                ret->publicArea.type = TPM2_ALG_RSA;
                p->symmetric.algorithm = TPM2_ALG_NULL;
                p->scheme.scheme = TPM2_ALG_RSASSA;
                p->scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
                p->keyBits = 2048;
                p->exponent = 0;
        } else {
                TPMS_ECC_PARMS *p = &ret->publicArea.parameters.eccDetail;

                ret->publicArea.type = TPM2_ALG_ECC;
                p->symmetric.algorithm = TPM2_ALG_NULL;
                p->scheme.scheme = TPM2_ALG_ECDSA;
                p->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
                p->curveID = TPM2_ECC_NIST_P256;
                p->kdf.scheme = TPM2_ALG_NULL;
        }
}

/* Whether what sits at the persistent handle is a key we would have made:
 * a restricted signing key of the configured type and scheme. Anything
 * else there belongs to someone else and is left alone. */
static bool tpm_ak_matches(TpmAkAlgorithm alg, const TPMT_PUBLIC *p) {
        const TPMA_OBJECT need =
                TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;

        if ((p->objectAttributes & need) != need || (p->objectAttributes & TPMA_OBJECT_DECRYPT))
                return false;
        if (alg == TPM_AK_RSA2048)
                return p->type == TPM2_ALG_RSA && p->parameters.rsaDetail.keyBits == 2048 &&
                       p->parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA;
        return p->type == TPM2_ALG_ECC && p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
               p->parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA;
}

static int tpm_ak_marshal(const TPMT_PUBLIC *p, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *buf = malloc(sizeof(TPMT_PUBLIC));
        size_t offset = 0;
        TSS2_RC rc;

        if (!buf)
                return -ENOMEM;
        rc = Tss2_MU_TPMT_PUBLIC_Marshal(p, buf, sizeof(TPMT_PUBLIC), &offset);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Tss2_MU_TPMT_PUBLIC_Marshal");
        *ret = TAKE_PTR(buf);
        *ret_size = offset;
        return 0;
}

static int tpm_ak_create(ESYS_CONTEXT *esys, TpmAkAlgorithm alg, TpmObject *ret,
                         TPM2B_PUBLIC **ret_public) {
        _cleanup_(Esys_Freep) TPM2B_CREATION_DATA *creation_data = NULL;
        _cleanup_(Esys_Freep) TPM2B_DIGEST *creation_hash = NULL;
        _cleanup_(Esys_Freep) TPMT_TK_CREATION *creation_ticket = NULL;
        const TPM2B_SENSITIVE_CREATE sensitive = {};
        const TPM2B_DATA outside = {};
        const TPML_PCR_SELECTION creation_pcrs = {};
        TPM2B_PUBLIC tmpl;
        ESYS_TR tr = ESYS_TR_NONE;
        TSS2_RC rc;

        tpm_ak_template(alg, &tmpl);
        rc = Esys_CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                ESYS_TR_NONE, &sensitive, &tmpl, &outside, &creation_pcrs, &tr,
                                ret_public, &creation_data, &creation_hash, &creation_ticket);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_CreatePrimary");
        *ret = (TpmObject){.esys = esys, .tr = tr, .persistent = false};
        return 0;
}

static int tpm_ak_handle_exists(ESYS_CONTEXT *esys, uint32_t handle, bool *ret) {
        _cleanup_(Esys_Freep) TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more;
        TSS2_RC rc;

        rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                                handle, 1, &more, &cap);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_GetCapability(TPM2_CAP_HANDLES)");
        *ret = cap->data.handles.count > 0 && cap->data.handles.handle[0] == handle;
        return 0;
}

static int tpm_ak_load_persistent(ESYS_CONTEXT *esys, TpmAkAlgorithm alg, uint32_t handle,
                                  TpmObject *ret, TPM2B_PUBLIC **ret_public) {
        _cleanup_(tpm_object_flush) TpmObject o = TPM_OBJECT_NULL;
        _cleanup_(Esys_Freep) TPM2B_PUBLIC *pub = NULL;
        _cleanup_(Esys_Freep) TPM2B_NAME *name = NULL, *qualified = NULL;
        TSS2_RC rc;

        o = (TpmObject){.esys = esys, .tr = ESYS_TR_NONE, .persistent = true};
        rc = Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &o.tr);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_TR_FromTPMPublic");
        rc = Esys_ReadPublic(esys, o.tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name,
                             &qualified);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_ReadPublic");
        if (!tpm_ak_matches(alg, &pub->publicArea))
                return log_debug_errno(
                        EEXIST,
                        "Persistent handle 0x%08x holds an object that is not a restricted %s "
                        "signing key; not touching it",
                        handle, tpm_ak_algorithm_to_string(alg));
        *ret_public = TAKE_PTR(pub);
        *ret = tpm_object_take(&o);
        return 0;
}

static int tpm_ak_persist(ESYS_CONTEXT *esys, TpmAkAlgorithm alg, uint32_t handle, TpmObject *ret,
                          TPM2B_PUBLIC **ret_public) {
        _cleanup_(tpm_object_flush) TpmObject transient = TPM_OBJECT_NULL;
        _cleanup_(Esys_Freep) TPM2B_PUBLIC *pub = NULL;
        ESYS_TR persistent = ESYS_TR_NONE;
        TSS2_RC rc;
        int r;

        r = tpm_ak_create(esys, alg, &transient, &pub);
        if (r < 0)
                return r;
        rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, transient.tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, handle, &persistent);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_EvictControl");
        log_debug("Created the %s attestation key and persisted it at 0x%08x",
                  tpm_ak_algorithm_to_string(alg), handle);
        /* The transient copy is flushed on return; from here on the key is
         * used through its persistent handle. */
        *ret = (TpmObject){.esys = esys, .tr = persistent, .persistent = true};
        *ret_public = TAKE_PTR(pub);
        return 0;
}

int tpm_ak_open(TpmContext *c, TpmAkAlgorithm alg, uint32_t handle, TpmObject *ret_ak,
                uint8_t **ret_public, size_t *ret_public_size) {
        _cleanup_(tpm_object_flush) TpmObject ak = TPM_OBJECT_NULL;
        _cleanup_(Esys_Freep) TPM2B_PUBLIC *pub = NULL;
        ESYS_CONTEXT *esys = tpm_context_esys(c);
        bool exists = false;
        int r;

        if (alg < 0 || alg >= _TPM_AK_MAX)
                return -EINVAL;
        if (handle == 0)
                r = tpm_ak_create(esys, alg, &ak, &pub);
        else {
                if (handle < TPM_AK_HANDLE_MIN || handle > TPM_AK_HANDLE_MAX)
                        return -EINVAL;
                r = tpm_ak_handle_exists(esys, handle, &exists);
                if (r < 0)
                        return r;
                if (exists)
                        r = tpm_ak_load_persistent(esys, alg, handle, &ak, &pub);
                else
                        r = tpm_ak_persist(esys, alg, handle, &ak, &pub);
        }
        if (r < 0)
                return r;
        r = tpm_ak_marshal(&pub->publicArea, ret_public, ret_public_size);
        if (r < 0)
                return r;
        *ret_ak = tpm_object_take(&ak);
        return 0;
}
