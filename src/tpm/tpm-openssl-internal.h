#pragma once

/* Cleanup helpers for the OpenSSL types src/tpm uses. */

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "confnode/basic/cleanup.h"

DEFINE_CLEANUP(BIO, BIO_free)
DEFINE_CLEANUP(BIGNUM, BN_free)
DEFINE_CLEANUP(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
DEFINE_CLEANUP(OSSL_PARAM, OSSL_PARAM_free)
DEFINE_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
DEFINE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
DEFINE_CLEANUP(EVP_MD, EVP_MD_free)
DEFINE_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)
