/* TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC decoding and quote
 * verification, against the peer quotes (PEER_DATA) and hand-made broken
 * inputs: empty, one byte short at every length, oversized counts and
 * sizes, trailing bytes. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-pcr-values.h"
#include "confnode/tpm/tpm-public-key.h"
#include "confnode/tpm/tpm-quote-verify.h"

static const char *const peer_attests[] = {
        "tpm-quote/ga-win-gcp-sha1.attest",
        "tpm-quote/gtt-cos85-n9009-sha1.attest",
        "tpm-quote/gtt-cos85-n9009-sha256.attest",
        "tpm-quote/gtt-cos85-n9009-sha384.attest",
};
static const char *const peer_sigs[] = {
        "tpm-quote/ga-win-gcp-sha1.sig",
        "tpm-quote/gtt-cos85-n9009-sha1.sig",
        "tpm-quote/gtt-cos85-n9009-sha256.sig",
        "tpm-quote/gtt-cos85-n9009-sha384.sig",
};
static const char *const peer_publics[] = {
        "tpm-quote/ga-win-gcp-akpub.bin",
        "tpm-quote/gtt-cos85-n9009-akpub.bin",
};

/* Reads PEER_DATA/name; skips the test when the peer data is not there. */
static void read_peer(const char *name, uint8_t **ret, size_t *ret_size) {
        const char *dir = getenv("PEER_DATA");
        char path[4096];

        if (!dir)
                skip();
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_int_equal(read_full_file(path, 1024 * 1024, ret, ret_size), 0);
}

static json_object *read_peer_json(const char *name) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        json_object *j;

        read_peer(name, &data, &size);
        data = realloc(data, size + 1);
        assert_non_null(data);
        data[size] = 0;
        j = json_tokener_parse((const char *)data);
        assert_non_null(j);
        return j;
}

static json_object *get(json_object *j, const char *key) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(j, key, &v));
        return v;
}

static void test_empty(void **state) {
        TpmAttest a;
        TpmSignature s;
        TpmPublic p;
        ParseError err;
        (void)state;

        assert_int_equal(tpm_attest_parse(NULL, 0, &a, &err), -EBADMSG);
        assert_true(err.set);
        assert_int_equal(tpm_attest_signature_parse((const uint8_t *)"", 0, &s, &err), -EBADMSG);
        assert_true(err.set);
        assert_int_equal(tpm_attest_public_parse((const uint8_t *)"", 0, &p, NULL), -EBADMSG);
}

/* Every proper prefix of a valid structure is malformed, and the parser
 * must say where. */
static void check_prefixes(const char *name,
                           int (*parse)(const uint8_t *, size_t, void *, ParseError *)) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        union {
                TpmAttest a;
                TpmSignature s;
                TpmPublic p;
        } out;
        ParseError err;

        read_peer(name, &data, &size);
        assert_int_equal(parse(data, size, &out, &err), 0);
        for (size_t n = 0; n < size; n++) {
                /* A heap copy of exactly n bytes, so ASan sees any read
                 * past the end. */
                _cleanup_free_ uint8_t *copy = malloc(n ? n : 1);

                assert_non_null(copy);
                memcpy(copy, data, n);
                if (parse(copy, n, &out, &err) != -EBADMSG)
                        fail_msg("%s: prefix of %zu bytes was accepted", name, n);
                assert_true(err.set);
                assert_true(err.offset <= n);
        }
}

static int parse_attest(const uint8_t *d, size_t n, void *ret, ParseError *err) {
        return tpm_attest_parse(d, n, ret, err);
}
static int parse_signature(const uint8_t *d, size_t n, void *ret, ParseError *err) {
        return tpm_attest_signature_parse(d, n, ret, err);
}
static int parse_public(const uint8_t *d, size_t n, void *ret, ParseError *err) {
        return tpm_attest_public_parse(d, n, ret, err);
}

static void test_short_attest(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peer_attests); i++)
                check_prefixes(peer_attests[i], parse_attest);
}

static void test_short_signature(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peer_sigs); i++)
                check_prefixes(peer_sigs[i], parse_signature);
}

static void test_short_public(void **state) {
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(peer_publics); i++)
                check_prefixes(peer_publics[i], parse_public);
}

static void test_trailing(void **state) {
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        TpmAttest a;
        TpmSignature s;
        ParseError err;
        (void)state;

        read_peer("tpm-quote/gtt-cos85-n9009-sha256.attest", &data, &size);
        data = realloc(data, size + 1);
        assert_non_null(data);
        data[size] = 0;
        assert_int_equal(tpm_attest_parse(data, size + 1, &a, &err), -EBADMSG);
        assert_int_equal(err.offset, size);
        free(data);
        data = NULL;
        read_peer("tpm-quote/gtt-cos85-n9009-sha256.sig", &data, &size);
        data = realloc(data, size + 1);
        assert_non_null(data);
        data[size] = 0;
        assert_int_equal(tpm_attest_signature_parse(data, size + 1, &s, &err), -EBADMSG);
}

/* A hand-made quote: magic, type, an empty signer, a 2-byte nonce, clock
 * info, firmware, then what the test appends. */
static size_t quote_header(uint8_t *b) {
        static const uint8_t h[] = {
                0xff, 0x54, 0x43, 0x47, 0x80, 0x18,          /* magic, TPM_ST_ATTEST_QUOTE */
                0x00, 0x00,                                  /* qualified_signer: empty */
                0x00, 0x02, 0x90, 0x09,                      /* extra_data */
                0,    0,    0,    0,    0,    0,    0, 1,    /* clock */
                0,    0,    0,    2,    0,    0,    0, 3, 1, /* reset, restart, safe */
                0,    0,    0,    0,    0,    0,    0, 4,    /* firmware_version */
        };
        memcpy(b, h, sizeof(h));
        return sizeof(h);
}

static void test_handmade_quote(void **state) {
        uint8_t b[256];
        size_t n = quote_header(b);
        static const uint8_t tail[] = {
                0,    0,    0, 2,                /* two banks */
                0x00, 0x0b, 3, 0xff, 0x00, 0x00, /* sha256: 0-7 */
                0x00, 0x04, 3, 0x00, 0x02, 0x80, /* sha1: 9, 23 */
                0x00, 0x20,                      /* pcr_digest: 32 bytes */
        };
        TpmAttest a;
        (void)state;

        memcpy(b + n, tail, sizeof(tail));
        n += sizeof(tail);
        memset(b + n, 0xab, 32);
        n += 32;
        assert_int_equal(tpm_attest_parse(b, n, &a, NULL), 0);
        assert_int_equal(a.type, TPM_ST_ATTEST_QUOTE);
        assert_int_equal(a.extra_data_size, 2);
        assert_memory_equal(a.extra_data, "\x90\x09", 2);
        assert_int_equal(a.clock_info.clock, 1);
        assert_int_equal(a.clock_info.reset_count, 2);
        assert_int_equal(a.clock_info.restart_count, 3);
        assert_true(a.clock_info.safe);
        assert_int_equal(a.firmware_version, 4);
        assert_int_equal(a.pcr_select.n_banks, 2);
        assert_int_equal(a.pcr_select.banks[0].alg, TPM_ALG_SHA256);
        assert_int_equal(a.pcr_select.banks[0].mask, 0xff);
        assert_int_equal(a.pcr_select.banks[1].alg, TPM_ALG_SHA1);
        assert_int_equal(a.pcr_select.banks[1].mask, (1u << 9) | (1u << 23));
        assert_int_equal(a.pcr_digest_size, 32);
}

/* Each case: the bytes after the header, and the field the error must
 * name. */
static void check_bad_tail(const uint8_t *tail, size_t tail_size, const char *field) {
        uint8_t b[70000];
        size_t n = quote_header(b);
        TpmAttest a;
        ParseError err;

        memcpy(b + n, tail, tail_size);
        n += tail_size;
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_true(err.set);
        if (field) {
                assert_non_null(err.field);
                assert_string_equal(err.field, field);
        }
}

static void test_oversized_counts(void **state) {
        (void)state;

        /* A bank count far beyond anything, and one just beyond our limit. */
        check_bad_tail(
                (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0, 0x0b, 3, 0xff, 0xff, 0xff, 0, 0}, 12,
                "pcr_select.count");
        check_bad_tail((const uint8_t[]){0, 0, 0, 5, 0, 0x0b, 3, 0xff, 0xff, 0xff, 0, 0}, 12,
                       "pcr_select.count");
        /* A count that fits the limit but not the bytes left. */
        check_bad_tail((const uint8_t[]){0, 0, 0, 4, 0, 0x0b, 3, 0xff, 0xff, 0xff, 0, 0}, 12,
                       "pcr_select.count");
        /* sizeofSelect beyond PCR_SELECT_MAX. */
        check_bad_tail((const uint8_t[]){0, 0, 0, 1, 0, 0x0b, 200, 0xff, 0xff, 0xff, 0, 0}, 12,
                       "pcr_select.sizeof_select");
        /* A PCR beyond 23. */
        check_bad_tail((const uint8_t[]){0, 0, 0, 1, 0, 0x0b, 4, 0, 0, 0, 1, 0, 0}, 13,
                       "pcr_select.pcr_select");
        /* An unknown hash. */
        check_bad_tail((const uint8_t[]){0, 0, 0, 1, 0x12, 0x34, 3, 0xff, 0, 0, 0, 0}, 12,
                       "pcr_select.hash");
        /* pcr_digest larger than any digest, with the bytes present. */
        {
                uint8_t t[4 + 2 + 65] = {0, 0, 0, 0, 0, 65};

                check_bad_tail(t, sizeof(t), "pcr_digest");
        }
        /* pcr_digest claiming 0xffff bytes. */
        check_bad_tail((const uint8_t[]){0, 0, 0, 0, 0xff, 0xff, 1, 2}, 8, "pcr_digest");
}

static void test_bad_header(void **state) {
        uint8_t b[128];
        size_t n = quote_header(b);
        TpmAttest a;
        ParseError err;
        (void)state;

        memcpy(b + n, "\0\0\0\0\0\0", 6);
        n += 6;
        assert_int_equal(tpm_attest_parse(b, n, &a, NULL), 0);

        b[0] = 0xfe;
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_string_equal(err.field, "magic");
        b[0] = 0xff;

        b[5] = 0x13; /* 0x8013: not an attestation */
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_string_equal(err.field, "type");
        b[5] = 0x18;

        b[28] = 2; /* safe is a TPMI_YES_NO */
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_string_equal(err.field, "clock_info.safe");
        b[28] = 1;

        b[8] = 0x00;
        b[9] = 0x41; /* extra_data of 65 bytes: more than any TPM2B_DATA */
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_string_equal(err.field, "extra_data");
        b[9] = 0x02;

        b[6] = 0xff; /* qualified_signer claiming 0xff00 bytes */
        assert_int_equal(tpm_attest_parse(b, n, &a, &err), -EBADMSG);
        assert_string_equal(err.field, "qualified_signer");
}

static void test_other_attest_type(void **state) {
        uint8_t b[128];
        size_t n = quote_header(b);
        TpmAttest a;
        (void)state;

        b[5] = 0x17; /* TPM_ST_ATTEST_CERTIFY: body kept undecoded */
        memcpy(b + n, "\x00\x02\xaa\xbb\x00\x00", 6);
        n += 6;
        assert_int_equal(tpm_attest_parse(b, n, &a, NULL), 0);
        assert_int_equal(a.type, TPM_ST_ATTEST_CERTIFY);
        assert_int_equal(a.attested_size, 6);
        assert_string_equal(tpm_attest_type_to_string(a.type), "TPM_ST_ATTEST_CERTIFY");
}

static void test_bad_signature(void **state) {
        TpmSignature s;
        ParseError err;
        (void)state;

        /* Unsupported scheme (HMAC). */
        assert_int_equal(
                tpm_attest_signature_parse((const uint8_t[]){0x00, 0x05, 0x00, 0x0b}, 4, &s, &err),
                -EBADMSG);
        assert_string_equal(err.field, "sig_alg");
        /* RSA signature larger than 4096 bits. */
        {
                static uint8_t b[6 + 513] = {0x00, 0x14, 0x00, 0x0b, 0x02, 0x01};

                assert_int_equal(tpm_attest_signature_parse(b, sizeof(b), &s, &err), -EBADMSG);
                assert_string_equal(err.field, "signature.sig");
        }
        /* Empty RSA signature. */
        assert_int_equal(tpm_attest_signature_parse((const uint8_t[]){0x00, 0x14, 0x00, 0x0b, 0, 0},
                                                    6, &s, &err),
                         -EBADMSG);
        /* ECDSA with r of 67 bytes. */
        {
                static uint8_t b[4 + 2 + 67 + 2] = {0x00, 0x18, 0x00, 0x0b, 0x00, 67};

                assert_int_equal(tpm_attest_signature_parse(b, sizeof(b), &s, &err), -EBADMSG);
                assert_string_equal(err.field, "signature.signature_r");
        }
        /* A valid ECDSA one. */
        {
                uint8_t b[4 + 2 + 32 + 2 + 32] = {0x00, 0x18, 0x00, 0x0b, 0x00, 32};

                b[38] = 0;
                b[39] = 32;
                assert_int_equal(tpm_attest_signature_parse(b, sizeof(b), &s, NULL), 0);
                assert_int_equal(s.sig_alg, TPM_ALG_ECDSA);
                assert_int_equal(s.ecdsa_r_size, 32);
                assert_int_equal(s.ecdsa_s_size, 32);
        }
}

static void test_peer_cos85_values(void **state) {
        _cleanup_(json_object_putp) json_object *summary =
                read_peer_json("tpm-quote/gtt-cos85-n9009.json");
        json_object *quotes = get(summary, "quotes");
        (void)state;

        assert_int_equal(json_object_array_length(quotes), 3);
        for (size_t i = 0; i < 3; i++) {
                json_object *q = json_object_array_get_idx(quotes, i);
                _cleanup_free_ uint8_t *attest = NULL, *sig = NULL, *digest = NULL, *nonce = NULL;
                char path[256];
                size_t attest_size, sig_size, digest_size, nonce_size;
                json_object *sel = json_object_array_get_idx(get(q, "pcr_select"), 0);
                TpmAttest a;
                TpmSignature s;

                snprintf(path, sizeof(path), "tpm-quote/%s",
                         json_object_get_string(get(q, "attest_file")));
                read_peer(path, &attest, &attest_size);
                snprintf(path, sizeof(path), "tpm-quote/%s",
                         json_object_get_string(get(q, "sig_file")));
                read_peer(path, &sig, &sig_size);

                assert_int_equal(tpm_attest_parse(attest, attest_size, &a, NULL), 0);
                assert_int_equal(a.magic, TPM_GENERATED_VALUE);
                assert_int_equal(a.type, TPM_ST_ATTEST_QUOTE);
                assert_int_equal(hex_decode(json_object_get_string(get(q, "extra_data_nonce")),
                                            &nonce, &nonce_size),
                                 0);
                assert_int_equal(a.extra_data_size, nonce_size);
                assert_memory_equal(a.extra_data, nonce, nonce_size);
                assert_int_equal(a.clock_info.clock, json_object_get_uint64(get(q, "clock")));
                assert_int_equal(
                        a.firmware_version,
                        strtoull(json_object_get_string(get(q, "firmware_version")), NULL, 16));
                assert_int_equal(a.pcr_select.n_banks, 1);
                assert_int_equal(a.pcr_select.banks[0].alg,
                                 strtoul(json_object_get_string(get(sel, "hash_alg")), NULL, 16));
                assert_int_equal(a.pcr_select.banks[0].mask, 0xffffff);
                assert_int_equal(hex_decode(json_object_get_string(get(q, "pcr_digest")), &digest,
                                            &digest_size),
                                 0);
                assert_int_equal(a.pcr_digest_size, digest_size);
                assert_memory_equal(a.pcr_digest, digest, digest_size);

                assert_int_equal(tpm_attest_signature_parse(sig, sig_size, &s, NULL), 0);
                assert_int_equal(s.sig_alg,
                                 strtoul(json_object_get_string(get(q, "sig_alg")), NULL, 16));
                assert_int_equal(s.hash_alg,
                                 strtoul(json_object_get_string(get(q, "sig_hash")), NULL, 16));
                assert_int_equal(s.rsa_size, 256);
        }
}

static void test_peer_ga_win_gcp_values(void **state) {
        _cleanup_free_ uint8_t *attest = NULL, *sig = NULL;
        size_t attest_size, sig_size;
        TpmAttest a;
        TpmSignature s;
        (void)state;

        /* PROVENANCE: TPMS_ATTEST over the SHA-1 bank, PCR 0-23, empty
         * extraData; TPMT_SIGNATURE RSASSA with SHA-1. */
        read_peer("tpm-quote/ga-win-gcp-sha1.attest", &attest, &attest_size);
        read_peer("tpm-quote/ga-win-gcp-sha1.sig", &sig, &sig_size);
        assert_int_equal(tpm_attest_parse(attest, attest_size, &a, NULL), 0);
        assert_int_equal(a.type, TPM_ST_ATTEST_QUOTE);
        assert_int_equal(a.extra_data_size, 0);
        assert_int_equal(a.pcr_select.n_banks, 1);
        assert_int_equal(a.pcr_select.banks[0].alg, TPM_ALG_SHA1);
        assert_int_equal(a.pcr_select.banks[0].mask, 0xffffff);
        assert_int_equal(a.pcr_digest_size, 20);
        assert_int_equal(tpm_attest_signature_parse(sig, sig_size, &s, NULL), 0);
        assert_int_equal(s.sig_alg, TPM_ALG_RSASSA);
        assert_int_equal(s.hash_alg, TPM_ALG_SHA1);
}

static void test_peer_publics(void **state) {
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(peer_publics); i++) {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL, *again = NULL;
                _cleanup_free_ uint8_t *data = NULL;
                _cleanup_free_ char *pem = NULL;
                char fp[17];
                size_t size;
                TpmPublic p;
                TpmKeyFormat format;

                read_peer(peer_publics[i], &data, &size);
                assert_int_equal(tpm_attest_public_parse(data, size, &p, NULL), 0);
                /* PROVENANCE: both AKs are RSA-2048. */
                assert_int_equal(p.type, TPM_ALG_RSA);
                assert_int_equal(p.rsa_key_bits, 2048);
                assert_int_equal(p.rsa_modulus_size, 256);
                assert_true(p.object_attributes & TPM_ATTR_SIGN);
                assert_int_equal(tpm_public_key_from_tpmt(&p, &key), 0);
                assert_int_equal(EVP_PKEY_get_bits(key), 2048);
                assert_int_equal(tpm_public_key_fingerprint(key, fp), 0);
                assert_int_equal(strlen(fp), 16);

                /* The PEM we write loads back as the same key. */
                assert_int_equal(tpm_public_key_to_pem(key, &pem), 0);
                assert_int_equal(tpm_public_key_load((const uint8_t *)pem, strlen(pem), &again,
                                                     &format, NULL, NULL, NULL),
                                 0);
                assert_int_equal(format, TPM_KEY_FORMAT_PEM);
                assert_int_equal(EVP_PKEY_eq(key, again), 1);
        }
        {
                _cleanup_free_ uint8_t *data = NULL;
                size_t size;
                TpmPublic p;

                read_peer("tpm-quote/gtt-cos85-n9009-akpub.bin", &data, &size);
                assert_int_equal(tpm_attest_public_parse(data, size, &p, NULL), 0);
                /* PROVENANCE: RSASSA-SHA256. */
                assert_int_equal(p.scheme, TPM_ALG_RSASSA);
                assert_int_equal(p.scheme_hash, TPM_ALG_SHA256);
        }
}

static void test_key_formats(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *a = NULL, *b = NULL;
        _cleanup_free_ uint8_t *data = NULL, *tpm2b = NULL;
        size_t size;
        TpmKeyFormat format;
        TpmPublic pub;
        bool has_pub = false;
        ParseError err;
        (void)state;

        read_peer("tpm-quote/gtt-cos85-n9009-akpub.bin", &data, &size);
        assert_int_equal(tpm_public_key_load(data, size, &a, &format, &pub, &has_pub, NULL), 0);
        assert_int_equal(format, TPM_KEY_FORMAT_TPMT);
        assert_true(has_pub);

        /* The same with a TPM2B size in front. */
        tpm2b = malloc(size + 2);
        assert_non_null(tpm2b);
        tpm2b[0] = (uint8_t)(size >> 8);
        tpm2b[1] = (uint8_t)size;
        memcpy(tpm2b + 2, data, size);
        assert_int_equal(tpm_public_key_load(tpm2b, size + 2, &b, &format, NULL, NULL, NULL), 0);
        assert_int_equal(format, TPM_KEY_FORMAT_TPM2B);
        assert_int_equal(EVP_PKEY_eq(a, b), 1);

        /* Garbage is none of the formats. */
        EVP_PKEY_free(b);
        b = NULL;
        assert_int_equal(
                tpm_public_key_load((const uint8_t *)"garbage!", 8, &b, &format, NULL, NULL, &err),
                -EBADMSG);
        assert_null(b);
        assert_int_equal(tpm_public_key_load((const uint8_t *)"-----BEGIN PUBLIC KEY-----\nAAAA\n",
                                             31, &b, &format, NULL, NULL, &err),
                         -EBADMSG);
}

static void load_cos85(const char *bank, uint8_t **attest, size_t *attest_size, TpmSignature *sig,
                       EVP_PKEY **ak, TpmPcrValues *pcrs) {
        _cleanup_(json_object_putp) json_object *summary =
                read_peer_json("tpm-quote/gtt-cos85-n9009.json");
        _cleanup_free_ uint8_t *s = NULL, *k = NULL;
        _cleanup_(json_object_putp) json_object *banks = json_object_new_object();
        json_object *quotes = get(summary, "quotes");
        size_t s_size, k_size;
        char path[256], err[256];

        snprintf(path, sizeof(path), "tpm-quote/gtt-cos85-n9009-%s.attest", bank);
        read_peer(path, attest, attest_size);
        snprintf(path, sizeof(path), "tpm-quote/gtt-cos85-n9009-%s.sig", bank);
        read_peer(path, &s, &s_size);
        assert_int_equal(tpm_attest_signature_parse(s, s_size, sig, NULL), 0);
        read_peer("tpm-quote/gtt-cos85-n9009-akpub.bin", &k, &k_size);
        assert_int_equal(tpm_public_key_load(k, k_size, ak, NULL, NULL, NULL, NULL), 0);

        for (size_t i = 0; i < json_object_array_length(quotes); i++) {
                json_object *q = json_object_array_get_idx(quotes, i);

                if (strcmp(json_object_get_string(get(q, "bank")), bank) == 0)
                        json_object_object_add(banks, bank, json_object_get(get(q, "pcrs")));
        }
        assert_int_equal(tpm_pcr_values_from_json(banks, pcrs, err, sizeof(err)), 0);
}

static void test_verify_peer(void **state) {
        static const char *const banks[] = {"sha1", "sha256", "sha384"};
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(banks); i++) {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
                _cleanup_free_ uint8_t *attest = NULL;
                size_t attest_size;
                TpmSignature sig;
                TpmPcrValues pcrs;
                TpmQuoteVerdict v;
                TpmPcrBankValues *b;

                load_cos85(banks[i], &attest, &attest_size, &sig, &ak, &pcrs);

                assert_int_equal(tpm_quote_verify(attest, attest_size, &sig, ak,
                                                  (const uint8_t *)"\x90\x09", 2, &pcrs, &v),
                                 0);
                assert_null(v.reason);
                assert_true(v.nonce_checked && v.pcrs_checked && v.signature_checked);

                /* Without nonce or PCRs: only the signature. */
                assert_int_equal(tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, NULL, &v),
                                 0);
                assert_false(v.nonce_checked || v.pcrs_checked);

                assert_int_equal(tpm_quote_verify(attest, attest_size, &sig, ak,
                                                  (const uint8_t *)"\x90\x08", 2, &pcrs, &v),
                                 -ESTALE);
                assert_string_equal(v.reason, "tpm.nonce_mismatch");
                assert_int_equal(tpm_quote_verify(attest, attest_size, &sig, ak,
                                                  (const uint8_t *)"\x90", 1, &pcrs, &v),
                                 -ESTALE);

                b = &pcrs.banks[0];
                b->value[4][0] ^= 1;
                assert_int_equal(
                        tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, &pcrs, &v),
                        -EPERM);
                assert_string_equal(v.reason, "tpm.pcr_digest_mismatch");
                b->value[4][0] ^= 1;
                b->present &= ~(1u << 23);
                assert_int_equal(
                        tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, &pcrs, &v),
                        -ENODATA);
                assert_string_equal(v.reason, "tpm.pcr_missing");
                b->present |= 1u << 23;

                sig.rsa[10] ^= 1;
                assert_int_equal(
                        tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, &pcrs, &v),
                        -EKEYREJECTED);
                assert_string_equal(v.reason, "tpm.signature");
                sig.rsa[10] ^= 1;

                attest[attest_size - 1] ^= 1;
                assert_int_equal(
                        tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, &pcrs, &v),
                        -EKEYREJECTED);
                assert_string_equal(v.reason, "tpm.signature");
                attest[attest_size - 1] ^= 1;

                assert_int_equal(
                        tpm_quote_verify(attest, attest_size - 1, &sig, ak, NULL, 0, &pcrs, &v),
                        -EBADMSG);
                assert_string_equal(v.reason, "tpm.malformed");

                /* An ECDSA signature cannot come from this RSA key. */
                sig.sig_alg = TPM_ALG_ECDSA;
                sig.ecdsa_r_size = sig.ecdsa_s_size = 1;
                assert_int_equal(
                        tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, &pcrs, &v),
                        -EKEYREJECTED);
                assert_string_equal(v.reason, "tpm.signature");
        }
}

static void test_verify_not_a_quote(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
        _cleanup_free_ uint8_t *attest = NULL;
        size_t attest_size;
        TpmSignature sig;
        TpmPcrValues pcrs;
        TpmQuoteVerdict v;
        (void)state;

        load_cos85("sha256", &attest, &attest_size, &sig, &ak, &pcrs);
        attest[5] = 0x17; /* now a TPM_ST_ATTEST_CERTIFY */
        assert_int_equal(tpm_quote_verify(attest, attest_size, &sig, ak, NULL, 0, NULL, &v),
                         -EMEDIUMTYPE);
        assert_string_equal(v.reason, "tpm.not_a_quote");
}

static void test_inspect(void **state) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ uint8_t *attest = NULL;
        size_t size;
        json_object *sel, *bank;
        ParseError err;
        (void)state;

        read_peer("tpm-quote/gtt-cos85-n9009-sha256.attest", &attest, &size);
        assert_int_equal(tpm_attest_inspect(attest, size, &j, &err), 0);
        assert_string_equal(json_object_get_string(get(j, "magic")), "0xff544347");
        assert_string_equal(json_object_get_string(get(j, "type")), "TPM_ST_ATTEST_QUOTE");
        assert_string_equal(json_object_get_string(get(j, "extra_data")), "9009");
        assert_string_equal(json_object_get_string(get(j, "firmware_version")),
                            "0x2016051100162800");
        assert_int_equal(json_object_get_uint64(get(get(j, "clock_info"), "clock")), 8219159552);
        assert_true(json_object_is_type(get(get(j, "clock_info"), "safe"), json_type_boolean));
        get(get(j, "clock_info"), "reset_count");
        get(get(j, "clock_info"), "restart_count");
        get(j, "qualified_signer");
        sel = get(j, "pcr_select");
        assert_int_equal(json_object_array_length(sel), 1);
        bank = json_object_array_get_idx(sel, 0);
        assert_string_equal(json_object_get_string(get(bank, "hash")), "sha256");
        assert_int_equal(json_object_array_length(get(bank, "pcrs")), 24);
        assert_string_equal(json_object_get_string(get(j, "pcr_digest")),
                            "048937cbaaf28af85a5b0c0997e725097a0d94e05fcda104a82ee3fb6b2e1808");

        json_object_put(j);
        j = NULL;
        assert_int_equal(tpm_attest_inspect(attest, size - 1, &j, &err), -EBADMSG);
        assert_null(j);
        assert_true(err.set);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_short_attest),
                cmocka_unit_test(test_short_signature),
                cmocka_unit_test(test_short_public),
                cmocka_unit_test(test_trailing),
                cmocka_unit_test(test_handmade_quote),
                cmocka_unit_test(test_oversized_counts),
                cmocka_unit_test(test_bad_header),
                cmocka_unit_test(test_other_attest_type),
                cmocka_unit_test(test_bad_signature),
                cmocka_unit_test(test_peer_cos85_values),
                cmocka_unit_test(test_peer_ga_win_gcp_values),
                cmocka_unit_test(test_peer_publics),
                cmocka_unit_test(test_key_formats),
                cmocka_unit_test(test_verify_peer),
                cmocka_unit_test(test_verify_not_a_quote),
                cmocka_unit_test(test_inspect),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
