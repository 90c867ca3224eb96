#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/cert-load.h"

static int fail(char *err, size_t err_size, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(char *err, size_t err_size, int r, const char *fmt, ...) {
        va_list ap;

        if (err && err_size > 0) {
                va_start(ap, fmt);
                vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
        }
        return r;
}

int release_master_load(const char *path, Secret **ret, char *err, size_t err_size) {
        _cleanup_(secret_freep) Secret *s = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t got = 0;
        uint8_t extra;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return fail(err, err_size, -errno, "master secret '%s': cannot open: %s", path,
                            strerror(errno));
        if (fstat(fd, &st) < 0)
                return fail(err, err_size, -errno, "master secret '%s': cannot stat: %s", path,
                            strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(err, err_size, -EBADMSG, "master secret '%s': not a regular file",
                            path);
        /* A key that group or others may read is a key that has been shared. */
        if (st.st_mode & (S_IRWXG | S_IRWXO))
                return fail(err, err_size, -EPERM,
                            "master secret '%s': mode %04o gives group or others access; "
                            "chmod 0600 (or 0400) it",
                            path, (unsigned)(st.st_mode & 07777));
        if (st.st_size < RELEASE_MASTER_MIN || st.st_size > RELEASE_MASTER_MAX)
                return fail(err, err_size, -EBADMSG,
                            "master secret '%s': %lld bytes, not %d to %d bytes of raw key", path,
                            (long long)st.st_size, RELEASE_MASTER_MIN, RELEASE_MASTER_MAX);
        r = secret_new((size_t)st.st_size, &s);
        if (r < 0)
                return fail(err, err_size, r, "master secret '%s': cannot lock memory for it: %s",
                            path, strerror(-r));
        while (got < s->size) {
                ssize_t n = read(fd, s->data + got, s->size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return fail(err, err_size, -errno, "master secret '%s': cannot read: %s",
                                    path, strerror(errno));
                if (n == 0)
                        return fail(err, err_size, -EBADMSG,
                                    "master secret '%s': changed size while read", path);
                got += (size_t)n;
        }
        if (read(fd, &extra, 1) != 0)
                return fail(err, err_size, -EBADMSG, "master secret '%s': changed size while read",
                            path);
        *ret = TAKE_PTR(s);
        return 0;
}

int release_hkdf_sha256(const void *ikm, size_t ikm_size, const void *salt, size_t salt_size,
                        const void *info, size_t info_size, uint8_t *ret, size_t ret_size) {
        EVP_KDF *kdf;
        _cleanup_(EVP_KDF_CTX_freep) EVP_KDF_CTX *ctx = NULL;
        OSSL_PARAM params[5];
        size_t n = 0;

        if (!ikm || ikm_size == 0 || !ret || ret_size == 0)
                return -EINVAL;
        kdf = evp_fetch_kdf(EVP_FETCH_HKDF);
        if (!kdf)
                goto ossl;
        ctx = EVP_KDF_CTX_new(kdf);
        if (!ctx)
                goto ossl;
        params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_size);
        if (salt && salt_size > 0)
                params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                                salt_size);
        if (info && info_size > 0)
                params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                                info_size);
        params[n] = OSSL_PARAM_construct_end();
        if (EVP_KDF_derive(ctx, ret, ret_size, params) != 1)
                goto ossl;
        return 0;
ossl:
        ERR_clear_error();
        return -EIO;
}

bool release_uuid_is_canonical(const char *s) {
        if (!s || strlen(s) != RELEASE_UUID_LEN)
                return false;
        for (size_t i = 0; i < RELEASE_UUID_LEN; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return true;
}

int release_disk_key(const Secret *master, const char *uuid, Secret **ret) {
        _cleanup_(secret_freep) Secret *key = NULL;
        char info[sizeof(RELEASE_DISK_KEY_INFO_PREFIX) + RELEASE_UUID_LEN];
        int r;

        if (!master || !release_uuid_is_canonical(uuid))
                return -EINVAL;
        r = snprintf(info, sizeof(info), "%s%s", RELEASE_DISK_KEY_INFO_PREFIX, uuid);
        if (r < 0 || (size_t)r >= sizeof(info))
                return -EINVAL;
        r = secret_new(RELEASE_DISK_KEY_SIZE, &key);
        if (r < 0)
                return r;
        r = release_hkdf_sha256(master->data, master->size, RELEASE_DISK_KEY_SALT,
                                strlen(RELEASE_DISK_KEY_SALT), info, strlen(info), key->data,
                                key->size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(key);
        return 0;
}

int release_bootstrap_token(char ret[static RELEASE_TOKEN_LEN + 1]) {
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        uint8_t buf[64];
        size_t have = 0;

        /* 252 = 7 * 36: bytes from 252 up are thrown away, so every
         * character of the alphabet is drawn with the same probability. */
        while (have < RELEASE_TOKEN_LEN) {
                if (RAND_bytes(buf, sizeof(buf)) != 1) {
                        ERR_clear_error();
                        memory_wipe(buf, sizeof(buf));
                        memory_wipe(ret, RELEASE_TOKEN_LEN + 1);
                        return -EIO;
                }
                for (size_t i = 0; i < sizeof(buf) && have < RELEASE_TOKEN_LEN; i++) {
                        if (buf[i] >= 252)
                                continue;
                        if (have == RELEASE_TOKEN_ID_LEN)
                                ret[have++] = '.';
                        ret[have++] = alphabet[buf[i] % 36];
                }
        }
        ret[RELEASE_TOKEN_LEN] = '\0';
        memory_wipe(buf, sizeof(buf));
        return 0;
}

static char *json_string_literal(const char *s) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_string(s);

        if (!o)
                return NULL;
        return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
}

void release_join_free(ReleaseJoin *j) {
        if (!j)
                return;
        free(j->api_server_json);
        free(j->cluster_ca_json);
        free(j);
}

int release_join_new(const char *api_server, const char *cluster_ca_path, uint64_t token_ttl,
                     ReleaseJoin **ret, char *err, size_t err_size) {
        _cleanup_(release_join_freep) ReleaseJoin *j = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL;
        _cleanup_free_ uint8_t *pem = NULL;
        size_t pem_size = 0;
        int r;

        if (!api_server || strncmp(api_server, "https://", 8) != 0 || strlen(api_server) <= 8)
                return fail(err, err_size, -EINVAL, "--api-server '%s' is not an https:// URL",
                            api_server ? api_server : "");
        for (const char *p = api_server; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\')
                        return fail(err, err_size, -EINVAL,
                                    "--api-server '%s' has a space, quote or control character",
                                    api_server);
        if (token_ttl == 0 || token_ttl > 7u * 24 * 3600)
                return fail(err, err_size, -EINVAL, "token TTL %llu s is not 1 s to 7 days",
                            (unsigned long long)token_ttl);
        r = read_full_file(cluster_ca_path, CERT_LOAD_MAX_FILE, &pem, &pem_size);
        if (r < 0)
                return fail(err, err_size, r, "--cluster-ca '%s': cannot read: %s", cluster_ca_path,
                            strerror(-r));
        /* kubeadm's bootstrap kubeconfig carries the CA as PEM text. */
        if (pem_size == 0 || memchr(pem, '\0', pem_size) ||
            !memmem(pem, pem_size, "-----BEGIN CERTIFICATE-----", 27))
                return fail(err, err_size, -EBADMSG, "--cluster-ca '%s': no PEM certificate in it",
                            cluster_ca_path);
        certs = sk_X509_new_null();
        if (!certs)
                return -ENOMEM;
        r = cert_load_buffer(pem, pem_size, certs);
        if (r < 0)
                return fail(err, err_size, r, "--cluster-ca '%s': not a valid PEM certificate",
                            cluster_ca_path);

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        {
                _cleanup_free_ char *text = strndup((const char *)pem, pem_size);
                if (!text)
                        return -ENOMEM;
                j->cluster_ca_json = json_string_literal(text);
        }
        j->api_server_json = json_string_literal(api_server);
        if (!j->cluster_ca_json || !j->api_server_json)
                return -ENOMEM;
        j->token_ttl = token_ttl;
        *ret = TAKE_PTR(j);
        return 0;
}

int release_format_time(time_t t, char *buf, size_t size) {
        struct tm tm;

        if (!gmtime_r(&t, &tm))
                return -EINVAL;
        if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -ENOBUFS;
        return 0;
}

/* Appends n bytes at *pos of s, which was sized for all of them. */
static void put(Secret *s, size_t *pos, const char *p, size_t n) {
        memcpy(s->data + *pos, p, n);
        *pos += n;
}

int release_join_bundle(const ReleaseJoin *j, time_t now, Secret **ret,
                        uint8_t ret_token_hash[static RELEASE_TOKEN_HASH_SIZE],
                        time_t *ret_expires) {
        static const char k_api[] = "{\"api_server\":", k_ca[] = ",\"cluster_ca\":",
                          k_token[] = ",\"token\":\"", k_expires[] = "\",\"expires\":\"",
                          k_end[] = "\"}";
        _cleanup_(secret_freep) Secret *s = NULL;
        char token[RELEASE_TOKEN_LEN + 1], expires[32];
        unsigned md_len = 0;
        time_t exp;
        size_t size, pos = 0;
        int r;

        if (!j)
                return -EINVAL;
        exp = now + (time_t)j->token_ttl;
        r = release_format_time(exp, expires, sizeof(expires));
        if (r < 0)
                return r;
        size = strlen(k_api) + strlen(j->api_server_json) + strlen(k_ca) +
               strlen(j->cluster_ca_json) + strlen(k_token) + RELEASE_TOKEN_LEN +
               strlen(k_expires) + strlen(expires) + strlen(k_end);
        r = secret_new(size, &s);
        if (r < 0)
                return r;
        r = release_bootstrap_token(token);
        if (r < 0)
                return r;
        if (EVP_Digest(token, RELEASE_TOKEN_LEN, ret_token_hash, &md_len, evp_fetch_sha256(),
                       NULL) != 1) {
                memory_wipe(token, sizeof(token));
                ERR_clear_error();
                return -EIO;
        }
        put(s, &pos, k_api, strlen(k_api));
        put(s, &pos, j->api_server_json, strlen(j->api_server_json));
        put(s, &pos, k_ca, strlen(k_ca));
        put(s, &pos, j->cluster_ca_json, strlen(j->cluster_ca_json));
        put(s, &pos, k_token, strlen(k_token));
        put(s, &pos, token, RELEASE_TOKEN_LEN);
        put(s, &pos, k_expires, strlen(k_expires));
        put(s, &pos, expires, strlen(expires));
        put(s, &pos, k_end, strlen(k_end));
        memory_wipe(token, sizeof(token));
        if (pos != size)
                return -EINVAL;
        *ret_expires = exp;
        *ret = TAKE_PTR(s);
        return 0;
}
