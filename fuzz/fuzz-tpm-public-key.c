/* Attestation keys on arbitrary bytes, differentially: whatever
 * tpm_public_key_load() takes (PEM, DER, TPMT_PUBLIC, TPM2B_PUBLIC), the
 * SubjectPublicKeyInfo tpm_public_key_spki() writes must be the bytes
 * OpenSSL's encoder writes, and a DER SubjectPublicKeyInfo must load as the
 * key OpenSSL's decoder makes of it. Seeded with the peer AKs. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "confnode/tpm/tpm-public-key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL, *decoded = NULL;
        unsigned char *der = NULL;
        const unsigned char *p = data;
        uint8_t spki[1200];
        char fp[17];
        size_t n;
        int r, der_size;
        ParseError err;
        TpmKeyFormat format = _TPM_KEY_FORMAT_INVALID;

        r = tpm_public_key_load(data, size, &key, &format, NULL, NULL, &err);
        if (size > 0 && data[0] == 0x30 && size < INT32_MAX)
                decoded = d2i_PUBKEY(NULL, &p, (long)size);
        if ((r >= 0 && format == TPM_KEY_FORMAT_DER) || (r < 0 && size > 0 && data[0] == 0x30)) {
                /* The quick EC import and the decoder agree on what is a key. */
                bool whole = decoded && p == data + size;

                if ((r >= 0) != whole && r != -ENOMEM)
                        abort();
                if (r >= 0 && EVP_PKEY_eq(key, decoded) != 1)
                        abort();
        }
        if (r < 0)
                return 0;
        if (tpm_public_key_fingerprint(key, fp) < 0)
                abort();
        if (tpm_public_key_spki(key, spki, sizeof(spki), &n) < 0)
                return 0;
        der_size = i2d_PUBKEY(key, &der);
        if (der_size <= 0 || (size_t)der_size != n || memcmp(der, spki, n) != 0)
                abort();
        OPENSSL_free(der);
        return 0;
}
