#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/kbs/kbs-proto.h"

static uint8_t *peer(const char *name, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("PEER_DATA");
        uint8_t *data = NULL;

        assert_non_null(dir);
        assert_true(asprintf(&path, "%s/kbs/%s", dir, name) > 0);
        assert_int_equal(read_full_file(path, 1 << 20, &data, ret_size), 0);
        return data;
}

static const char *str_member(json_object *o, const char *name) {
        json_object *v;

        assert_true(json_object_object_get_ex(o, name, &v));
        assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

static void test_tee_names(void **state) {
        static const char *const names[] = {
                "az-snp-vtpm", "az-tdx-vtpm", "nvidia",   "sgx", "snp",    "tdx",          "cca",
                "csv",         "se",          "hygondcu", "tpm", "sample", "sampledevice", "sev"};
        (void)state;

        assert_int_equal(ELEMENTSOF(names), _KBS_TEE_MAX);
        for (KbsTee t = 0; t < _KBS_TEE_MAX; t++) {
                assert_string_equal(kbs_tee_to_string(t), names[t]);
                assert_int_equal(kbs_tee_from_string(names[t]), t);
        }
        assert_null(kbs_tee_to_string(_KBS_TEE_MAX));
        assert_null(kbs_tee_to_string(_KBS_TEE_INVALID));
        assert_int_equal(kbs_tee_from_string("SNP"), _KBS_TEE_INVALID);
        assert_int_equal(kbs_tee_from_string("invalid"), _KBS_TEE_INVALID);
        assert_int_equal(kbs_tee_from_string(NULL), _KBS_TEE_INVALID);
}

static void test_versions(void **state) {
        (void)state;

        assert_true(kbs_version_is_supported("0.4.0"));
        assert_true(kbs_version_is_supported("0.4.0+build.7"));
        assert_false(kbs_version_is_supported("0.4.0-rc1"));
        assert_false(kbs_version_is_supported("0.4.1"));
        assert_false(kbs_version_is_supported("0.3.0"));
        assert_false(kbs_version_is_supported("0.0.0"));
        assert_false(kbs_version_is_supported("00.4.0"));
        assert_false(kbs_version_is_supported("0.4"));
        assert_false(kbs_version_is_supported("0.4.0.0"));
        assert_false(kbs_version_is_supported(""));
        assert_false(kbs_version_is_supported(NULL));
}

static void test_hash_alg_names(void **state) {
        (void)state;

        assert_int_equal(kbs_hash_alg_from_string("SHA384"), KBS_HASH_SHA384);
        assert_int_equal(kbs_hash_alg_from_string("sha512"), KBS_HASH_SHA512);
        assert_int_equal(kbs_hash_alg_from_string("sm3"), _KBS_HASH_ALG_INVALID);
        assert_string_equal(kbs_hash_alg_to_string(KBS_HASH_SHA256), "sha256");
        assert_null(kbs_hash_alg_to_string(_KBS_HASH_ALG_MAX));
}

/* kbs-types parse_request. */
static void test_peer_request(void **state) {
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_(kbs_request_freep) KbsRequest *r = NULL;
        size_t n;
        (void)state;

        d = peer("kt-request.json", &n);
        assert_int_equal(kbs_request_parse(d, n, &r, NULL), 0);
        assert_string_equal(r->version, "0.0.0");
        assert_int_equal(r->tee, KBS_TEE_TDX);
        assert_true(json_object_is_type(r->extra_params, json_type_string));
        assert_string_equal(json_object_get_string(r->extra_params), "");
        /* Parsed, and refused by the version check the verifier makes. */
        assert_false(kbs_version_is_supported(r->version));
}

/* kbs-types testdata/sev_request.json: the pre-attestation SEV Request. */
static void test_peer_sev_request(void **state) {
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_(kbs_request_freep) KbsRequest *r = NULL;
        json_object *build, *chain, *v;
        size_t n;
        (void)state;

        d = peer("kt-sev-request.json", &n);
        assert_int_equal(kbs_request_parse(d, n, &r, NULL), 0);
        assert_string_equal(r->version, "0.0.0");
        assert_int_equal(r->tee, KBS_TEE_SEV);
        assert_true(json_object_is_type(r->extra_params, json_type_object));
        assert_string_equal(str_member(r->extra_params, "workload_id"), "fakeid");
        assert_true(json_object_object_get_ex(r->extra_params, "build", &build));
        assert_true(json_object_object_get_ex(build, "build", &v));
        assert_int_equal(json_object_get_int(v), 6);
        assert_true(json_object_object_get_ex(r->extra_params, "chain", &chain));
        assert_true(json_object_object_get_ex(chain, "ca", &v));
        assert_true(json_object_object_get_ex(v, "ask", &v));
        assert_true(json_object_is_type(v, json_type_array));
        assert_int_equal(json_object_get_int(json_object_array_get_idx(v, 0)), 1);
}

/* kbs-types parse_challenge and testdata/sev_challenge.json. */
static void test_peer_challenges(void **state) {
        _cleanup_free_ uint8_t *d = NULL, *s = NULL;
        _cleanup_(kbs_challenge_freep) KbsChallenge *c = NULL, *sev = NULL;
        json_object *start;
        size_t n;
        (void)state;

        d = peer("kt-challenge.json", &n);
        assert_int_equal(kbs_challenge_parse(d, n, &c, NULL), 0);
        assert_string_equal(c->nonce, "42");
        assert_string_equal(json_object_get_string(c->extra_params), "");
        assert_int_equal(c->hash_alg, KBS_HASH_SHA384);

        s = peer("kt-sev-challenge.json", &n);
        assert_int_equal(kbs_challenge_parse(s, n, &sev, NULL), 0);
        assert_string_equal(sev->nonce, "42");
        assert_string_equal(str_member(sev->extra_params, "id"), "fakeid");
        assert_true(json_object_object_get_ex(sev->extra_params, "start", &start));
        assert_true(json_object_object_get_ex(start, "policy", NULL));
        assert_true(json_object_object_get_ex(start, "cert", NULL));
        assert_true(json_object_object_get_ex(start, "session", NULL));
        assert_int_equal(sev->hash_alg, KBS_HASH_SHA384);
}

/* kbs-types parse_attestation_ec: the current shape, tee-pubkey inside
 * runtime-data. */
static void test_peer_attestation_ec(void **state) {
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        size_t n;
        (void)state;

        d = peer("kt-attestation-ec.json", &n);
        assert_int_equal(kbs_attestation_parse(d, n, &a, NULL), 0);
        assert_false(a->legacy);
        assert_string_equal(a->nonce, "test_nonce");
        assert_string_equal(str_member(a->tee_pubkey, "kty"), "EC");
        assert_string_equal(str_member(a->tee_pubkey, "alg"), "fakealgorithm");
        assert_string_equal(str_member(a->tee_pubkey, "crv"), "fakecrv");
        assert_string_equal(str_member(a->tee_pubkey, "x"), "fakex");
        assert_string_equal(str_member(a->tee_pubkey, "y"), "fakey");
        assert_true(json_object_is_type(a->primary_evidence, json_type_string));
        assert_string_equal(json_object_get_string(a->primary_evidence), "test_primary_evidence");
        assert_string_equal(a->additional_evidence, "test_additional_evidence");
        assert_null(a->init_data_format);
        assert_null(a->init_data_body);
}

/* kbs-types parse_error_information. */
static void test_peer_error(void **state) {
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *e = NULL;
        size_t n;
        (void)state;

        d = peer("kt-error.json", &n);
        assert_int_equal(kbs_error_parse(d, n, &e, NULL), 0);
        assert_string_equal(e->type, "problemtype");
        assert_string_equal(e->detail, "problemdetail");
        assert_int_equal(e->known, _KBS_ERROR_TYPE_INVALID);
}

/* Trustee's e2e snp evidence as primary_evidence, and its example EAR
 * claims as a token's payload, survive our builder and parser. */
static void test_peer_trustee_samples(void **state) {
        _cleanup_free_ uint8_t *ev = NULL, *claims = NULL;
        _cleanup_(json_object_putp) json_object *evj = NULL, *cj = NULL, *jwk = NULL;
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL;
        _cleanup_free_ char *body = NULL, *token = NULL, *resp = NULL, *back = NULL;
        json_object *rep, *chain, *v;
        const uint8_t *bytes;
        size_t n, cn, bn;
        (void)state;

        ev = peer("trustee-snp-evidence.json", &n);
        evj = json_tokener_parse((const char *)ev);
        assert_non_null(evj);
        assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_P256, &k), 0);
        assert_int_equal(ephemeral_key_to_jwk(k, &jwk), 0);
        assert_int_equal(kbs_attestation_build("bm9uY2U=", jwk, evj, NULL, NULL, NULL, &body), 0);
        assert_int_equal(kbs_attestation_parse(body, strlen(body), &a, NULL), 0);
        assert_true(json_object_object_get_ex(a->primary_evidence, "attestation_report", &rep));
        assert_true(json_object_object_get_ex(rep, "version", &v));
        assert_int_equal(json_object_get_int(v), 3);
        /* serde's byte arrays arrive decoded (JsonParseLimits.byte_arrays). */
        assert_true(json_object_object_get_ex(rep, "report_data", &v));
        assert_true(json_byte_array(v, &bytes, &bn));
        assert_int_equal(bn, 64);
        assert_true(json_object_object_get_ex(a->primary_evidence, "cert_chain", &chain));
        assert_string_equal(str_member(json_object_array_get_idx(chain, 0), "cert_type"), "VCEK");
        assert_true(json_equal_byte_arrays(a->primary_evidence, evj));
        assert_string_equal(a->additional_evidence, "");

        claims = peer("trustee-as-token-claims.json", &cn);
        cj = json_tokener_parse((const char *)claims);
        assert_non_null(cj);
        assert_string_equal(str_member(cj, "eat_profile"),
                            "tag:github.com,2024:confidential-containers/Trustee");
        token = base64url_encode(claims, cn);
        assert_int_equal(kbs_attestation_response_build(token, &resp), 0);
        assert_int_equal(kbs_attestation_response_parse(resp, strlen(resp), &back, NULL), 0);
        assert_string_equal(back, token);
}

/* Each message, built by us, one byte short: never a shorter valid one. */
static void test_one_byte_short(void **state) {
        _cleanup_(json_object_putp) json_object *jwk =
                json_tokener_parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                                   "\"x\":\"X\",\"y\":\"Y\"}");
        _cleanup_free_ char *req = NULL, *chal = NULL, *att = NULL, *tok = NULL, *err = NULL;
        KbsRequest *r = NULL;
        KbsChallenge *c = NULL;
        KbsAttestation *a = NULL;
        KbsErrorInfo *e = NULL;
        char *t = NULL;
        (void)state;

        assert_int_equal(kbs_request_build(KBS_TEE_SNP, NULL, &req), 0);
        assert_int_equal(kbs_challenge_build("bm9uY2U=", NULL, &chal), 0);
        assert_int_equal(kbs_attestation_build("bm9uY2U=", jwk, NULL, NULL, NULL, NULL, &att), 0);
        assert_int_equal(kbs_attestation_response_build("a.b.c", &tok), 0);
        assert_int_equal(kbs_error_build(KBS_ERROR_TOKEN_NOT_FOUND, "no token", &err), 0);
        assert_int_equal(kbs_request_parse(req, strlen(req) - 1, &r, NULL), -EBADMSG);
        assert_int_equal(kbs_challenge_parse(chal, strlen(chal) - 1, &c, NULL), -EBADMSG);
        assert_int_equal(kbs_attestation_parse(att, strlen(att) - 1, &a, NULL), -EBADMSG);
        assert_int_equal(kbs_attestation_response_parse(tok, strlen(tok) - 1, &t, NULL), -EBADMSG);
        assert_int_equal(kbs_error_parse(err, strlen(err) - 1, &e, NULL), -EBADMSG);
        assert_null(r);
        assert_null(c);
        assert_null(a);
        assert_null(t);
        assert_null(e);
        /* Empty bodies. */
        assert_int_equal(kbs_request_parse("", 0, &r, NULL), -EBADMSG);
        assert_int_equal(kbs_challenge_parse(NULL, 0, &c, NULL), -EBADMSG);
        assert_int_equal(kbs_error_parse("", 0, &e, NULL), -EBADMSG);
}

static void test_request_roundtrip(void **state) {
        _cleanup_free_ char *body = NULL;
        _cleanup_(kbs_request_freep) KbsRequest *r = NULL;
        json_object *algs;
        (void)state;

        assert_int_equal(kbs_request_build(KBS_TEE_AZ_SNP_VTPM, NULL, &body), 0);
        assert_int_equal(kbs_request_parse(body, strlen(body), &r, NULL), 0);
        assert_string_equal(r->version, KBS_PROTOCOL_VERSION);
        assert_true(kbs_version_is_supported(r->version));
        assert_int_equal(r->tee, KBS_TEE_AZ_SNP_VTPM);
        assert_true(json_object_object_get_ex(r->extra_params, "supported-hash-algorithms", &algs));
        assert_int_equal(json_object_array_length(algs), 3);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(algs, 1)), "sha384");
        assert_int_equal(kbs_request_build(_KBS_TEE_MAX, NULL, &body), -EINVAL);
}

static void test_challenge_roundtrip(void **state) {
        _cleanup_free_ char *nonce = NULL, *body = NULL, *sel_body = NULL, *bad_body = NULL;
        _cleanup_(kbs_challenge_freep) KbsChallenge *c = NULL, *sel = NULL;
        _cleanup_(json_object_putp) json_object *extra = json_object_new_object();
        KbsChallenge *bad = NULL;
        KbsProtoError e = {};
        uint8_t raw[64];
        size_t n;
        (void)state;

        assert_int_equal(kbs_nonce_new(&nonce), 0);
        /* 32 bytes in standard base64: 44 characters with one '='. */
        assert_int_equal(strlen(nonce), 44);
        assert_int_equal(nonce[43], '=');
        assert_int_equal(kbs_challenge_build(nonce, NULL, &body), 0);
        assert_int_equal(kbs_challenge_parse(body, strlen(body), &c, NULL), 0);
        assert_string_equal(c->nonce, nonce);
        assert_string_equal(json_object_get_string(c->extra_params), "");
        (void)raw;
        (void)n;

        assert_int_equal(json_add_string(extra, "selected-hash-algorithm", "SHA512"), 0);
        assert_int_equal(kbs_challenge_build(nonce, extra, &sel_body), 0);
        assert_int_equal(kbs_challenge_parse(sel_body, strlen(sel_body), &sel, NULL), 0);
        assert_int_equal(sel->hash_alg, KBS_HASH_SHA512);

        assert_int_equal(json_add_string(extra, "selected-hash-algorithm", "sm3"), 0);
        assert_int_equal(kbs_challenge_build(nonce, extra, &bad_body), 0);
        assert_int_equal(kbs_challenge_parse(bad_body, strlen(bad_body), &bad, &e), -EOPNOTSUPP);
        assert_string_equal(e.member, "extra-params.selected-hash-algorithm");
        assert_null(bad);
}

static void test_attestation_roundtrip(void **state) {
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL, *ev = json_object_new_object();
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        _cleanup_free_ char *body = NULL;
        (void)state;

        assert_int_equal(ephemeral_key_new(EPHEMERAL_KEY_RSA3072, &k), 0);
        assert_int_equal(ephemeral_key_to_jwk(k, &jwk), 0);
        assert_int_equal(json_add_string(ev, "quote", "AAAA"), 0);
        assert_int_equal(kbs_attestation_build("n0nce", jwk, ev, "{\"tpm\":[\"cpu\",{}]}", "toml",
                                               "algorithm = \"sha384\"\n", &body),
                         0);
        assert_int_equal(kbs_attestation_parse(body, strlen(body), &a, NULL), 0);
        assert_false(a->legacy);
        assert_string_equal(a->nonce, "n0nce");
        assert_true(json_object_equal(a->tee_pubkey, jwk));
        assert_true(json_object_equal(a->primary_evidence, ev));
        assert_string_equal(a->additional_evidence, "{\"tpm\":[\"cpu\",{}]}");
        assert_string_equal(a->init_data_format, "toml");
        assert_string_equal(a->init_data_body, "algorithm = \"sha384\"\n");
        assert_int_equal(kbs_attestation_build(NULL, jwk, ev, NULL, NULL, NULL, &body), -EINVAL);
}

/* Before protocol 0.4.0 (kbs-types before "Attestation: add runtime and
 * initdata field") tee-pubkey sat at the top next to a tee-evidence. */
static void test_attestation_legacy(void **state) {
        static const char legacy[] =
                "{\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"fakealgorithm\",\"n\":\"fakemodulus\","
                "\"e\":\"fakeexponent\"},\"tee-evidence\":\"fakeevidence\"}";
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        (void)state;

        assert_int_equal(kbs_attestation_parse(legacy, strlen(legacy), &a, NULL), 0);
        assert_true(a->legacy);
        assert_null(a->nonce);
        assert_null(a->additional_evidence);
        assert_string_equal(str_member(a->tee_pubkey, "n"), "fakemodulus");
        assert_string_equal(json_object_get_string(a->primary_evidence), "fakeevidence");
}

static void expect_attestation_error(const char *body, int r, const char *member) {
        KbsAttestation *a = NULL;
        KbsProtoError e = {};
        char buf[300];

        assert_int_equal(kbs_attestation_parse(body, strlen(body), &a, &e), r);
        assert_null(a);
        assert_string_equal(e.member, member);
        assert_true(e.what[0] != 0);
        assert_non_null(kbs_proto_error_string(&e, buf, sizeof(buf)));
}

static void test_attestation_errors(void **state) {
        (void)state;

        expect_attestation_error("{}", -EBADMSG, "runtime-data");
        expect_attestation_error("{\"runtime-data\":[]}", -EBADMSG, "runtime-data");
        expect_attestation_error("{\"runtime-data\":{\"nonce\":1}}", -EBADMSG,
                                 "runtime-data.nonce");
        expect_attestation_error("{\"runtime-data\":{\"nonce\":\"n\"}}", -EBADMSG,
                                 "runtime-data.tee-pubkey");
        expect_attestation_error(
                "{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"OKP\"}}}", -EBADMSG,
                "runtime-data.tee-pubkey.kty");
        expect_attestation_error("{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":"
                                 "\"EC\",\"crv\":\"P-256\","
                                 "\"alg\":\"a\",\"x\":\"x\"}}}",
                                 -EBADMSG, "runtime-data.tee-pubkey.y");
        expect_attestation_error(
                "{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"a\","
                "\"n\":\"n\",\"e\":\"e\"}}}",
                -EBADMSG, "tee-evidence");
        expect_attestation_error(
                "{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"a\","
                "\"n\":\"n\",\"e\":\"e\"}},\"tee-evidence\":{\"primary_evidence\":{}}}",
                -EBADMSG, "tee-evidence.additional_evidence");
        expect_attestation_error(
                "{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"a\","
                "\"n\":\"n\",\"e\":\"e\"}},\"tee-evidence\":{\"primary_evidence\":{},"
                "\"additional_evidence\":{}}}",
                -EBADMSG, "tee-evidence.additional_evidence");
        expect_attestation_error(
                "{\"runtime-data\":{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"a\","
                "\"n\":\"n\",\"e\":\"e\"}},\"tee-evidence\":{\"additional_evidence\":\"\"}}",
                -EBADMSG, "tee-evidence.primary_evidence");
        expect_attestation_error(
                "{\"init-data\":{\"format\":\"toml\"},\"runtime-data\":{\"nonce\":\"n\","
                "\"tee-pubkey\":{\"kty\":\"RSA\",\"alg\":\"a\",\"n\":\"n\",\"e\":\"e\"}},"
                "\"tee-evidence\":{\"primary_evidence\":{},\"additional_evidence\":\"\"}}",
                -EBADMSG, "init-data.body");
        expect_attestation_error("{\"runtime-data\":{\"nonce\":\"n\\u0000x\",\"tee-pubkey\":{}}}",
                                 -EBADMSG, "runtime-data.nonce");
        expect_attestation_error("", -EBADMSG, "");
        expect_attestation_error("[]", -EBADMSG, "");
        expect_attestation_error("{\"runtime-data\":", -EBADMSG, "");
}

static void test_null_init_data(void **state) {
        static const char body[] = "{\"init-data\":null,\"runtime-data\":{\"nonce\":\"n\",\"tee-"
                                   "pubkey\":{\"kty\":\"RSA\","
                                   "\"alg\":\"a\",\"n\":\"n\",\"e\":\"e\"}},\"tee-evidence\":{"
                                   "\"primary_evidence\":null,"
                                   "\"additional_evidence\":\"\"},\"unknown\":[1,2,3]}";
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        (void)state;

        assert_int_equal(kbs_attestation_parse(body, strlen(body), &a, NULL), 0);
        assert_null(a->init_data_format);
        assert_null(a->primary_evidence);
}

static void test_bounds(void **state) {
        _cleanup_free_ char *deep = NULL, *big = NULL, *many = NULL;
        KbsAttestation *a = NULL;
        KbsRequest *r = NULL;
        KbsProtoError e = {};
        size_t n = 0;
        (void)state;

        /* Nesting one level past the limit, deep inside primary_evidence. */
        deep = malloc(4096);
        n += (size_t)sprintf(deep, "{\"tee-evidence\":{\"primary_evidence\":");
        for (unsigned i = 0; i < KBS_PROTO_MAX_DEPTH - 1; i++)
                deep[n++] = '[';
        for (unsigned i = 0; i < KBS_PROTO_MAX_DEPTH - 1; i++)
                deep[n++] = ']';
        n += (size_t)sprintf(deep + n, "}}");
        assert_int_equal(kbs_attestation_parse(deep, n, &a, &e), -EBADMSG);
        assert_string_equal(e.member, "");
        assert_non_null(strstr(e.what, "nested deeper than 16 levels"));

        /* One byte over the Request limit. */
        big = malloc(KBS_PROTO_MAX_REQUEST + 1);
        memset(big, ' ', KBS_PROTO_MAX_REQUEST + 1);
        memcpy(big, "{}", 2);
        assert_int_equal(kbs_request_parse(big, KBS_PROTO_MAX_REQUEST + 1, &r, &e), -E2BIG);
        assert_null(r);
        assert_non_null(strstr(e.what, "more than the limit"));
        /* Exactly the limit parses (and then lacks its members). */
        assert_int_equal(kbs_request_parse(big, KBS_PROTO_MAX_REQUEST, &r, &e), -EBADMSG);
        assert_string_equal(e.member, "version");

        /* More values than the bound, in a body well under the size limit. */
        many = malloc(2 * KBS_PROTO_MAX_VALUES + 16);
        n = 0;
        many[n++] = '[';
        for (unsigned i = 0; i < KBS_PROTO_MAX_VALUES + 1; i++) {
                many[n++] = '0';
                many[n++] = ',';
        }
        many[n - 1] = ']';
        assert_int_equal(kbs_attestation_parse(many, n, &a, &e), -E2BIG);
        assert_non_null(strstr(e.what, "more than 262144 values"));
}

static void expect_request_error(const char *body, const char *member) {
        KbsRequest *r = NULL;
        KbsProtoError e = {};

        assert_int_equal(kbs_request_parse(body, strlen(body), &r, &e), -EBADMSG);
        assert_null(r);
        assert_string_equal(e.member, member);
}

static void test_request_errors(void **state) {
        static const char quoted[] =
                "{\"version\":\"0.4.0\",\"tee\":\"foo'\\u0001\",\"extra-params\":\"\"}";
        KbsRequest *r = NULL;
        KbsProtoError e = {};
        char buf[256];
        (void)state;

        assert_int_equal(kbs_request_parse(quoted, strlen(quoted), &r, &e), -EBADMSG);
        assert_string_equal(e.member, "tee");
        /* Text we did not write is quoted and stripped of what a terminal
         * or a journal field could misread. */
        assert_string_equal(kbs_proto_error_string(&e, buf, sizeof(buf)),
                            "tee: 'foo?"
                            "?' is not a TEE kbs-types knows");
        expect_request_error("{\"version\":\"0.4.0\",\"tee\":\"snp\"}", "extra-params");
        expect_request_error("{\"tee\":\"snp\",\"extra-params\":\"\"}", "version");
        expect_request_error("{\"version\":4,\"tee\":\"snp\",\"extra-params\":\"\"}", "version");
        assert_int_equal(kbs_request_parse("{\"version\":4,\"tee\":\"snp\",\"extra-params\":\"\"}",
                                           43, &r, &e),
                         -EBADMSG);
        assert_string_equal(e.what, "is int, expected string");
}

static void test_errors_table(void **state) {
        _cleanup_free_ char *body = NULL;
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *e = NULL;
        unsigned n404 = 0;
        (void)state;

        for (KbsErrorType t = 0; t < _KBS_ERROR_TYPE_MAX; t++) {
                _cleanup_free_ char *uri = NULL;
                int s = kbs_error_type_http_status(t);

                assert_true(s == 401 || s == 404);
                n404 += s == 404;
                assert_true(asprintf(&uri, "%s%s", KBS_ERROR_TYPE_PREFIX,
                                     kbs_error_type_to_string(t)) > 0);
                assert_int_equal(kbs_error_type_from_uri(uri), t);
        }
        assert_int_equal(n404, 2);
        assert_int_equal(kbs_error_type_http_status(KBS_ERROR_INVALID_REQUEST_PATH), 404);
        assert_int_equal(kbs_error_type_http_status(KBS_ERROR_PLUGIN_NOT_FOUND), 404);
        assert_int_equal(kbs_error_type_http_status(KBS_ERROR_POLICY_DENY), 401);
        assert_int_equal(kbs_error_type_http_status(_KBS_ERROR_TYPE_MAX), -EINVAL);
        assert_int_equal(kbs_error_type_from_uri("PolicyDeny"), _KBS_ERROR_TYPE_INVALID);

        assert_int_equal(kbs_error_build(KBS_ERROR_POLICY_DENY, "Access denied by policy", &body),
                         0);
        assert_string_equal(body, "{\"type\":\"https://github.com/confidential-containers/kbs/"
                                  "errors/PolicyDeny\",\"detail\":\"Access denied by policy\"}");
        assert_int_equal(kbs_error_parse(body, strlen(body), &e, NULL), 0);
        assert_int_equal(e->known, KBS_ERROR_POLICY_DENY);
        assert_string_equal(e->detail, "Access denied by policy");
}

static void test_token(void **state) {
        char *t = NULL;
        KbsProtoError e = {};
        (void)state;

        assert_int_equal(kbs_attestation_response_parse("{\"token\":7}", 11, &t, &e), -EBADMSG);
        assert_string_equal(e.member, "token");
        assert_int_equal(kbs_attestation_response_parse("{}", 2, &t, &e), -EBADMSG);
        assert_string_equal(e.member, "token");
        assert_string_equal(e.what, "missing");
        assert_null(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tee_names),
                cmocka_unit_test(test_versions),
                cmocka_unit_test(test_hash_alg_names),
                cmocka_unit_test(test_peer_request),
                cmocka_unit_test(test_peer_sev_request),
                cmocka_unit_test(test_peer_challenges),
                cmocka_unit_test(test_peer_attestation_ec),
                cmocka_unit_test(test_peer_error),
                cmocka_unit_test(test_peer_trustee_samples),
                cmocka_unit_test(test_one_byte_short),
                cmocka_unit_test(test_request_roundtrip),
                cmocka_unit_test(test_challenge_roundtrip),
                cmocka_unit_test(test_attestation_roundtrip),
                cmocka_unit_test(test_attestation_legacy),
                cmocka_unit_test(test_attestation_errors),
                cmocka_unit_test(test_null_init_data),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_request_errors),
                cmocka_unit_test(test_errors_table),
                cmocka_unit_test(test_token),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
