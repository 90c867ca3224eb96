#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "release.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"

static void expect_hex(const uint8_t *got, size_t n, const char *hex) {
        _cleanup_free_ char *s = hex_encode(got, n);
        assert_non_null(s);
        assert_string_equal(s, hex);
}

/* RFC 5869 appendix A, test cases 1 and 3 (SHA-256; 3 without salt and
 * info). */
static void test_hkdf_rfc5869(void **state) {
        uint8_t ikm[22], salt[13], info[10], okm[42];
        (void)state;

        memset(ikm, 0x0b, sizeof(ikm));
        for (size_t i = 0; i < sizeof(salt); i++)
                salt[i] = (uint8_t)i;
        for (size_t i = 0; i < sizeof(info); i++)
                info[i] = (uint8_t)(0xf0 + i);
        assert_int_equal(release_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt), info,
                                             sizeof(info), okm, sizeof(okm)),
                         0);
        expect_hex(okm, sizeof(okm),
                   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8871"
                   "85865");
        assert_int_equal(release_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0, okm, sizeof(okm)),
                         0);
        expect_hex(okm, sizeof(okm),
                   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61"
                   "a96c8");
        assert_int_equal(release_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, okm, sizeof(okm)), -EINVAL);
}

static Secret *master_of(size_t n) {
        Secret *m;

        assert_int_equal(secret_new(n, &m), 0);
        for (size_t i = 0; i < n; i++)
                m->data[i] = (uint8_t)i;
        return m;
}

/* The expected keys were computed outside this code, with
 *   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:000102…1f
 *     -kdfopt salt:"confnode disk-key salt v1"
 *     -kdfopt info:"confnode disk-key v1 uuid=<UUID>" HKDF
 * and with Python's hmac module; both agree. A change here changes every
 * node's disk key. */
static void test_disk_key_vectors(void **state) {
        _cleanup_(secret_freep) Secret *m32 = master_of(32), *m64 = master_of(64);
        _cleanup_(secret_freep) Secret *k1 = NULL, *k2 = NULL;
        (void)state;

        assert_int_equal(release_disk_key(m32, "0a1b2c3d-0000-4000-8000-00000000abcd", &k1), 0);
        assert_int_equal(k1->size, RELEASE_DISK_KEY_SIZE);
        expect_hex(k1->data, k1->size,
                   "b38a21fa8f74f31c8fb50ee99550ac44d4d1ecede67dad6c9792d7b64c9b1504");
        assert_int_equal(release_disk_key(m64, "6f1c1a52-3c9b-4be0-9d0a-2b0c3e4f5a61", &k2), 0);
        expect_hex(k2->data, k2->size,
                   "509bfa3c25a9b5c02e015115226ec15557466686ad73889fdc2dcf03e0691aff");
}

static void test_disk_key_stability(void **state) {
        _cleanup_(secret_freep) Secret *m = master_of(48), *other = master_of(48);
        _cleanup_(secret_freep) Secret *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        Secret *bad = NULL;
        (void)state;

        other->data[47] ^= 1;
        assert_int_equal(release_disk_key(m, "0a1b2c3d-0000-4000-8000-00000000abcd", &a), 0);
        /* Another replica with the same master secret: the same key. */
        assert_int_equal(release_disk_key(m, "0a1b2c3d-0000-4000-8000-00000000abcd", &b), 0);
        assert_memory_equal(a->data, b->data, RELEASE_DISK_KEY_SIZE);
        /* Another disk, another master: other keys. */
        assert_int_equal(release_disk_key(m, "0a1b2c3d-0000-4000-8000-00000000abce", &c), 0);
        assert_memory_not_equal(a->data, c->data, RELEASE_DISK_KEY_SIZE);
        assert_int_equal(release_disk_key(other, "0a1b2c3d-0000-4000-8000-00000000abcd", &d), 0);
        assert_memory_not_equal(a->data, d->data, RELEASE_DISK_KEY_SIZE);
        /* Only the canonical spelling of a UUID names a disk. */
        assert_int_equal(release_disk_key(m, "0A1B2C3D-0000-4000-8000-00000000ABCD", &bad),
                         -EINVAL);
        assert_null(bad);
}

static void test_uuid_canonical(void **state) {
        static const char *const bad[] = {
                "",
                "0a1b2c3d-0000-4000-8000-00000000abc",
                "0a1b2c3d-0000-4000-8000-00000000abcde",
                "0a1b2c3d00000-4000-8000-00000000abcd",
                "0a1b2c3d-0000-4000-8000-00000000abcD",
                "0a1b2c3d-0000-4000-8000-00000000abcg",
                "{0a1b2c3d-0000-4000-8000-00000000abc}",
                "0a1b2c3d-0000-4000-8000_00000000abcd",
                "0a1b2c3d-0000-4000-8000-00000000ab d",
                "../../../../etc/passwd-aaaaaaaaaaaaa",
        };
        (void)state;

        assert_true(release_uuid_is_canonical("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert_true(release_uuid_is_canonical("ffffffff-ffff-ffff-ffff-ffffffffffff"));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_false(release_uuid_is_canonical(bad[i]));
        assert_false(release_uuid_is_canonical(NULL));
}

static bool token_shape(const char *t) {
        if (strlen(t) != RELEASE_TOKEN_LEN || t[RELEASE_TOKEN_ID_LEN] != '.')
                return false;
        for (size_t i = 0; i < RELEASE_TOKEN_LEN; i++)
                if (i != RELEASE_TOKEN_ID_LEN &&
                    !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')))
                        return false;
        return true;
}

static int cmp_token(const void *a, const void *b) {
        return strcmp(a, b);
}

/* 10,000 tokens: kubeadm's shape, all different, and every character of
 * the alphabet about equally often (220,000 draws, 6,111 expected each;
 * the 10% band is 15 standard deviations wide, so this never flakes, but a
 * modulo bias (252 of 256 values kept, or not) of 1.6% would not show;
 * what it does catch is a broken alphabet or position). */
static void test_bootstrap_tokens(void **state) {
        enum { N = 10000 };
        char(*tokens)[RELEASE_TOKEN_LEN + 1] = calloc(N, sizeof(*tokens));
        unsigned counts[36] = {0}, id_counts[36] = {0};
        const double expected = (double)N * (RELEASE_TOKEN_LEN - 1) / 36;
        (void)state;

        assert_non_null(tokens);
        for (size_t i = 0; i < N; i++) {
                assert_int_equal(release_bootstrap_token(tokens[i]), 0);
                assert_true(token_shape(tokens[i]));
                for (size_t j = 0; j < RELEASE_TOKEN_LEN; j++) {
                        char ch = tokens[i][j];
                        size_t k;

                        if (j == RELEASE_TOKEN_ID_LEN)
                                continue;
                        k = ch >= 'a' ? (size_t)(ch - 'a') : 26 + (size_t)(ch - '0');
                        counts[k]++;
                        if (j < RELEASE_TOKEN_ID_LEN)
                                id_counts[k]++;
                }
        }
        for (size_t k = 0; k < 36; k++) {
                assert_true(counts[k] > expected * 0.9 && counts[k] < expected * 1.1);
                /* The id part alone: 60,000 draws, 1,667 expected. */
                assert_true(id_counts[k] > 1667 * 0.8 && id_counts[k] < 1667 * 1.2);
        }
        qsort(tokens, N, sizeof(*tokens), cmp_token);
        for (size_t i = 1; i < N; i++)
                assert_string_not_equal(tokens[i - 1], tokens[i]);
        free(tokens);
}

static char *temp_dir(void) {
        char *d = strdup("/tmp/test-release-XXXXXX");
        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static char *write_file(const char *dir, const char *name, const void *data, size_t n,
                        mode_t mode) {
        char *p = NULL;
        int fd;

        assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
        (void)unlink(p);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, n), (ssize_t)n);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        return p;
}

static void test_master_load(void **state) {
        _cleanup_free_ char *dir = temp_dir();
        uint8_t key[65];
        char err[256];
        Secret *s = NULL;
        (void)state;

        for (size_t i = 0; i < sizeof(key); i++)
                key[i] = (uint8_t)(i * 7);
        {
                _cleanup_free_ char *p = write_file(dir, "k32", key, 32, 0600);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), 0);
                assert_int_equal(s->size, 32);
                assert_memory_equal(s->data, key, 32);
                secret_free(s);
                s = NULL;
                unlink(p);
        }
        {
                _cleanup_free_ char *p = write_file(dir, "k64", key, 64, 0400);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), 0);
                assert_int_equal(s->size, 64);
                secret_free(s);
                s = NULL;
                unlink(p);
        }
        {
                _cleanup_free_ char *p = write_file(dir, "k31", key, 31, 0600);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), -EBADMSG);
                assert_non_null(strstr(err, "31 bytes"));
                unlink(p);
        }
        {
                _cleanup_free_ char *p = write_file(dir, "k65", key, 65, 0600);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), -EBADMSG);
                unlink(p);
        }
        {
                _cleanup_free_ char *p = write_file(dir, "k-group", key, 32, 0640);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), -EPERM);
                assert_non_null(strstr(err, "0640"));
                unlink(p);
        }
        {
                _cleanup_free_ char *p = write_file(dir, "k-other", key, 32, 0604);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), -EPERM);
                unlink(p);
        }
        {
                _cleanup_free_ char *p = NULL;
                assert_true(asprintf(&p, "%s/missing", dir) > 0);
                assert_int_equal(release_master_load(p, &s, err, sizeof(err)), -ENOENT);
                assert_non_null(strstr(err, "missing"));
        }
        assert_int_equal(chmod(dir, 0700), 0);
        assert_int_equal(release_master_load(dir, &s, err, sizeof(err)), -EBADMSG);
        assert_null(s);
        rmdir(dir);
}

static const char *peer_pem(void) {
        static char path[4096];
        const char *d = getenv("PEER_DATA");

        assert_non_null(d);
        snprintf(path, sizeof(path), "%s/tdx/dcap-sgx-root-ca.pem", d);
        return path;
}

static void test_join_bundle(void **state) {
        _cleanup_(release_join_freep) ReleaseJoin *j = NULL;
        _cleanup_(secret_freep) Secret *b1 = NULL, *b2 = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ uint8_t *pem = NULL;
        _cleanup_free_ char *text = NULL;
        uint8_t h1[RELEASE_TOKEN_HASH_SIZE], h2[RELEASE_TOKEN_HASH_SIZE], md[32];
        unsigned md_len = 0;
        size_t pem_size = 0;
        json_object *v;
        time_t exp = 0;
        char err[256];
        const char *token;
        (void)state;

        assert_int_equal(
                release_join_new("https://10.0.0.1:6443", peer_pem(), 3600, &j, err, sizeof(err)),
                0);
        assert_int_equal(release_join_bundle(j, 1700000000, &b1, h1, &exp), 0);
        assert_int_equal(exp, 1700003600);
        text = strndup((const char *)b1->data, b1->size);
        assert_non_null(text);
        o = json_tokener_parse(text);
        assert_non_null(o);
        assert_int_equal(json_object_object_length(o), 4);
        assert_true(json_object_object_get_ex(o, "api_server", &v));
        assert_string_equal(json_object_get_string(v), "https://10.0.0.1:6443");
        assert_true(json_object_object_get_ex(o, "cluster_ca", &v));
        assert_int_equal(read_full_file(peer_pem(), 1 << 20, &pem, &pem_size), 0);
        assert_int_equal(strlen(json_object_get_string(v)), pem_size);
        assert_memory_equal(json_object_get_string(v), pem, pem_size);
        assert_true(json_object_object_get_ex(o, "expires", &v));
        assert_string_equal(json_object_get_string(v), "2023-11-14T23:13:20Z");
        assert_true(json_object_object_get_ex(o, "token", &v));
        token = json_object_get_string(v);
        assert_true(token_shape(token));
        /* What the store records is SHA-256 of the token, nothing else. */
        assert_int_equal(EVP_Digest(token, strlen(token), md, &md_len, EVP_sha256(), NULL), 1);
        assert_memory_equal(md, h1, sizeof(md));
        /* A fresh token every time. */
        assert_int_equal(release_join_bundle(j, 1700000000, &b2, h2, &exp), 0);
        assert_memory_not_equal(h1, h2, sizeof(h1));
}

static void test_join_bad_input(void **state) {
        _cleanup_free_ char *dir = temp_dir();
        ReleaseJoin *j = NULL;
        char err[256];
        (void)state;

        assert_int_equal(
                release_join_new("http://10.0.0.1:6443", peer_pem(), 3600, &j, err, sizeof(err)),
                -EINVAL);
        assert_non_null(strstr(err, "https://"));
        assert_int_equal(release_join_new("https://", peer_pem(), 3600, &j, err, sizeof(err)),
                         -EINVAL);
        assert_int_equal(release_join_new("https://a b", peer_pem(), 3600, &j, err, sizeof(err)),
                         -EINVAL);
        assert_int_equal(release_join_new("https://a\"b", peer_pem(), 3600, &j, err, sizeof(err)),
                         -EINVAL);
        assert_int_equal(release_join_new("https://a", peer_pem(), 0, &j, err, sizeof(err)),
                         -EINVAL);
        {
                _cleanup_free_ char *p = write_file(dir, "not-pem", "hello\n", 6, 0644);
                assert_int_equal(release_join_new("https://a", p, 60, &j, err, sizeof(err)),
                                 -EBADMSG);
                assert_non_null(strstr(err, "no PEM certificate"));
                unlink(p);
        }
        {
                static const char broken[] =
                        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
                _cleanup_free_ char *p = write_file(dir, "broken", broken, strlen(broken), 0644);
                assert_true(release_join_new("https://a", p, 60, &j, err, sizeof(err)) < 0);
                unlink(p);
        }
        {
                _cleanup_free_ char *p = NULL;
                assert_true(asprintf(&p, "%s/missing.pem", dir) > 0);
                assert_int_equal(release_join_new("https://a", p, 60, &j, err, sizeof(err)),
                                 -ENOENT);
        }
        assert_null(j);
        rmdir(dir);
}

static void test_format_time(void **state) {
        char buf[32];
        (void)state;

        assert_int_equal(release_format_time(0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "1970-01-01T00:00:00Z");
        assert_int_equal(release_format_time(951782400, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "2000-02-29T00:00:00Z");
        assert_int_equal(release_format_time(0, buf, 8), -ENOBUFS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hkdf_rfc5869),       cmocka_unit_test(test_disk_key_vectors),
                cmocka_unit_test(test_disk_key_stability), cmocka_unit_test(test_uuid_canonical),
                cmocka_unit_test(test_bootstrap_tokens),   cmocka_unit_test(test_master_load),
                cmocka_unit_test(test_join_bundle),        cmocka_unit_test(test_join_bad_input),
                cmocka_unit_test(test_format_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
