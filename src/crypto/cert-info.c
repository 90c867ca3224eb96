/* Describing certificates for verdicts and logs. */

#include "confnode/crypto/cert-info.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/hex.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/basic/openssl-cleanup.h"


int cert_info_fingerprint(X509 *cert, char ret[static CERT_INFO_FINGERPRINT_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (X509_digest(cert, evp_fetch_sha256(), md, &n) != 1 || n != 32) {
                ERR_clear_error();
                return -EINVAL;
        }
        hex_encode_to(md, n, ret);
        return 0;
}

static void cert_info_name(const X509_NAME *name, char *buf, size_t size) {
        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
        int n;

        if (size == 0)
                return;
        buf[0] = 0;
        if (!bio || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
                ERR_clear_error();
                return;
        }
        n = BIO_read(bio, buf, (int) (size - 1 > INT32_MAX ? INT32_MAX : size - 1));
        buf[n > 0 ? n : 0] = 0;
}

void cert_info_subject(X509 *cert, char *buf, size_t size) {
        cert_info_name(X509_get_subject_name(cert), buf, size);
}

void cert_info_issuer(X509 *cert, char *buf, size_t size) {
        cert_info_name(X509_get_issuer_name(cert), buf, size);
}

static void cert_info_name_cn(const X509_NAME *name, char *buf, size_t size) {
        const ASN1_STRING *s;
        int i;

        if (size == 0)
                return;
        buf[0] = 0;
        i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
        if (i < 0)
                return;
        s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        if (!s)
                return;
        /* Names are compared and printed, never trusted to be text: stop
         * at a NUL and replace what is not printable ASCII. */
        for (int k = 0; k < ASN1_STRING_length(s) && (size_t) k + 1 < size; k++) {
                unsigned char c = ASN1_STRING_get0_data(s)[k];

                if (c == 0)
                        break;
                buf[k] = c >= 0x20 && c < 0x7f ? (char) c : '?';
                buf[k + 1] = 0;
        }
}

void cert_info_common_name(X509 *cert, char *buf, size_t size) {
        cert_info_name_cn(X509_get_subject_name(cert), buf, size);
}

void cert_info_issuer_common_name(X509 *cert, char *buf, size_t size) {
        cert_info_name_cn(X509_get_issuer_name(cert), buf, size);
}

bool cert_info_is_self_signed(X509 *cert) {
        EVP_PKEY *key = X509_get0_pubkey(cert);
        bool ok;

        if (!key || X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
                ERR_clear_error();
                return false;
        }
        ok = X509_verify(cert, key) == 1;
        /* A failed check leaves errors on OpenSSL's queue that say no more
         * than the result. */
        ERR_clear_error();
        return ok;
}

static void cert_info_time(const ASN1_TIME *t, char buf[static 21]) {
        struct tm tm;

        buf[0] = 0;
        if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
                ERR_clear_error();
                return;
        }
        if (cert_time_format_rfc3339(timegm(&tm), buf) < 0)
                buf[0] = 0;
}

void cert_info_not_before(X509 *cert, char buf[static 21]) {
        cert_info_time(X509_get0_notBefore(cert), buf);
}

void cert_info_not_after(X509 *cert, char buf[static 21]) {
        cert_info_time(X509_get0_notAfter(cert), buf);
}
