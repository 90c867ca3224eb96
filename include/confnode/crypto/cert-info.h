#pragma once

/* What a verdict says about a certificate: who it names, its fingerprint,
 * whether it signed itself, and when it is valid. */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#define CERT_INFO_FINGERPRINT_SIZE 65 /* SHA-256 of the DER, lower-case hex, NUL */

/* SHA-256 over the DER encoding. -EINVAL if the certificate cannot be
 * encoded, -ENOMEM. */
int cert_info_fingerprint(X509 *cert, char ret[static CERT_INFO_FINGERPRINT_SIZE]);

/* The subject (or issuer) as one RFC 2253 line, truncated to fit buf. */
void cert_info_subject(X509 *cert, char *buf, size_t size);
void cert_info_issuer(X509 *cert, char *buf, size_t size);

/* The value of the subject's (issuer's) first commonName, or "", in
 * printable ASCII and truncated to fit. */
void cert_info_common_name(X509 *cert, char *buf, size_t size);
void cert_info_issuer_common_name(X509 *cert, char *buf, size_t size);

/* Issuer equals subject and the certificate's own key verifies its
 * signature: a root, as far as the certificate itself can say. */
bool cert_info_is_self_signed(X509 *cert);

/* notBefore / notAfter as RFC 3339 UTC ("2029-09-24T00:55:28Z"); "" if
 * the certificate's time does not convert. */
void cert_info_not_before(X509 *cert, char buf[static 21]);
void cert_info_not_after(X509 *cert, char buf[static 21]);
