#include "confnode/kbs/kbs-proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"

/* JWK members are at most an RSA-8192 modulus in base64url. */
#define KBS_PROTO_MAX_JWK_MEMBER 2048u
#define KBS_PROTO_MAX_SHORT 64u
#define KBS_PROTO_MAX_DETAIL 16384u

static const char *const kbs_tee_names[_KBS_TEE_MAX] = {
        [KBS_TEE_AZ_SNP_VTPM] = "az-snp-vtpm",
        [KBS_TEE_AZ_TDX_VTPM] = "az-tdx-vtpm",
        [KBS_TEE_NVIDIA] = "nvidia",
        [KBS_TEE_SGX] = "sgx",
        [KBS_TEE_SNP] = "snp",
        [KBS_TEE_TDX] = "tdx",
        [KBS_TEE_CCA] = "cca",
        [KBS_TEE_CSV] = "csv",
        [KBS_TEE_SE] = "se",
        [KBS_TEE_HYGONDCU] = "hygondcu",
        [KBS_TEE_TPM] = "tpm",
        [KBS_TEE_SAMPLE] = "sample",
        [KBS_TEE_SAMPLEDEVICE] = "sampledevice",
        [KBS_TEE_SEV] = "sev",
};

const char *kbs_tee_to_string(KbsTee t) {
        if (t < 0 || t >= _KBS_TEE_MAX)
                return NULL;
        return kbs_tee_names[t];
}

KbsTee kbs_tee_from_string(const char *s) {
        if (!s)
                return _KBS_TEE_INVALID;
        for (KbsTee t = 0; t < _KBS_TEE_MAX; t++)
                if (strcmp(kbs_tee_names[t], s) == 0)
                        return t;
        return _KBS_TEE_INVALID;
}

static const char *const kbs_hash_alg_names[_KBS_HASH_ALG_MAX] = {
        [KBS_HASH_SHA256] = "sha256",
        [KBS_HASH_SHA384] = "sha384",
        [KBS_HASH_SHA512] = "sha512",
};

const char *kbs_hash_alg_to_string(KbsHashAlg a) {
        if (a < 0 || a >= _KBS_HASH_ALG_MAX)
                return NULL;
        return kbs_hash_alg_names[a];
}

KbsHashAlg kbs_hash_alg_from_string(const char *s) {
        if (!s)
                return _KBS_HASH_ALG_INVALID;
        for (KbsHashAlg a = 0; a < _KBS_HASH_ALG_MAX; a++)
                if (strcasecmp(kbs_hash_alg_names[a], s) == 0)
                        return a;
        return _KBS_HASH_ALG_INVALID;
}

/* Trustee's kbs/src/error.rs: the variant names (strum AsRefStr) and the
 * status its ResponseError picks (404 for two variants, 401 for the rest). */
static const struct {
        const char *name;
        int status;
} kbs_error_types[_KBS_ERROR_TYPE_MAX] = {
        [KBS_ERROR_ADMIN_AUTH_INITIALIZATION] = {"AdminAuthInitialization", 401},
        [KBS_ERROR_ADMIN_AUTH_ACCESS] = {"AdminAuthAccess", 401},
        [KBS_ERROR_ATTESTATION_ERROR] = {"AttestationError", 401},
        [KBS_ERROR_HTTP_FAILED] = {"HTTPFailed", 401},
        [KBS_ERROR_HTTPS_FAILED] = {"HTTPSFailed", 401},
        [KBS_ERROR_INVALID_REQUEST_PATH] = {"InvalidRequestPath", 404},
        [KBS_ERROR_JWE_ERROR] = {"JweError", 401},
        [KBS_ERROR_PLUGIN_MANAGER_INITIALIZATION] = {"PluginManagerInitialization", 401},
        [KBS_ERROR_PLUGIN_NOT_FOUND] = {"PluginNotFound", 404},
        [KBS_ERROR_PLUGIN_INTERNAL_ERROR] = {"PluginInternalError", 401},
        [KBS_ERROR_POLICY_DENY] = {"PolicyDeny", 401},
        [KBS_ERROR_PARSE_POLICY_ERROR] = {"ParsePolicyError", 401},
        [KBS_ERROR_POLICY_ENGINE_ERROR] = {"PolicyEngineError", 401},
        [KBS_ERROR_RVPS_ERROR] = {"RvpsError", 401},
        [KBS_ERROR_SERDE_ERROR] = {"SerdeError", 401},
        [KBS_ERROR_STORAGE_BACKEND_INITIALIZATION] = {"StorageBackendInitialization", 401},
        [KBS_ERROR_TOKEN_NOT_FOUND] = {"TokenNotFound", 401},
        [KBS_ERROR_TOKEN_VERIFIER_ERROR] = {"TokenVerifierError", 401},
        [KBS_ERROR_PROMETHEUS_ERROR] = {"PrometheusError", 401},
};

const char *kbs_error_type_to_string(KbsErrorType t) {
        if (t < 0 || t >= _KBS_ERROR_TYPE_MAX)
                return NULL;
        return kbs_error_types[t].name;
}

int kbs_error_type_http_status(KbsErrorType t) {
        if (t < 0 || t >= _KBS_ERROR_TYPE_MAX)
                return -EINVAL;
        return kbs_error_types[t].status;
}

KbsErrorType kbs_error_type_from_uri(const char *uri) {
        size_t n = strlen(KBS_ERROR_TYPE_PREFIX);

        if (!uri || strncmp(uri, KBS_ERROR_TYPE_PREFIX, n) != 0)
                return _KBS_ERROR_TYPE_INVALID;
        for (KbsErrorType t = 0; t < _KBS_ERROR_TYPE_MAX; t++)
                if (strcmp(kbs_error_types[t].name, uri + n) == 0)
                        return t;
        return _KBS_ERROR_TYPE_INVALID;
}

const char *kbs_proto_error_string(const KbsProtoError *e, char *buf, size_t size) {
        if (!e || !e->what[0])
                snprintf(buf, size, "malformed message");
        else if (e->member[0])
                snprintf(buf, size, "%s: %s", e->member, e->what);
        else
                snprintf(buf, size, "%s", e->what);
        return buf;
}

static int kbs_fail(KbsProtoError *err, int r, const char *path, const char *name, const char *fmt,
                    ...) _printf_(5, 6);

/* Records the member (path, then .name if given) and the phrase, logs it
 * at debug level and returns r. */
static int kbs_fail(KbsProtoError *err, int r, const char *path, const char *name, const char *fmt,
                    ...) {
        KbsProtoError local;
        va_list ap;

        if (!err)
                err = &local;
        if (name && path[0])
                snprintf(err->member, sizeof(err->member), "%s.%s", path, name);
        else
                snprintf(err->member, sizeof(err->member), "%s", name ? name : path);
        va_start(ap, fmt);
        vsnprintf(err->what, sizeof(err->what), fmt, ap);
        va_end(ap);
        log_debug("KBS message rejected: %s%s%s", err->member, err->member[0] ? ": " : "",
                  err->what);
        return r;
}

/* A short, printable excerpt of a string we did not write, for errors. */
static const char *kbs_excerpt(const char *s, size_t len, char buf[static 40]) {
        size_t n = len < 32 ? len : 32, i;

        for (i = 0; i < n; i++)
                buf[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
        if (len > n) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = 0;
        return buf;
}

/* byte_arrays: only for a body whose arrays of numbers are evidence bytes
 * read by kbs-evidence (the attestation); free-form members such as
 * extra-params keep their arrays as they came. */
static int kbs_parse_body(const void *data, size_t size, size_t max, bool byte_arrays,
                          json_object **ret, KbsProtoError *err) {
        const JsonParseLimits limits = {
                .max_size = max,
                .max_depth = KBS_PROTO_MAX_DEPTH,
                .max_values = KBS_PROTO_MAX_VALUES,
                .byte_arrays = byte_arrays,
                .long_strings = true,
        };
        _cleanup_(json_object_putp) json_object *j = NULL;
        ParseError perr;
        char buf[256];
        int r;

        r = json_parse_bounded(data, size, &limits, &j, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return kbs_fail(err, r, "", NULL, "%s",
                                parse_error_string(&perr, buf, sizeof(buf)));
        if (!json_object_is_type(j, json_type_object))
                return kbs_fail(err, -EBADMSG, "", NULL, "the body is not a JSON object");
        *ret = TAKE_PTR(j);
        return 0;
}

/* Member name of obj with the given type. A missing member, or a null one
 * where the type is Option<…> in kbs-types (nullable), gives NULL. */
static int kbs_member(json_object *obj, const char *path, const char *name, json_type type,
                      bool required, bool nullable, json_object **ret, KbsProtoError *err) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(obj, name, &v) || (!v && nullable)) {
                if (required)
                        return kbs_fail(err, -EBADMSG, path, name, "missing");
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, type))
                return kbs_fail(err, -EBADMSG, path, name, "is %s, expected %s",
                                v ? json_type_to_name(json_object_get_type(v)) : "null",
                                json_type_to_name(type));
        *ret = v;
        return 0;
}

/* A string member copied out: at most max bytes and no NUL inside, since
 * everything after one would be invisible to C but not to the peer. */
static int kbs_string(json_object *obj, const char *path, const char *name, size_t max,
                      bool required, char **ret, KbsProtoError *err) {
        json_object *v;
        size_t len;
        int r;

        r = kbs_member(obj, path, name, json_type_string, required, !required, &v, err);
        if (r < 0)
                return r;
        if (!v) {
                *ret = NULL;
                return 0;
        }
        len = (size_t)json_object_get_string_len(v);
        if (len > max)
                return kbs_fail(err, -EBADMSG, path, name, "%zu bytes, more than %zu", len, max);
        if (strlen(json_object_get_string(v)) != len)
                return kbs_fail(err, -EBADMSG, path, name, "holds a NUL character");
        *ret = strndup(json_object_get_string(v), len);
        return *ret ? 0 : -ENOMEM;
}

/* As kbs_string() for a required member, the string borrowed from obj
 * rather than copied. */
static int kbs_string_borrow(json_object *obj, const char *path, const char *name, size_t max,
                             const char **ret, KbsProtoError *err) {
        json_object *v;
        const char *s;
        size_t len;
        int r;

        r = kbs_member(obj, path, name, json_type_string, true, false, &v, err);
        if (r < 0)
                return r;
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (len > max)
                return kbs_fail(err, -EBADMSG, path, name, "%zu bytes, more than %zu", len, max);
        if (memchr(s, 0, len))
                return kbs_fail(err, -EBADMSG, path, name, "holds a NUL character");
        *ret = s;
        return 0;
}

/* extra-params is free-form in kbs-types (serde_json::Value) but required. */
static int kbs_extra_params(json_object *obj, json_object **ret, KbsProtoError *err) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(obj, "extra-params", &v))
                return kbs_fail(err, -EBADMSG, "", "extra-params", "missing");
        *ret = json_object_get(v);
        return 0;
}

static int kbs_serialize(json_object *obj, char **ret) {
        const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);

        if (!s)
                return -ENOMEM;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Adds value under name, taking a reference to it (a NULL value adds a
 * JSON null). */
static int kbs_add_ref(json_object *obj, const char *name, json_object *value) {
        json_object *v = json_object_get(value);

        if (json_object_object_add(obj, name, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static bool kbs_semver_part(const char **p, unsigned long *ret) {
        const char *s = *p;
        unsigned long v = 0;

        if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (v > 1000000)
                        return false;
                v = v * 10 + (unsigned long)(*s - '0');
        }
        *p = s;
        *ret = v;
        return true;
}

bool kbs_version_is_supported(const char *version) {
        unsigned long major, minor, patch;
        const char *p = version;

        if (!p || !kbs_semver_part(&p, &major) || *p++ != '.' || !kbs_semver_part(&p, &minor) ||
            *p++ != '.' || !kbs_semver_part(&p, &patch))
                return false;
        /* Build metadata does not take part in semver comparison; a
         * pre-release of 0.4.0 is not 0.4.0. */
        if (*p != 0 && *p != '+')
                return false;
        return major == 0 && minor == 4 && patch == 0;
}

void kbs_request_free(KbsRequest *r) {
        if (!r)
                return;
        free(r->version);
        json_object_put(r->extra_params);
        free(r);
}

int kbs_request_build(KbsTee tee, json_object *extra_params, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *def = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (!kbs_tee_to_string(tee))
                return -EINVAL;
        if (!extra_params) {
                json_object *algs = json_object_new_array();

                def = json_object_new_object();
                if (!def)
                        return -ENOMEM;
                r = json_add(def, "supported-hash-algorithms", algs);
                if (r < 0)
                        return r;
                for (KbsHashAlg a = 0; a < _KBS_HASH_ALG_MAX; a++) {
                        json_object *name = json_object_new_string(kbs_hash_alg_to_string(a));

                        if (!name || json_object_array_add(algs, name) < 0) {
                                json_object_put(name);
                                return -ENOMEM;
                        }
                }
                extra_params = def;
        }
        if ((r = json_add_string(o, "version", KBS_PROTOCOL_VERSION)) < 0 ||
            (r = json_add_string(o, "tee", kbs_tee_to_string(tee))) < 0 ||
            (r = kbs_add_ref(o, "extra-params", extra_params)) < 0)
                return r;
        return kbs_serialize(o, ret);
}

int kbs_request_parse(const void *data, size_t size, KbsRequest **ret, KbsProtoError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(kbs_request_freep) KbsRequest *req = NULL;
        _cleanup_free_ char *tee = NULL;
        char ex[40];
        int r;

        r = kbs_parse_body(data, size, KBS_PROTO_MAX_REQUEST, false, &j, err);
        if (r < 0)
                return r;
        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        if ((r = kbs_string(j, "", "version", KBS_PROTO_MAX_SHORT, true, &req->version, err)) < 0 ||
            (r = kbs_string(j, "", "tee", KBS_PROTO_MAX_SHORT, true, &tee, err)) < 0)
                return r;
        req->tee = kbs_tee_from_string(tee);
        if (req->tee < 0)
                return kbs_fail(err, -EBADMSG, "", "tee", "'%s' is not a TEE kbs-types knows",
                                kbs_excerpt(tee, strlen(tee), ex));
        r = kbs_extra_params(j, &req->extra_params, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

void kbs_challenge_free(KbsChallenge *c) {
        if (!c)
                return;
        free(c->nonce);
        json_object_put(c->extra_params);
        free(c);
}

int kbs_nonce_new(char **ret) {
        uint8_t b[KBS_NONCE_SIZE];
        char *s;

        if (RAND_bytes(b, sizeof(b)) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        s = base64url_encode_std(b, sizeof(b));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int kbs_challenge_build(const char *nonce, json_object *extra_params, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *empty = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (!nonce || strlen(nonce) > KBS_PROTO_MAX_NONCE)
                return -EINVAL;
        if (!extra_params) {
                empty = json_object_new_string("");
                if (!empty)
                        return -ENOMEM;
                extra_params = empty;
        }
        if ((r = json_add_string(o, "nonce", nonce)) < 0 ||
            (r = kbs_add_ref(o, "extra-params", extra_params)) < 0)
                return r;
        return kbs_serialize(o, ret);
}

int kbs_challenge_parse(const void *data, size_t size, KbsChallenge **ret, KbsProtoError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(kbs_challenge_freep) KbsChallenge *c = NULL;
        json_object *sel;
        int r;

        r = kbs_parse_body(data, size, KBS_PROTO_MAX_CHALLENGE, false, &j, err);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->hash_alg = KBS_HASH_SHA384;
        if ((r = kbs_string(j, "", "nonce", KBS_PROTO_MAX_NONCE, true, &c->nonce, err)) < 0 ||
            (r = kbs_extra_params(j, &c->extra_params, err)) < 0)
                return r;
        if (json_object_is_type(c->extra_params, json_type_object) &&
            json_object_object_get_ex(c->extra_params, "selected-hash-algorithm", &sel)) {
                char ex[40];

                if (!json_object_is_type(sel, json_type_string))
                        return kbs_fail(err, -EBADMSG, "extra-params", "selected-hash-algorithm",
                                        "is not a string");
                c->hash_alg = kbs_hash_alg_from_string(json_object_get_string(sel));
                if (c->hash_alg < 0)
                        return kbs_fail(err, -EOPNOTSUPP, "extra-params", "selected-hash-algorithm",
                                        "'%s' is not sha256, sha384 or sha512",
                                        kbs_excerpt(json_object_get_string(sel),
                                                    (size_t)json_object_get_string_len(sel), ex));
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* The members kbs-types' TeePubKey requires for each kty. */
static int kbs_check_tee_pubkey(json_object *k, const char *path, KbsProtoError *err) {
        static const char *const ec[] = {"crv", "alg", "x", "y"};
        static const char *const rsa[] = {"alg", "n", "e"};
        _cleanup_free_ char *kty = NULL;
        const char *const *members;
        size_t n;
        char ex[40];
        int r;

        if (!json_object_is_type(k, json_type_object))
                return kbs_fail(err, -EBADMSG, path, NULL, "is not a JSON object");
        r = kbs_string(k, path, "kty", KBS_PROTO_MAX_SHORT, true, &kty, err);
        if (r < 0)
                return r;
        if (strcmp(kty, "EC") == 0)
                members = ec, n = ELEMENTSOF(ec);
        else if (strcmp(kty, "RSA") == 0)
                members = rsa, n = ELEMENTSOF(rsa);
        else
                return kbs_fail(err, -EBADMSG, path, "kty", "'%s' is not \"EC\" or \"RSA\"",
                                kbs_excerpt(kty, strlen(kty), ex));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = NULL;

                r = kbs_string(k, path, members[i], KBS_PROTO_MAX_JWK_MEMBER, true, &s, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void kbs_attestation_free(KbsAttestation *a) {
        if (!a)
                return;
        json_object_put(a->root);
        free(a->nonce);
        free(a->init_data_format);
        free(a->init_data_body);
        free(a);
}

int kbs_attestation_build(const char *nonce, json_object *tee_pubkey, json_object *primary_evidence,
                          const char *additional_evidence, const char *init_data_format,
                          const char *init_data_body, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *rt = json_object_new_object();
        _cleanup_(json_object_putp) json_object *ev = json_object_new_object();
        _cleanup_(json_object_putp) json_object *init = NULL;
        int r;

        if (!o || !rt || !ev)
                return -ENOMEM;
        if (!nonce || !tee_pubkey || (init_data_format && !init_data_body))
                return -EINVAL;
        if (init_data_format) {
                init = json_object_new_object();
                if (!init)
                        return -ENOMEM;
                if ((r = json_add_string(init, "format", init_data_format)) < 0 ||
                    (r = json_add_string(init, "body", init_data_body)) < 0 ||
                    (r = kbs_add_ref(o, "init-data", init)) < 0)
                        return r;
        }
        if ((r = json_add_string(rt, "nonce", nonce)) < 0 ||
            (r = kbs_add_ref(rt, "tee-pubkey", tee_pubkey)) < 0 ||
            (r = kbs_add_ref(o, "runtime-data", rt)) < 0 ||
            (r = kbs_add_ref(ev, "primary_evidence", primary_evidence)) < 0 ||
            (r = json_add_string(ev, "additional_evidence",
                                 additional_evidence ? additional_evidence : "")) < 0 ||
            (r = kbs_add_ref(o, "tee-evidence", ev)) < 0)
                return r;
        return kbs_serialize(o, ret);
}

static int kbs_attestation_legacy(KbsAttestation *a, KbsProtoError *err) {
        json_object *ev;
        int r;

        r = kbs_member(a->root, "", "tee-pubkey", json_type_object, true, false, &a->tee_pubkey,
                       err);
        if (r < 0)
                return r;
        r = kbs_check_tee_pubkey(a->tee_pubkey, "tee-pubkey", err);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(a->root, "tee-evidence", &ev))
                return kbs_fail(err, -EBADMSG, "", "tee-evidence", "missing");
        a->primary_evidence = ev;
        a->legacy = true;
        return 0;
}

int kbs_attestation_parse(const void *data, size_t size, KbsAttestation **ret, KbsProtoError *err) {
        _cleanup_(kbs_attestation_freep) KbsAttestation *a = NULL;
        json_object *rt, *ev, *init;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        r = kbs_parse_body(data, size, KBS_PROTO_MAX_ATTESTATION, true, &a->root, err);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(a->root, "runtime-data", NULL) &&
            json_object_object_get_ex(a->root, "tee-pubkey", NULL)) {
                r = kbs_attestation_legacy(a, err);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(a);
                return 0;
        }

        r = kbs_member(a->root, "", "runtime-data", json_type_object, true, false, &rt, err);
        if (r < 0)
                return r;
        if ((r = kbs_string(rt, "runtime-data", "nonce", KBS_PROTO_MAX_NONCE, true, &a->nonce,
                            err)) < 0 ||
            (r = kbs_member(rt, "runtime-data", "tee-pubkey", json_type_object, true, false,
                            &a->tee_pubkey, err)) < 0 ||
            (r = kbs_check_tee_pubkey(a->tee_pubkey, "runtime-data.tee-pubkey", err)) < 0)
                return r;

        r = kbs_member(a->root, "", "tee-evidence", json_type_object, true, false, &ev, err);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(ev, "primary_evidence", &a->primary_evidence))
                return kbs_fail(err, -EBADMSG, "tee-evidence", "primary_evidence", "missing");
        r = kbs_string_borrow(ev, "tee-evidence", "additional_evidence", KBS_PROTO_MAX_ATTESTATION,
                              &a->additional_evidence, err);
        if (r < 0)
                return r;

        r = kbs_member(a->root, "", "init-data", json_type_object, false, true, &init, err);
        if (r < 0)
                return r;
        if (init && ((r = kbs_string(init, "init-data", "format", KBS_PROTO_MAX_SHORT, true,
                                     &a->init_data_format, err)) < 0 ||
                     (r = kbs_string(init, "init-data", "body", KBS_PROTO_MAX_ATTESTATION, true,
                                     &a->init_data_body, err)) < 0))
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

int kbs_attestation_response_build(const char *token, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        if (!token)
                return -EINVAL;
        r = json_add_string(o, "token", token);
        if (r < 0)
                return r;
        return kbs_serialize(o, ret);
}

int kbs_attestation_response_parse(const void *data, size_t size, char **ret_token,
                                   KbsProtoError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        int r;

        r = kbs_parse_body(data, size, KBS_PROTO_MAX_RESPONSE, false, &j, err);
        if (r < 0)
                return r;
        return kbs_string(j, "", "token", KBS_PROTO_MAX_RESPONSE, true, ret_token, err);
}

void kbs_error_info_free(KbsErrorInfo *e) {
        if (!e)
                return;
        free(e->type);
        free(e->detail);
        free(e);
}

int kbs_error_build(KbsErrorType type, const char *detail, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *uri = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (!kbs_error_type_to_string(type) || !detail)
                return -EINVAL;
        if (asprintf(&uri, "%s%s", KBS_ERROR_TYPE_PREFIX, kbs_error_type_to_string(type)) < 0)
                return -ENOMEM;
        if ((r = json_add_string(o, "type", uri)) < 0 ||
            (r = json_add_string(o, "detail", detail)) < 0)
                return r;
        return kbs_serialize(o, ret);
}

int kbs_error_parse(const void *data, size_t size, KbsErrorInfo **ret, KbsProtoError *err) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(kbs_error_info_freep) KbsErrorInfo *e = NULL;
        int r;

        r = kbs_parse_body(data, size, KBS_PROTO_MAX_ERROR, false, &j, err);
        if (r < 0)
                return r;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        if ((r = kbs_string(j, "", "type", KBS_PROTO_MAX_DETAIL, true, &e->type, err)) < 0 ||
            (r = kbs_string(j, "", "detail", KBS_PROTO_MAX_DETAIL, true, &e->detail, err)) < 0)
                return r;
        e->known = kbs_error_type_from_uri(e->type);
        *ret = TAKE_PTR(e);
        return 0;
}
