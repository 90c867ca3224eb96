#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "session.h"
#include "confnode/basic/base64url.h"
#include "confnode/basic/openssl-cleanup.h"

#define SEC 1000000u
#define T0 (1000u * SEC) /* any start: the table only compares times */

static EVP_PKEY *p256(void) {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        assert_non_null(k);
        return k;
}

static void test_new_and_claim(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        SessionInfo a, b;
        uint8_t raw[64];
        size_t n;
        (void)state;

        assert_int_equal(session_table_new(8, 300 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        /* 128 random bits as base64url; the nonce as Trustee makes it. */
        assert_int_equal(strlen(a.id), 22);
        assert_int_equal(base64url_decode_to(a.id, strlen(a.id), raw, sizeof(raw), &n), 0);
        assert_int_equal(n, SESSION_ID_BYTES);
        assert_int_equal(strlen(a.nonce), 44);
        assert_int_equal(strlen(a.fingerprint), 8);
        assert_int_equal(a.expires, T0 + 300 * SEC);
        assert_int_equal(session_table_count(t, SESSION_AUTHED), 1);

        assert_int_equal(session_claim(t, a.id, T0 + 1, &b), 0);
        assert_string_equal(b.nonce, a.nonce);
        assert_string_equal(b.fingerprint, a.fingerprint);
        assert_int_equal(b.tee, KBS_TEE_SNP);
        assert_int_equal(b.hash_alg, KBS_HASH_SHA384);
        assert_string_equal(b.id, ""); /* the table does not keep ids */
        assert_int_equal(session_table_count(t, SESSION_CLAIMED), 1);
        assert_int_equal(session_table_count(t, SESSION_AUTHED), 0);
}

static void test_single_use(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = p256();
        _cleanup_free_ char *token = NULL;
        SessionInfo a, b;
        (void)state;

        assert_int_equal(session_table_new(8, 300 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_TDX, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
        /* A second /attest while the first one appraises. */
        assert_int_equal(session_claim(t, a.id, T0, &b), -EALREADY);
        assert_int_equal(session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, "node-1", T0, &token),
                         0);
        /* And after it was accepted. */
        assert_int_equal(session_claim(t, a.id, T0, &b), -EALREADY);
        /* Attesting twice is refused too. */
        {
                _cleanup_free_ char *again = NULL;
                assert_int_equal(
                        session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, "node-1", T0, &again),
                        -ESTALE);
                assert_null(again);
        }
}

static void test_rejected_session_is_dead(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        SessionInfo a, b;
        SessionGrant g = {};
        (void)state;

        assert_int_equal(session_table_new(8, 300 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
        session_reject(t, a.id);
        assert_int_equal(session_table_count(t, SESSION_DEAD), 1);
        /* Kept, so a retry learns the nonce was used, not that it is unknown. */
        assert_int_equal(session_claim(t, a.id, T0, &b), -EALREADY);
        assert_int_equal(session_grant_by_cookie(t, a.id, T0, &g), -EACCES);
        assert_null(g.key);
        /* Until it expires. */
        assert_int_equal(session_claim(t, a.id, T0 + 300 * SEC, &b), -ETIMEDOUT);
        assert_int_equal(session_claim(t, a.id, T0 + 300 * SEC, &b), -ENOENT);
        assert_int_equal(session_table_count(t, -1), 0);
}

static void test_unknown_ids(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        char long_id[SESSION_CREDENTIAL_MAX + 2];
        SessionInfo a, b;
        SessionGrant g = {};
        (void)state;

        assert_int_equal(session_table_new(8, 300 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_claim(t, NULL, T0, &b), -ENOENT);
        assert_int_equal(session_claim(t, "", T0, &b), -ENOENT);
        assert_int_equal(session_claim(t, "AAAAAAAAAAAAAAAAAAAAAA", T0, &b), -ENOENT);
        memset(long_id, 'A', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        assert_int_equal(session_claim(t, long_id, T0, &b), -ENOENT);
        /* One character more than the id is another id. */
        {
                char id[SESSION_ID_STRING_MAX + 1];
                snprintf(id, sizeof(id), "%sA", a.id);
                assert_int_equal(session_claim(t, id, T0, &b), -ENOENT);
        }
        assert_int_equal(session_grant_by_token(t, "", T0, &g), -ENOENT);
        assert_int_equal(session_grant_by_token(t, a.id, T0, &g), -ENOENT);
        assert_int_equal(session_grant_by_cookie(t, NULL, T0, &g), -ENOENT);
        /* Nothing was consumed by the probes. */
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
}

static void test_expiry(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        SessionInfo a, b, c;
        (void)state;

        assert_int_equal(session_table_new(8, 5 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + 2 * SEC, &b), 0);
        /* The last microsecond of its life, then the first one past it. */
        assert_int_equal(session_claim(t, a.id, T0 + 5 * SEC - 1, &c), 0);
        assert_int_equal(session_claim(t, b.id, T0 + 7 * SEC, &c), -ETIMEDOUT);
        assert_int_equal(session_table_count(t, -1), 1);
        /* The sweep keeps an expired session a while (60 s here, more
         * than the ttl), so a late client still learns that it expired. */
        assert_int_equal(session_table_sweep(t, T0 + 65 * SEC - 1), 0);
        assert_int_equal(session_table_sweep(t, T0 + 65 * SEC), 1);
        assert_int_equal(session_table_count(t, -1), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_table_sweep(t, T0 + 64 * SEC), 0);
        assert_int_equal(session_claim(t, a.id, T0 + 64 * SEC, &c), -ETIMEDOUT);
}

static void test_attested_grants(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = p256();
        _cleanup_free_ char *token = NULL;
        SessionInfo a, b;
        SessionGrant g = {};
        uint8_t raw[64];
        size_t n;
        (void)state;

        assert_int_equal(session_table_new(8, 60 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_AZ_SNP_VTPM, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_grant_by_cookie(t, a.id, T0, &g), -EACCES);
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
        assert_int_equal(session_grant_by_cookie(t, a.id, T0, &g), -EACCES);
        /* Attested late in its life: it lives ttl from now on. */
        assert_int_equal(session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, "chip_id:00ff",
                                        T0 + 50 * SEC, &token),
                         0);
        assert_int_equal(strlen(token), 43); /* 256 bits, base64url */
        assert_int_equal(base64url_decode_to(token, strlen(token), raw, sizeof(raw), &n), 0);
        assert_int_equal(n, SESSION_TOKEN_BYTES);
        assert_int_equal(session_table_count(t, SESSION_ATTESTED), 1);

        assert_int_equal(session_grant_by_cookie(t, a.id, T0 + 100 * SEC, &g), 0);
        assert_int_equal(EVP_PKEY_eq(g.key, k), 1);
        assert_int_equal(g.alg, JWK_ALG_ECDH_ES_A256KW);
        assert_int_equal(g.tee, KBS_TEE_AZ_SNP_VTPM);
        assert_string_equal(g.node, "chip_id:00ff");
        assert_string_equal(g.fingerprint, a.fingerprint);
        session_grant_done(&g);
        assert_null(g.key);

        assert_int_equal(session_grant_by_token(t, token, T0 + 100 * SEC, &g), 0);
        assert_int_equal(EVP_PKEY_eq(g.key, k), 1);
        session_grant_done(&g);
        /* The cookie is not a token, nor the token a cookie. */
        assert_int_equal(session_grant_by_token(t, a.id, T0 + 100 * SEC, &g), -ENOENT);
        assert_int_equal(session_grant_by_cookie(t, token, T0 + 100 * SEC, &g), -ENOENT);
        {
                char saved = token[0];
                token[0] = saved == 'A' ? 'B' : 'A';
                assert_int_equal(session_grant_by_token(t, token, T0 + 100 * SEC, &g), -ENOENT);
                token[0] = saved;
        }

        assert_int_equal(session_grant_by_token(t, token, T0 + 110 * SEC, &g), -ETIMEDOUT);
        assert_int_equal(session_grant_by_token(t, token, T0 + 110 * SEC, &g), -ENOENT);
        assert_int_equal(session_grant_by_cookie(t, a.id, T0 + 110 * SEC, &g), -ENOENT);
        assert_int_equal(session_table_count(t, -1), 0);
}

/* A grant keeps its key after the session is gone. */
static void test_grant_outlives_session(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        _cleanup_free_ char *token = NULL;
        EVP_PKEY *k = p256();
        SessionInfo a, b;
        SessionGrant g = {};
        (void)state;

        assert_int_equal(session_table_new(8, 10 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_TPM, KBS_HASH_SHA384, T0, &a), 0);
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
        assert_int_equal(session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, NULL, T0, &token), 0);
        EVP_PKEY_free(k); /* the session holds its own reference */
        assert_int_equal(session_grant_by_cookie(t, a.id, T0, &g), 0);
        assert_string_equal(g.node, "");
        assert_int_equal(session_table_sweep(t, T0 + 70 * SEC), 1);
        assert_int_equal(EVP_PKEY_get_bits(g.key), 256);
        session_grant_done(&g);
}

static void test_attest_after_expiry(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = p256();
        char *token = NULL;
        SessionInfo a, b;
        (void)state;

        assert_int_equal(session_table_new(8, 10 * SEC, &t), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
        /* Never claimed: nothing to attest. */
        assert_int_equal(session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, "n", T0, &token),
                         -ESTALE);
        assert_int_equal(session_claim(t, a.id, T0, &b), 0);
        /* The appraisal outlived the session. */
        assert_int_equal(
                session_attest(t, a.id, k, JWK_ALG_ECDH_ES_A256KW, "n", T0 + 10 * SEC, &token),
                -ENOENT);
        assert_null(token);
        assert_int_equal(session_table_count(t, -1), 0);
}

static void test_table_bound(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        SessionInfo s[5], x;
        (void)state;

        assert_int_equal(session_table_new(4, 10 * SEC, &t), 0);
        assert_int_equal(session_table_max(t), 4);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + i, &s[i]), 0);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + 4, &s[4]), -EBUSY);
        assert_int_equal(session_table_count(t, -1), 4);
        /* A dead session gives way to a live one when the table is full. */
        assert_int_equal(session_claim(t, s[1].id, T0 + 5, &x), 0);
        session_reject(t, s[1].id);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + 6, &s[4]), 0);
        assert_int_equal(session_claim(t, s[1].id, T0 + 7, &x), -ENOENT);
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + 8, &x), -EBUSY);
        /* Expired ones make room too, without a sweep: s[0], s[2], s[3]. */
        assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0 + 10 * SEC + 3, &x), 0);
        assert_int_equal(session_table_count(t, -1), 2); /* s[4] and x */
        assert_int_equal(session_claim(t, s[4].id, T0 + 10 * SEC + 3, &x), 0);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(a, b);
}

static void test_ids_unique(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        enum { N = 2000 };
        char(*ids)[SESSION_ID_STRING_MAX] = calloc(N, sizeof(*ids));
        char(*nonces)[SESSION_NONCE_MAX] = calloc(N, sizeof(*nonces));
        (void)state;

        assert_non_null(ids);
        assert_non_null(nonces);
        assert_int_equal(session_table_new(N, 10 * SEC, &t), 0);
        for (size_t i = 0; i < N; i++) {
                SessionInfo a;
                assert_int_equal(session_new(t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a), 0);
                strcpy(ids[i], a.id);
                strcpy(nonces[i], a.nonce);
        }
        qsort(ids, N, sizeof(*ids), cmp_str);
        qsort(nonces, N, sizeof(*nonces), cmp_str);
        for (size_t i = 1; i < N; i++) {
                assert_string_not_equal(ids[i - 1], ids[i]);
                assert_string_not_equal(nonces[i - 1], nonces[i]);
        }
        free(ids);
        free(nonces);
}

/* Several threads through the whole life of sessions at once; the counts
 * must add up and no session may be lost or attested twice. */
typedef struct Worker {
        SessionTable *t;
        EVP_PKEY *k;
        unsigned accepted, rejected, busy;
} Worker;

static void *worker_main(void *p) {
        Worker *w = p;

        for (unsigned i = 0; i < 400; i++) {
                SessionInfo a, b;
                SessionGrant g = {};
                char *token = NULL;
                int r = session_new(w->t, KBS_TEE_SNP, KBS_HASH_SHA384, T0, &a);

                if (r == -EBUSY) {
                        w->busy++;
                        continue;
                }
                if (r < 0 || session_claim(w->t, a.id, T0, &b) < 0)
                        abort();
                if (i % 3 == 0) {
                        session_reject(w->t, a.id);
                        w->rejected++;
                        continue;
                }
                if (session_attest(w->t, a.id, w->k, JWK_ALG_ECDH_ES_A256KW, "n", T0, &token) < 0 ||
                    session_grant_by_token(w->t, token, T0, &g) < 0)
                        abort();
                session_grant_done(&g);
                free(token);
                w->accepted++;
        }
        return NULL;
}

static void test_threads(void **state) {
        _cleanup_(session_table_freep) SessionTable *t = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = p256();
        Worker w[4];
        pthread_t th[4];
        unsigned accepted = 0, rejected = 0, busy = 0;
        (void)state;

        assert_int_equal(session_table_new(4 * 400, 10 * SEC, &t), 0);
        for (size_t i = 0; i < 4; i++) {
                w[i] = (Worker){.t = t, .k = k};
                assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
        }
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(th[i], NULL), 0);
                accepted += w[i].accepted;
                rejected += w[i].rejected;
                busy += w[i].busy;
        }
        assert_int_equal(busy, 0);
        assert_int_equal(accepted + rejected, 1600);
        assert_int_equal(session_table_count(t, SESSION_ATTESTED), accepted);
        assert_int_equal(session_table_count(t, SESSION_DEAD), rejected);
        assert_int_equal(session_table_count(t, -1), 1600);
        assert_int_equal(session_table_sweep(t, T0 + 70 * SEC), 1600);
}

static void test_bad_table(void **state) {
        SessionTable *t = NULL;
        (void)state;

        assert_int_equal(session_table_new(0, SEC, &t), -EINVAL);
        assert_int_equal(session_table_new(4, 0, &t), -EINVAL);
        assert_null(t);
        assert_string_equal(session_state_to_string(SESSION_ATTESTED), "attested");
        assert_null(session_state_to_string(_SESSION_STATE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_and_claim),
                cmocka_unit_test(test_single_use),
                cmocka_unit_test(test_rejected_session_is_dead),
                cmocka_unit_test(test_unknown_ids),
                cmocka_unit_test(test_expiry),
                cmocka_unit_test(test_attested_grants),
                cmocka_unit_test(test_grant_outlives_session),
                cmocka_unit_test(test_attest_after_expiry),
                cmocka_unit_test(test_table_bound),
                cmocka_unit_test(test_ids_unique),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_bad_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
