#pragma once

/* Cleanup helpers for the OpenSSL types we own, in one place so every file
 * that holds one can use _cleanup_(TYPE_freep) without defining its own. */

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "confnode/basic/cleanup.h"

DEFINE_CLEANUP(EVP_PKEY, EVP_PKEY_free)
DEFINE_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
DEFINE_CLEANUP(EVP_MD, EVP_MD_free)
DEFINE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
DEFINE_CLEANUP(EVP_CIPHER, EVP_CIPHER_free)
DEFINE_CLEANUP(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
DEFINE_CLEANUP(EVP_KDF, EVP_KDF_free)
DEFINE_CLEANUP(EVP_KDF_CTX, EVP_KDF_CTX_free)
DEFINE_CLEANUP(BIGNUM, BN_free)
DEFINE_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)
DEFINE_CLEANUP(BIO, BIO_free)
DEFINE_CLEANUP(OSSL_PARAM, OSSL_PARAM_free)
DEFINE_CLEANUP(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
DEFINE_CLEANUP(X509, X509_free)
DEFINE_CLEANUP(X509_STORE, X509_STORE_free)
DEFINE_CLEANUP(X509_STORE_CTX, X509_STORE_CTX_free)
DEFINE_CLEANUP(X509_NAME, X509_NAME_free)
DEFINE_CLEANUP(X509_EXTENSION, X509_EXTENSION_free)
DEFINE_CLEANUP(X509_CRL, X509_CRL_free)
DEFINE_CLEANUP(ASN1_OBJECT, ASN1_OBJECT_free)
DEFINE_CLEANUP(ASN1_INTEGER, ASN1_INTEGER_free)
DEFINE_CLEANUP(ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
DEFINE_CLEANUP(ASN1_IA5STRING, ASN1_IA5STRING_free)
