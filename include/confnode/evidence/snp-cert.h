#pragma once

/* AMD's SEV-SNP certificates, told apart by what they contain (AMD's
 * "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface"
 * and VLEK specifications), never by file name:
 *   ARK   AMD Root Key, self-signed (CN "ARK-<product>")
 *   ASK   AMD SEV Key, signed by the ARK, signs VCEKs (CN "SEV-<product>")
 *   ASVK  AMD SEV VLEK Key, signed by the ARK, signs VLEKs
 *         (CN "SEV-VLEK-<product>")
 *   VCEK  per chip and TCB: ECDSA P-384, the TCB in the SPL extensions
 *         1.3.6.1.4.1.3704.1.3.x and the chip in hwID 1.3.6.1.4.1.3704.1.4
 *   VLEK  per cloud provider and TCB: the SPL extensions, no hwID (cspID
 *         1.3.6.1.4.1.3704.1.5 names the provider) */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "confnode/evidence/snp-report.h"

typedef enum SnpCertRole {
        SNP_CERT_ARK,
        SNP_CERT_ASK,
        SNP_CERT_ASVK,
        SNP_CERT_VCEK,
        SNP_CERT_VLEK,
        SNP_CERT_OTHER,
        _SNP_CERT_ROLE_MAX,
        _SNP_CERT_ROLE_INVALID = -EINVAL,
} SnpCertRole;

/* An SPL extension the certificate does not carry. */
#define SNP_CERT_SPL_ABSENT (-1)

/* The TCB a VCEK or VLEK was issued for: each SPL, or SNP_CERT_SPL_ABSENT. */
typedef struct SnpCertTcb {
        int bootloader; /* blSPL    1.3.6.1.4.1.3704.1.3.1 */
        int tee;        /* teeSPL   1.3.6.1.4.1.3704.1.3.2 */
        int snp;        /* snpSPL   1.3.6.1.4.1.3704.1.3.3 */
        int microcode;  /* ucodeSPL 1.3.6.1.4.1.3704.1.3.8 */
        int fmc;        /* fmcSPL   1.3.6.1.4.1.3704.1.3.9, Turin on */
} SnpCertTcb;

SnpCertRole snp_cert_role(X509 *cert);
const char *snp_cert_role_to_string(SnpCertRole role); /* "ark", "ask", …; NULL if out of range */

/* The SPL extensions. -ENODATA if the certificate carries none, -EBADMSG
 * if one is not a DER INTEGER of 0-255. */
int snp_cert_tcb(X509 *cert, SnpCertTcb *ret);

/* hwID: the chip ID the VCEK belongs to (64 bytes; 8 on Turin), whether
 * the extension holds the bytes themselves or, as newer KDS certificates
 * do, a DER OCTET STRING of them. -ENODATA if absent, -EBADMSG if of
 * another length. */
int snp_cert_hwid(X509 *cert, uint8_t ret[static SNP_CHIP_ID_SIZE], size_t *ret_size);

/* productName (1.3.6.1.4.1.3704.1.2, e.g. "Milan-B0"), printable ASCII,
 * truncated to fit; "" if absent. */
void snp_cert_product_name(X509 *cert, char *buf, size_t size);

/* The generation a certificate belongs to, from its productName or, for
 * AMD's CA certificates, the product in its common name ("ARK-Genoa",
 * "SEV-VLEK-Turin"). */
SnpGeneration snp_cert_generation(X509 *cert);
