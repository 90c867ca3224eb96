/* Reading AMD's SEV-SNP certificates: which one a certificate is, and what
 * its AMD extensions say. The extension values are DER inside the
 * extension's OCTET STRING (an INTEGER per SPL, an IA5String productName),
 * except hwID, which older KDS certificates carry as the bare chip ID. */

#include "confnode/evidence/snp-cert.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "confnode/basic/cleanup.h"
#include "confnode/crypto/cert-info.h"
#include "confnode/basic/openssl-cleanup.h"

#define SNP_OID_PRODUCT_NAME "1.3.6.1.4.1.3704.1.2"
#define SNP_OID_SPL_PREFIX "1.3.6.1.4.1.3704.1.3."
#define SNP_OID_BL_SPL "1.3.6.1.4.1.3704.1.3.1"
#define SNP_OID_TEE_SPL "1.3.6.1.4.1.3704.1.3.2"
#define SNP_OID_SNP_SPL "1.3.6.1.4.1.3704.1.3.3"
#define SNP_OID_UCODE_SPL "1.3.6.1.4.1.3704.1.3.8"
#define SNP_OID_FMC_SPL "1.3.6.1.4.1.3704.1.3.9"
#define SNP_OID_HWID "1.3.6.1.4.1.3704.1.4"

/* A Turin hwID is the 8-byte chip ID; earlier products use all 64. */
#define SNP_HWID_SIZE_TURIN 8


static const char *const role_names[_SNP_CERT_ROLE_MAX] = {
        [SNP_CERT_ARK] = "ark",   [SNP_CERT_ASK] = "ask",   [SNP_CERT_ASVK] = "asvk",
        [SNP_CERT_VCEK] = "vcek", [SNP_CERT_VLEK] = "vlek", [SNP_CERT_OTHER] = "other",
};

const char *snp_cert_role_to_string(SnpCertRole role) {
        if (role < 0 || role >= _SNP_CERT_ROLE_MAX)
                return NULL;
        return role_names[role];
}

/* The value of the extension with this dotted OID, or NULL. AMD's OIDs
 * are not registered with OpenSSL, so they are compared as text. */
static const ASN1_OCTET_STRING *snp_cert_ext(X509 *cert, const char *oid) {
        int n = X509_get_ext_count(cert);

        for (int i = 0; i < n; i++) {
                X509_EXTENSION *ext = X509_get_ext(cert, i);
                char buf[64];

                if (OBJ_obj2txt(buf, sizeof(buf), X509_EXTENSION_get_object(ext), 1) <= 0)
                        continue;
                if (strcmp(buf, oid) == 0)
                        return X509_EXTENSION_get_data(ext);
        }
        return NULL;
}

static bool snp_cert_has_spl(X509 *cert) {
        int n = X509_get_ext_count(cert);

        for (int i = 0; i < n; i++) {
                char buf[64];

                if (OBJ_obj2txt(buf, sizeof(buf), X509_EXTENSION_get_object(X509_get_ext(cert, i)),
                                1) <= 0)
                        continue;
                if (strncmp(buf, SNP_OID_SPL_PREFIX, strlen(SNP_OID_SPL_PREFIX)) == 0)
                        return true;
        }
        return false;
}

static bool snp_cert_cn_starts(X509 *cert, const char *prefix) {
        char cn[128];

        cert_info_common_name(cert, cn, sizeof(cn));
        return strncmp(cn, prefix, strlen(prefix)) == 0;
}

SnpCertRole snp_cert_role(X509 *cert) {
        uint8_t hwid[SNP_CHIP_ID_SIZE];
        size_t n;
        SnpCertRole role;

        if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0)
                role = SNP_CERT_ARK;
        else if (snp_cert_has_spl(cert)) {
                /* The hwID ties a key to one chip; a VLEK belongs to a
                 * provider and has none. */
                if (snp_cert_hwid(cert, hwid, &n) != -ENODATA ||
                    snp_cert_cn_starts(cert, "SEV-VCEK"))
                        role = SNP_CERT_VCEK;
                else
                        role = SNP_CERT_VLEK;
        } else if (X509_check_ca(cert) > 0)
                role = snp_cert_cn_starts(cert, "SEV-VLEK") ? SNP_CERT_ASVK : SNP_CERT_ASK;
        else
                role = SNP_CERT_OTHER;
        ERR_clear_error();
        return role;
}

static int snp_cert_spl(X509 *cert, const char *oid, int *ret) {
        _cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *i = NULL;
        const ASN1_OCTET_STRING *v = snp_cert_ext(cert, oid);
        const unsigned char *p;
        int64_t value;
        int len;

        if (!v) {
                *ret = SNP_CERT_SPL_ABSENT;
                return 0;
        }
        p = ASN1_STRING_get0_data(v);
        len = ASN1_STRING_length(v);
        i = d2i_ASN1_INTEGER(NULL, &p, len);
        /* The INTEGER must be all of the value: re-encoding it gives its
         * length without arithmetic on the input pointer. */
        if (!i || i2d_ASN1_INTEGER(i, NULL) != len || ASN1_INTEGER_get_int64(&value, i) != 1 ||
            value < 0 || value > 255) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = (int) value;
        return 0;
}

int snp_cert_tcb(X509 *cert, SnpCertTcb *ret) {
        SnpCertTcb t;
        int r;

        if (!snp_cert_has_spl(cert))
                return -ENODATA;
        r = snp_cert_spl(cert, SNP_OID_BL_SPL, &t.bootloader);
        if (r >= 0)
                r = snp_cert_spl(cert, SNP_OID_TEE_SPL, &t.tee);
        if (r >= 0)
                r = snp_cert_spl(cert, SNP_OID_SNP_SPL, &t.snp);
        if (r >= 0)
                r = snp_cert_spl(cert, SNP_OID_UCODE_SPL, &t.microcode);
        if (r >= 0)
                r = snp_cert_spl(cert, SNP_OID_FMC_SPL, &t.fmc);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

static bool snp_cert_hwid_size_ok(int n) {
        return n == SNP_CHIP_ID_SIZE || n == SNP_HWID_SIZE_TURIN;
}

int snp_cert_hwid(X509 *cert, uint8_t ret[static SNP_CHIP_ID_SIZE], size_t *ret_size) {
        _cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *inner = NULL;
        const ASN1_OCTET_STRING *v = snp_cert_ext(cert, SNP_OID_HWID);
        const unsigned char *p;
        int len;

        if (!v)
                return -ENODATA;
        p = ASN1_STRING_get0_data(v);
        len = ASN1_STRING_length(v);
        /* A bare chip ID has one of the two sizes; a wrapped one is two
         * bytes longer and decodes as an OCTET STRING of such a size. */
        if (!snp_cert_hwid_size_ok(len)) {
                inner = d2i_ASN1_OCTET_STRING(NULL, &p, len);
                if (!inner || i2d_ASN1_OCTET_STRING(inner, NULL) != len ||
                    !snp_cert_hwid_size_ok(ASN1_STRING_length(inner))) {
                        ERR_clear_error();
                        return -EBADMSG;
                }
                p = ASN1_STRING_get0_data(inner);
                len = ASN1_STRING_length(inner);
        }
        memcpy(ret, p, (size_t) len);
        *ret_size = (size_t) len;
        return 0;
}

void snp_cert_product_name(X509 *cert, char *buf, size_t size) {
        _cleanup_(ASN1_IA5STRING_freep) ASN1_IA5STRING *s = NULL;
        const ASN1_OCTET_STRING *v = snp_cert_ext(cert, SNP_OID_PRODUCT_NAME);
        const unsigned char *p, *text;
        int len;

        if (size == 0)
                return;
        buf[0] = 0;
        if (!v)
                return;
        p = ASN1_STRING_get0_data(v);
        len = ASN1_STRING_length(v);
        s = d2i_ASN1_IA5STRING(NULL, &p, len);
        ERR_clear_error();
        if (s) {
                text = ASN1_STRING_get0_data(s);
                len = ASN1_STRING_length(s);
        } else
                text = ASN1_STRING_get0_data(v);
        for (int k = 0; k < len && (size_t) k + 1 < size; k++) {
                if (text[k] == 0)
                        break;
                buf[k] = text[k] >= 0x20 && text[k] < 0x7f ? (char) text[k] : '?';
                buf[k + 1] = 0;
        }
}

static SnpGeneration snp_cert_generation_from_name(const char *name) {
        static const struct {
                const char *prefix;
                SnpGeneration generation;
        } products[] = {
                {"Milan", SNP_GENERATION_MILAN},
                {"Genoa", SNP_GENERATION_GENOA},
                {"Turin", SNP_GENERATION_TURIN},
        };

        for (size_t i = 0; i < ELEMENTSOF(products); i++)
                if (strncmp(name, products[i].prefix, strlen(products[i].prefix)) == 0)
                        return products[i].generation;
        return SNP_GENERATION_UNKNOWN;
}

SnpGeneration snp_cert_generation(X509 *cert) {
        char name[128];
        const char *dash;

        snp_cert_product_name(cert, name, sizeof(name));
        if (name[0])
                return snp_cert_generation_from_name(name);
        /* AMD's CA certificates carry no productName; their common names
         * end in the product. */
        cert_info_common_name(cert, name, sizeof(name));
        dash = strrchr(name, '-');
        return dash ? snp_cert_generation_from_name(dash + 1) : SNP_GENERATION_UNKNOWN;
}
