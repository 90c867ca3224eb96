#pragma once

/* Cleanup helpers for the OpenSSL types src/tpm uses. */

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/openssl-cleanup.h"

/* DER, just what SubjectPublicKeyInfo and an ECDSA-Sig-Value need
 * (tpm-public-key.c). tpm_der_header() writes a tag and a definite length
 * (up to 2^24 - 1) and returns its size; tpm_der_header_size() is that
 * size. tpm_der_uint() writes a non-negative big-endian number as an
 * INTEGER (leading zeros dropped, 0x00 put back before a set top bit) and
 * returns its size; with p NULL it only returns the size. */
size_t tpm_der_header_size(size_t len);
size_t tpm_der_header(uint8_t *p, uint8_t tag, size_t len);
size_t tpm_der_uint(uint8_t *p, const uint8_t *be, size_t size);

