/* Simulated SEV-SNP reports: the fields of the SEV-SNP firmware ABI's
 * ATTESTATION_REPORT at their offsets, from the platform's configuration
 * and the guest's request, signed with ECDSA P-384 over bytes
 * 0x000-0x29F; r and s little-endian, zero-extended to 72 bytes each. */

#include "snp-sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/log.h"
#include "confnode/evidence/snp-cert-table.h"
#include "sim-bytes.h"
#include "confnode/basic/openssl-cleanup.h"

#define SNP_SIM_OFF_VERSION 0x000
#define SNP_SIM_OFF_GUEST_SVN 0x004
#define SNP_SIM_OFF_POLICY 0x008
#define SNP_SIM_OFF_FAMILY_ID 0x010
#define SNP_SIM_OFF_IMAGE_ID 0x020
#define SNP_SIM_OFF_VMPL 0x030
#define SNP_SIM_OFF_SIGNATURE_ALGO 0x034
#define SNP_SIM_OFF_CURRENT_TCB 0x038
#define SNP_SIM_OFF_PLATFORM_INFO 0x040
#define SNP_SIM_OFF_FLAGS 0x048
#define SNP_SIM_OFF_REPORT_DATA 0x050
#define SNP_SIM_OFF_MEASUREMENT 0x090
#define SNP_SIM_OFF_HOST_DATA 0x0c0
#define SNP_SIM_OFF_ID_KEY_DIGEST 0x0e0
#define SNP_SIM_OFF_AUTHOR_KEY_DIGEST 0x110
#define SNP_SIM_OFF_REPORT_ID 0x140
#define SNP_SIM_OFF_REPORT_ID_MA 0x160
#define SNP_SIM_OFF_REPORTED_TCB 0x180
#define SNP_SIM_OFF_CPUID 0x188
#define SNP_SIM_OFF_CHIP_ID 0x1a0
#define SNP_SIM_OFF_COMMITTED_TCB 0x1e0
#define SNP_SIM_OFF_CURRENT_VERSION 0x1e8
#define SNP_SIM_OFF_COMMITTED_VERSION 0x1ec
#define SNP_SIM_OFF_LAUNCH_TCB 0x1f0
#define SNP_SIM_OFF_SIGNATURE 0x2a0


/* REPORT_ID: the guest's own, fixed from its launch; here derived from
 * the chip and the measurement, so one simulated guest keeps one ID. */
static int snp_sim_report_id(const SimSnp *s, uint8_t ret[static SNP_REPORT_ID_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned n;

        if (!md)
                return -ENOMEM;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(md, s->chip_id, sizeof(s->chip_id)) != 1 ||
            EVP_DigestUpdate(md, s->measurement, sizeof(s->measurement)) != 1 ||
            EVP_DigestFinal_ex(md, ret, &n) != 1)
                return -EIO;
        return 0;
}

static int snp_sim_sign(EVP_PKEY *key, uint8_t report[static SNP_REPORT_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
        uint8_t der[256];
        const uint8_t *p = der;
        const BIGNUM *r, *s;
        size_t n = sizeof(der);

        if (!md)
                return -ENOMEM;
        if (EVP_DigestSignInit_ex(md, NULL, "SHA384", NULL, NULL, key, NULL) != 1 ||
            EVP_DigestSign(md, der, &n, report, SNP_REPORT_SIGNED_SIZE) != 1) {
                ERR_clear_error();
                return log_debug_errno(EIO, "Signing the report with the VCEK key failed");
        }
        sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
        if (!sig)
                return -EIO;
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_bn2lebinpad(r, report + SNP_SIM_OFF_SIGNATURE, SNP_SIGNATURE_COMPONENT_SIZE) < 0 ||
            BN_bn2lebinpad(s, report + SNP_SIM_OFF_SIGNATURE + SNP_SIGNATURE_COMPONENT_SIZE,
                           SNP_SIGNATURE_COMPONENT_SIZE) < 0)
                return -EIO;
        return 0;
}

int snp_sim_report(const SimSnp *s, EVP_PKEY *key,
                   const uint8_t report_data[static SNP_REPORT_DATA_SIZE], uint32_t vmpl,
                   uint8_t ret[static SNP_REPORT_SIZE]) {
        uint8_t rep[SNP_REPORT_SIZE] = {};
        uint64_t tcb = sim_config_snp_tcb(s);
        int r;

        sim_put_u32le(rep + SNP_SIM_OFF_VERSION, s->version);
        sim_put_u32le(rep + SNP_SIM_OFF_GUEST_SVN, s->guest_svn);
        sim_put_u64le(rep + SNP_SIM_OFF_POLICY, s->policy);
        memcpy(rep + SNP_SIM_OFF_FAMILY_ID, s->family_id, sizeof(s->family_id));
        memcpy(rep + SNP_SIM_OFF_IMAGE_ID, s->image_id, sizeof(s->image_id));
        sim_put_u32le(rep + SNP_SIM_OFF_VMPL, vmpl);
        sim_put_u32le(rep + SNP_SIM_OFF_SIGNATURE_ALGO, SNP_SIGNATURE_ALGO_ECDSA_P384_SHA384);
        sim_put_u64le(rep + SNP_SIM_OFF_CURRENT_TCB, tcb);
        sim_put_u64le(rep + SNP_SIM_OFF_PLATFORM_INFO, s->platform_info);
        /* AUTHOR_KEY_EN 0, MASK_CHIP_KEY 0, SIGNING_KEY 0 (VCEK). */
        sim_put_u32le(rep + SNP_SIM_OFF_FLAGS, 0);
        memcpy(rep + SNP_SIM_OFF_REPORT_DATA, report_data, SNP_REPORT_DATA_SIZE);
        memcpy(rep + SNP_SIM_OFF_MEASUREMENT, s->measurement, sizeof(s->measurement));
        memcpy(rep + SNP_SIM_OFF_HOST_DATA, s->host_data, sizeof(s->host_data));
        memcpy(rep + SNP_SIM_OFF_ID_KEY_DIGEST, s->id_key_digest, sizeof(s->id_key_digest));
        memcpy(rep + SNP_SIM_OFF_AUTHOR_KEY_DIGEST, s->author_key_digest,
               sizeof(s->author_key_digest));
        r = snp_sim_report_id(s, rep + SNP_SIM_OFF_REPORT_ID);
        if (r < 0)
                return r;
        /* No migration agent: REPORT_ID_MA is all ones. */
        memset(rep + SNP_SIM_OFF_REPORT_ID_MA, 0xff, SNP_REPORT_ID_SIZE);
        sim_put_u64le(rep + SNP_SIM_OFF_REPORTED_TCB, tcb);
        if (s->version >= 3)
                sim_config_cpuid(s->generation, rep + SNP_SIM_OFF_CPUID,
                                 rep + SNP_SIM_OFF_CPUID + 1, rep + SNP_SIM_OFF_CPUID + 2);
        memcpy(rep + SNP_SIM_OFF_CHIP_ID, s->chip_id, sizeof(s->chip_id));
        sim_put_u64le(rep + SNP_SIM_OFF_COMMITTED_TCB, tcb);
        rep[SNP_SIM_OFF_CURRENT_VERSION] = s->fw_build;
        rep[SNP_SIM_OFF_CURRENT_VERSION + 1] = s->fw_minor;
        rep[SNP_SIM_OFF_CURRENT_VERSION + 2] = s->fw_major;
        rep[SNP_SIM_OFF_COMMITTED_VERSION] = s->fw_build;
        rep[SNP_SIM_OFF_COMMITTED_VERSION + 1] = s->fw_minor;
        rep[SNP_SIM_OFF_COMMITTED_VERSION + 2] = s->fw_major;
        sim_put_u64le(rep + SNP_SIM_OFF_LAUNCH_TCB, tcb);
        /* Version 5's mitigation vectors stay zero: none applied. */

        r = snp_sim_sign(key, rep);
        if (r < 0)
                return r;
        memcpy(ret, rep, sizeof(rep));
        return 0;
}

void snp_sim_response(uint32_t status, const uint8_t *report,
                      uint8_t resp[static SNP_SIM_RESPONSE_SIZE]) {
        memset(resp, 0, SNP_SIM_RESPONSE_SIZE);
        sim_put_u32le(resp, status);
        if (status != SNP_SIM_STATUS_SUCCESS || !report)
                return;
        sim_put_u32le(resp + 4, SNP_REPORT_SIZE);
        memcpy(resp + SNP_SIM_RESPONSE_HEADER_SIZE, report, SNP_REPORT_SIZE);
}

int snp_sim_cert_table(const SimCa *ca, uint8_t **ret, size_t *ret_size) {
        const struct {
                SnpCertKind kind;
                X509 *cert;
        } certs[] = {
                {SNP_CERT_KIND_ARK, ca->ark},
                {SNP_CERT_KIND_ASK, ca->ask},
                {SNP_CERT_KIND_VCEK, ca->vcek},
        };
        SnpCertTableEntry e[ELEMENTSOF(certs)] = {};
        uint8_t *der[ELEMENTSOF(certs)] = {};
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(certs) && r >= 0; i++) {
                int n = i2d_X509(certs[i].cert, &der[i]);

                if (n <= 0) {
                        r = -ENOMEM;
                        break;
                }
                (void)snp_cert_kind_guid(certs[i].kind, e[i].guid);
                e[i].data = der[i];
                e[i].size = (uint32_t)n;
        }
        if (r >= 0) {
                size = snp_cert_table_size(e, ELEMENTSOF(e));
                buf = size > 0 ? malloc(size) : NULL;
                r = buf ? snp_cert_table_build(e, ELEMENTSOF(e), buf, size, &size) : -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(certs); i++)
                OPENSSL_free(der[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}
