/* PCRs on a live TPM. */

#include "confnode/tpm/tpm-pcr.h"

#include <errno.h>
#include <string.h>

#include "confnode/basic/log.h"
#include "confnode/tpm/tpm-errors.h"
#include "tpm-esys-internal.h"

/* TPM2_PCR_Read answers at most 8 values per call; 24 PCRs in 5 banks is
 * 15 calls, and a TPM that answers nothing new ends the loop earlier. */
#define TPM_PCR_READ_MAX_CALLS 16

static void tpm_pcr_to_tpml(const PcrSelection *sel, TPML_PCR_SELECTION *ret) {
        *ret = (TPML_PCR_SELECTION){.count = (uint32_t)sel->n_banks};
        for (size_t b = 0; b < sel->n_banks; b++) {
                ret->pcrSelections[b].hash = sel->banks[b].alg;
                ret->pcrSelections[b].sizeofSelect = 3;
                for (unsigned i = 0; i < 3; i++)
                        ret->pcrSelections[b].pcrSelect[i] =
                                (uint8_t)(sel->banks[b].mask >> (8 * i));
        }
}

int tpm_pcr_read(TpmContext *c, const PcrSelection *sel, TpmPcrValues *ret) {
        ESYS_CONTEXT *esys = tpm_context_esys(c);
        PcrSelection want = *sel;
        TpmPcrValues v = {};
        int r;

        if (sel->n_banks > TPM2_NUM_PCR_BANKS)
                return -EINVAL;
        for (unsigned call = 0;; call++) {
                _cleanup_(Esys_Freep) TPML_PCR_SELECTION *out_sel = NULL;
                _cleanup_(Esys_Freep) TPML_DIGEST *digests = NULL;
                TPML_PCR_SELECTION in;
                uint32_t update_counter;
                bool left = false;
                size_t k = 0;
                TSS2_RC rc;

                for (size_t b = 0; b < want.n_banks; b++)
                        left = left || want.banks[b].mask != 0;
                if (!left)
                        break;
                if (call >= TPM_PCR_READ_MAX_CALLS)
                        return -EIO;

                tpm_pcr_to_tpml(&want, &in);
                rc = Esys_PCR_Read(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in,
                                   &update_counter, &out_sel, &digests);
                if (rc != TSS2_RC_SUCCESS)
                        return tpm_errors_log(rc, "Esys_PCR_Read");
                if (digests->count == 0)
                        return log_debug_errno(
                                ENXIO, "The TPM returned no value for PCRs it was asked for; "
                                       "is the bank allocated?");

                /* Values come bank by bank in the order of the returned
                 * selection, PCRs ascending within a bank. */
                for (uint32_t b = 0; b < out_sel->count && b < TPM2_NUM_PCR_BANKS; b++) {
                        const TPMS_PCR_SELECTION *s = &out_sel->pcrSelections[b];
                        PcrBank *w = NULL;

                        for (size_t j = 0; j < want.n_banks; j++)
                                if (want.banks[j].alg == s->hash)
                                        w = &want.banks[j];
                        for (unsigned i = 0; i < PCR_MAX && i / 8 < s->sizeofSelect; i++) {
                                if (!(s->pcrSelect[i / 8] & (1u << (i % 8))))
                                        continue;
                                if (k >= digests->count || !w || !(w->mask & (1u << i)))
                                        return log_debug_errno(
                                                EIO, "TPM2_PCR_Read returned a selection it "
                                                     "was not asked for");
                                r = tpm_pcr_values_set(&v, s->hash, i, digests->digests[k].buffer,
                                                       digests->digests[k].size);
                                if (r < 0)
                                        return log_debug_errno(
                                                EIO,
                                                "TPM2_PCR_Read returned a %u-byte value "
                                                "for a bank that needs another size",
                                                digests->digests[k].size);
                                w->mask &= ~(1u << i);
                                k++;
                        }
                }
        }
        *ret = v;
        return 0;
}

int tpm_pcr_extend(TpmContext *c, unsigned pcr, const TpmDigest *digests, size_t n_digests) {
        TPML_DIGEST_VALUES values = {.count = (uint32_t)n_digests};
        TSS2_RC rc;

        if (pcr >= PCR_MAX || n_digests == 0 || n_digests > TPM2_NUM_PCR_BANKS)
                return -EINVAL;
        for (size_t i = 0; i < n_digests; i++) {
                if (digests[i].size != tpm_alg_hash_size(digests[i].alg) ||
                    digests[i].size > sizeof(values.digests[i].digest))
                        return -EINVAL;
                values.digests[i].hashAlg = digests[i].alg;
                memcpy(&values.digests[i].digest, digests[i].value, digests[i].size);
        }
        rc = Esys_PCR_Extend(tpm_context_esys(c), ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
                             ESYS_TR_NONE, ESYS_TR_NONE, &values);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_PCR_Extend");
        return 0;
}

int tpm_pcr_banks(TpmContext *c, PcrSelection *ret) {
        _cleanup_(Esys_Freep) TPMS_CAPABILITY_DATA *cap = NULL;
        PcrSelection sel = {};
        TPMI_YES_NO more;
        TSS2_RC rc;

        rc = Esys_GetCapability(tpm_context_esys(c), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                TPM2_CAP_PCRS, 0, 1, &more, &cap);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_errors_log(rc, "Esys_GetCapability(TPM2_CAP_PCRS)");
        for (uint32_t b = 0; b < cap->data.assignedPCR.count && b < TPM2_NUM_PCR_BANKS; b++) {
                const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[b];
                uint32_t mask = 0;

                if (tpm_alg_hash_size(s->hash) == 0 || sel.n_banks >= PCR_SELECTION_MAX_BANKS)
                        continue;
                for (unsigned i = 0; i < PCR_MAX && i / 8 < s->sizeofSelect; i++)
                        if (s->pcrSelect[i / 8] & (1u << (i % 8)))
                                mask |= 1u << i;
                if (mask == 0)
                        continue;
                sel.banks[sel.n_banks++] = (PcrBank){.alg = s->hash, .mask = mask};
        }
        *ret = sel;
        return 0;
}
