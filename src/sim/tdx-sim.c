/* Simulated TDX quotes, laid out as the Intel TDX DCAP Quote Generation
 * Library's appendix describes version 4: header, TD report body 1.0, the
 * signature data length, then the ECDSA-256 signature data. Every integer
 * little-endian; signatures r || s and keys x || y, big-endian. */

#include "tdx-sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "confnode/evidence/tdx-quote.h"
#include "sim-bytes.h"
#include "confnode/basic/openssl-cleanup.h"

#define TDX_SIM_QUOTE_VERSION 4
#define TDX_SIM_SIG_SIZE 64
#define TDX_SIM_KEY_SIZE 64
#define TDX_SIM_QE_AUTH_SIZE 32
/* The Intel QE's vendor ID. */
static const uint8_t tdx_sim_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                              0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
/* The TD Quoting Enclave's product ID. */
#define TDX_SIM_QE_PROD_ID 2


/* A cursor over the quote being written; the size is computed first, so
 * running out is a bug, caught rather than written past. */
typedef struct TdxSimOut {
        uint8_t *p;
        size_t left;
        bool overflow;
} TdxSimOut;

static uint8_t *tdx_sim_take(TdxSimOut *o, size_t n) {
        uint8_t *p;

        if (o->overflow || n > o->left) {
                o->overflow = true;
                return NULL;
        }
        p = o->p;
        o->p += n;
        o->left -= n;
        return p;
}

static void tdx_sim_bytes(TdxSimOut *o, const void *data, size_t n) {
        uint8_t *p = tdx_sim_take(o, n);

        if (p && n > 0) {
                if (data)
                        memcpy(p, data, n);
                else
                        memset(p, 0, n);
        }
}

static void tdx_sim_u16(TdxSimOut *o, uint16_t v) {
        uint8_t *p = tdx_sim_take(o, 2);

        if (p)
                sim_put_u16le(p, v);
}

static void tdx_sim_u32(TdxSimOut *o, uint32_t v) {
        uint8_t *p = tdx_sim_take(o, 4);

        if (p)
                sim_put_u32le(p, v);
}

static int tdx_sim_sha256(const void *a, size_t na, const void *b, size_t nb,
                          uint8_t ret[static 32]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned n;

        if (!md)
                return -ENOMEM;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(md, a, na) != 1 ||
            (nb > 0 && EVP_DigestUpdate(md, b, nb) != 1) || EVP_DigestFinal_ex(md, ret, &n) != 1)
                return -EIO;
        return 0;
}

/* ECDSA P-256 with SHA-256, as r || s. */
static int tdx_sim_sign(EVP_PKEY *key, const uint8_t *data, size_t size,
                        uint8_t ret[static TDX_SIM_SIG_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
        uint8_t der[128];
        const uint8_t *p = der;
        const BIGNUM *r, *s;
        size_t n = sizeof(der);

        if (!md)
                return -ENOMEM;
        if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
            EVP_DigestSign(md, der, &n, data, size) != 1) {
                ERR_clear_error();
                return log_debug_errno(EIO, "ECDSA P-256 signing failed");
        }
        sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
        if (!sig)
                return -EIO;
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_bn2binpad(r, ret, 32) < 0 || BN_bn2binpad(s, ret + 32, 32) < 0)
                return -EIO;
        return 0;
}

/* The attestation key as the quote carries it: x || y. */
static int tdx_sim_public(EVP_PKEY *key, uint8_t ret[static TDX_SIM_KEY_SIZE]) {
        _cleanup_(BN_freep) BIGNUM *x = NULL, *y = NULL;

        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
            BN_bn2binpad(x, ret, 32) < 0 || BN_bn2binpad(y, ret + 32, 32) < 0) {
                ERR_clear_error();
                return log_debug_errno(EIO, "The attestation key is not a P-256 key");
        }
        return 0;
}

/* The QE's SGX report body (384 bytes): the enclave that holds the
 * attestation key, vouching for it through report_data. */
static int tdx_sim_qe_report(const SimTdx *t, const uint8_t ak[static TDX_SIM_KEY_SIZE],
                             const uint8_t *auth, size_t auth_size,
                             uint8_t ret[static TDX_QUOTE_SGX_BODY_SIZE]) {
        static const char mrenclave[] = "confnode-sim: TD quoting enclave";
        static const char mrsigner[] = "confnode-sim: quoting enclave signer";
        TdxSimOut o = {.p = ret, .left = TDX_QUOTE_SGX_BODY_SIZE};
        uint8_t h[32], attributes[16] = {0x11}; /* INIT | MODE64BIT */
        int r;

        attributes[8] = 0xe7; /* XFRM: x87, SSE, AVX, AVX-512 */
        tdx_sim_bytes(&o, t->cpu_svn, sizeof(t->cpu_svn));
        tdx_sim_u32(&o, 0); /* MISCSELECT */
        tdx_sim_bytes(&o, NULL, 12);
        tdx_sim_bytes(&o, NULL, 16); /* ISVEXTPRODID */
        tdx_sim_bytes(&o, attributes, sizeof(attributes));
        r = tdx_sim_sha256(mrenclave, strlen(mrenclave), NULL, 0, h);
        if (r < 0)
                return r;
        tdx_sim_bytes(&o, h, sizeof(h));
        tdx_sim_bytes(&o, NULL, 32);
        r = tdx_sim_sha256(mrsigner, strlen(mrsigner), NULL, 0, h);
        if (r < 0)
                return r;
        tdx_sim_bytes(&o, h, sizeof(h));
        tdx_sim_bytes(&o, NULL, 32);
        tdx_sim_bytes(&o, NULL, 64); /* CONFIGID */
        tdx_sim_u16(&o, TDX_SIM_QE_PROD_ID);
        tdx_sim_u16(&o, t->qe_svn);
        tdx_sim_u16(&o, 0); /* CONFIGSVN */
        tdx_sim_bytes(&o, NULL, 42);
        tdx_sim_bytes(&o, NULL, 16); /* ISVFAMILYID */
        r = tdx_sim_sha256(ak, TDX_SIM_KEY_SIZE, auth, auth_size, h);
        if (r < 0)
                return r;
        tdx_sim_bytes(&o, h, sizeof(h));
        tdx_sim_bytes(&o, NULL, 32);
        return o.overflow || o.left != 0 ? -EIO : 0;
}

static void tdx_sim_header(TdxSimOut *o, const uint8_t qe_id[static 16]) {
        tdx_sim_u16(o, TDX_SIM_QUOTE_VERSION);
        tdx_sim_u16(o, TDX_QUOTE_ATT_KEY_ECDSA_P256);
        tdx_sim_u32(o, TDX_QUOTE_TEE_TDX);
        tdx_sim_u16(o, 0); /* reserved in version 4 */
        tdx_sim_u16(o, 0);
        tdx_sim_bytes(o, tdx_sim_qe_vendor, sizeof(tdx_sim_qe_vendor));
        tdx_sim_bytes(o, qe_id, 16); /* user data: the QE's platform ID, then zeros */
        tdx_sim_bytes(o, NULL, 4);
}

static void tdx_sim_body(TdxSimOut *o, const SimTdx *t,
                         const uint8_t report_data[static TDX_SIM_REPORT_DATA_SIZE]) {
        tdx_sim_bytes(o, t->tee_tcb_svn, sizeof(t->tee_tcb_svn));
        tdx_sim_bytes(o, t->mrseam, sizeof(t->mrseam));
        tdx_sim_bytes(o, t->mrsignerseam, sizeof(t->mrsignerseam));
        tdx_sim_bytes(o, t->seam_attributes, sizeof(t->seam_attributes));
        tdx_sim_bytes(o, t->td_attributes, sizeof(t->td_attributes));
        tdx_sim_bytes(o, t->xfam, sizeof(t->xfam));
        tdx_sim_bytes(o, t->mrtd, sizeof(t->mrtd));
        tdx_sim_bytes(o, t->mrconfigid, sizeof(t->mrconfigid));
        tdx_sim_bytes(o, t->mrowner, sizeof(t->mrowner));
        tdx_sim_bytes(o, t->mrownerconfig, sizeof(t->mrownerconfig));
        for (size_t i = 0; i < 4; i++)
                tdx_sim_bytes(o, t->rtmr[i], sizeof(t->rtmr[i]));
        tdx_sim_bytes(o, report_data, TDX_SIM_REPORT_DATA_SIZE);
}

int tdx_sim_quote(const SimTdx *t, const SimCa *ca,
                  const uint8_t report_data[static TDX_SIM_REPORT_DATA_SIZE], uint8_t **ret,
                  size_t *ret_size) {
        uint8_t ak[TDX_SIM_KEY_SIZE], auth[TDX_SIM_QE_AUTH_SIZE],
                qe_report[TDX_QUOTE_SGX_BODY_SIZE];
        uint8_t qe_sig[TDX_SIM_SIG_SIZE], qe_id[32];
        size_t cert6, sig_data, size;
        _cleanup_free_ uint8_t *quote = NULL;
        uint8_t *signed_end, *sig;
        TdxSimOut o;
        int r;

        if (ca->pck_chain_pem_size > UINT32_MAX / 2)
                return -E2BIG;
        for (size_t i = 0; i < sizeof(auth); i++)
                auth[i] = (uint8_t)i;
        r = tdx_sim_public(ca->attestation_key, ak);
        if (r >= 0)
                r = tdx_sim_qe_report(t, ak, auth, sizeof(auth), qe_report);
        if (r >= 0)
                r = tdx_sim_sign(ca->pck_key, qe_report, sizeof(qe_report), qe_sig);
        if (r >= 0)
                r = tdx_sim_sha256(t->ppid, sizeof(t->ppid), NULL, 0, qe_id);
        if (r < 0)
                return r;

        cert6 = TDX_QUOTE_SGX_BODY_SIZE + TDX_SIM_SIG_SIZE + 2 + sizeof(auth) + 2 + 4 +
                ca->pck_chain_pem_size;
        sig_data = TDX_SIM_SIG_SIZE + TDX_SIM_KEY_SIZE + 2 + 4 + cert6;
        size = TDX_QUOTE_HEADER_SIZE + TDX_QUOTE_TD10_BODY_SIZE + 4 + sig_data;
        quote = calloc(1, size);
        if (!quote)
                return -ENOMEM;
        o = (TdxSimOut){.p = quote, .left = size};

        tdx_sim_header(&o, qe_id);
        tdx_sim_body(&o, t, report_data);
        signed_end = o.p;
        tdx_sim_u32(&o, (uint32_t)sig_data);
        sig = tdx_sim_take(&o, TDX_SIM_SIG_SIZE);
        tdx_sim_bytes(&o, ak, sizeof(ak));
        tdx_sim_u16(&o, TDX_CERT_QE_REPORT);
        tdx_sim_u32(&o, (uint32_t)cert6);
        tdx_sim_bytes(&o, qe_report, sizeof(qe_report));
        tdx_sim_bytes(&o, qe_sig, sizeof(qe_sig));
        tdx_sim_u16(&o, sizeof(auth));
        tdx_sim_bytes(&o, auth, sizeof(auth));
        tdx_sim_u16(&o, TDX_CERT_PCK_CHAIN);
        tdx_sim_u32(&o, (uint32_t)ca->pck_chain_pem_size);
        tdx_sim_bytes(&o, ca->pck_chain_pem, ca->pck_chain_pem_size);
        if (o.overflow || o.left != 0 || !sig)
                return -EIO;

        /* The attestation key signs the header and the body. */
        r = tdx_sim_sign(ca->attestation_key, quote, (size_t)(signed_end - quote), sig);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(quote);
        *ret_size = size;
        return 0;
}
