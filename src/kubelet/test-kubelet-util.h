#pragma once

/* Fixtures for the kubelet tests: a self-signed CA in PEM and join
 * bundles built with json-c, so every value is escaped as JSON wants. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "confnode/crypto/cert-time.h"

#define TEST_TOKEN "abcdef.0123456789abcdef"
#define TEST_SERVER "https://10.0.0.1:6443"

/* A PEM self-signed P-256 certificate, malloc()ed; NULL on failure. */
static inline char *test_ca_pem(void) {
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        X509 *x = X509_new();
        X509_NAME *name = X509_NAME_new();
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem = NULL, *p;
        long n;

        if (!key || !x || !name || !bio)
                goto done;
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"kubernetes",
                                   -1, -1, 0);
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_subject_name(x, name);
        X509_set_issuer_name(x, name);
        X509_set_pubkey(x, key);
        if (X509_sign(x, key, EVP_sha256()) <= 0 || PEM_write_bio_X509(bio, x) != 1)
                goto done;
        n = BIO_get_mem_data(bio, &p);
        pem = strndup(p, (size_t)n);
done:
        BIO_free(bio);
        X509_NAME_free(name);
        X509_free(x);
        EVP_PKEY_free(key);
        return pem;
}

static inline void test_time(time_t t, char buf[static 21]) {
        if (cert_time_format_rfc3339(t, buf) < 0)
                abort();
}

/* A bundle's JSON text (malloc()ed); a NULL member is left out. */
static inline char *test_bundle(const char *api, const char *ca, const char *token,
                                const char *expires) {
        json_object *o = json_object_new_object();
        char *s;

        if (api)
                json_object_object_add(o, "api_server", json_object_new_string(api));
        if (ca)
                json_object_object_add(o, "cluster_ca", json_object_new_string(ca));
        if (token)
                json_object_object_add(o, "token", json_object_new_string(token));
        if (expires)
                json_object_object_add(o, "expires", json_object_new_string(expires));
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return s;
}
