/* Evidence as the KBS protocol carries it: KbsEvidence itself, the
 * dispatch to the shape of each TEE (kbs-evidence-{snp,tdx,az,tpm}.c),
 * the additional_evidence map, and the member and byte-string access the
 * shapes share. */

#include "confnode/kbs/kbs-evidence.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-parse.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "kbs-evidence-internal.h"

/* Member access and errors. */

int kbs_ev_fail(KbsProtoError *err, int r, const char *path, const char *fmt, ...) {
        KbsProtoError local;
        va_list ap;

        if (!err)
                err = &local;
        snprintf(err->member, sizeof(err->member), "%s", path ? path : "");
        va_start(ap, fmt);
        vsnprintf(err->what, sizeof(err->what), fmt, ap);
        va_end(ap);
        log_debug("KBS evidence rejected: %s%s%s", err->member, err->member[0] ? ": " : "",
                  err->what);
        return r;
}

/* Appends s to buf (at o) as far as it fits in 64 bytes with the NUL. */
static size_t kbs_ev_path_put(char buf[static 64], size_t o, const char *s) {
        size_t n = strlen(s);

        if (n > 63 - o)
                n = 63 - o;
        memcpy(buf + o, s, n);
        return o + n;
}

/* What snprintf(buf, 64, "%s.%s", path, name) writes (just name for an
 * empty path), without a printf per member: every member a parse passes
 * names its path, most of them never to be shown. */
const char *kbs_ev_path(char buf[static 64], const char *path, const char *name) {
        size_t o = 0;

        if (path && path[0]) {
                o = kbs_ev_path_put(buf, o, path);
                o = kbs_ev_path_put(buf, o, ".");
        }
        o = kbs_ev_path_put(buf, o, name);
        buf[o] = 0;
        return buf;
}

static const char *kbs_ev_type_name(json_object *v) {
        return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

int kbs_ev_member(json_object *obj, const char *path, const char *name, json_type type,
                  bool required, json_object **ret, KbsProtoError *err) {
        json_object *v = NULL;
        char p[64];
        bool found = json_object_object_get_ex(obj, name, &v);

        if (!found || !v) {
                if (required)
                        return kbs_ev_fail(err, -EBADMSG, kbs_ev_path(p, path, name),
                                           found ? "is null" : "missing");
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, type))
                return kbs_ev_fail(err, -EBADMSG, kbs_ev_path(p, path, name), "is %s, expected %s",
                                   kbs_ev_type_name(v), json_type_to_name(type));
        *ret = v;
        return 0;
}

int kbs_ev_expect_object(json_object *j, const char *path, KbsProtoError *err) {
        if (!json_object_is_type(j, json_type_object))
                return kbs_ev_fail(err, -EBADMSG, path, "is %s, expected an object",
                                   kbs_ev_type_name(j));
        return 0;
}

int kbs_ev_uint(json_object *v, const char *path, uint64_t max, uint64_t *ret, KbsProtoError *err) {
        uint64_t u;

        if (!json_object_is_type(v, json_type_int))
                return kbs_ev_fail(err, -EBADMSG, path, "is %s, expected an unsigned integer",
                                   kbs_ev_type_name(v));
        if (json_object_get_int64(v) < 0)
                return kbs_ev_fail(err, -EBADMSG, path, "is negative");
        u = json_object_get_uint64(v);
        if (u == UINT64_MAX)
                return kbs_ev_fail(err, -EBADMSG, path,
                                   "is 2^64-1 or more, which json-c cannot tell apart");
        if (u > max)
                return kbs_ev_fail(err, -EBADMSG, path, "is %llu, more than %llu",
                                   (unsigned long long)u, (unsigned long long)max);
        *ret = u;
        return 0;
}

int kbs_ev_uint_member(json_object *obj, const char *path, const char *name, uint64_t max,
                       uint64_t *ret, KbsProtoError *err) {
        json_object *v;
        char p[64];
        int r;

        r = kbs_ev_member(obj, path, name, json_type_int, true, &v, err);
        if (r < 0)
                return r;
        return kbs_ev_uint(v, kbs_ev_path(p, path, name), max, ret, err);
}

/* Byte strings. */

void kbs_blob_clear(KbsBlob *b) {
        free(b->data);
        *b = (KbsBlob){};
}

int kbs_blob_set(KbsBlob *b, const uint8_t *data, size_t size) {
        uint8_t *d = malloc(size ? size : 1);

        if (!d)
                return -ENOMEM;
        if (size)
                memcpy(d, data, size);
        kbs_blob_clear(b);
        b->data = d;
        b->size = size;
        return 0;
}

static const char *kbs_ev_encoding_name(KbsEvEncoding enc) {
        switch (enc) {
        case KBS_EV_ARRAY:
                return "an array of bytes";
        case KBS_EV_HEX:
                return "a hex string";
        case KBS_EV_BASE64:
                return "a base64 string";
        default:
                return "a base64url string";
        }
}

static int kbs_ev_size_check(const char *path, size_t n, size_t min, size_t max,
                             KbsProtoError *err) {
        if (min == max && n != min)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu bytes, expected %zu", n, min);
        if (n < min)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu bytes, fewer than %zu", n, min);
        if (n > max)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu bytes, more than %zu", n, max);
        return 0;
}

static int kbs_ev_array(json_object *v, const char *path, size_t min, size_t max, KbsBlob *ret,
                        KbsProtoError *err) {
        size_t n = json_object_array_length(v);
        _cleanup_free_ uint8_t *d = NULL;
        const uint8_t *bytes;
        int r;

        /* Decoded already by the JSON pre-scan (JsonParseLimits.byte_arrays). */
        if (json_byte_array(v, &bytes, &n)) {
                r = kbs_ev_size_check(path, n, min, max, err);
                if (r < 0)
                        return r;
                d = malloc(n);
                if (!d)
                        return -ENOMEM;
                memcpy(d, bytes, n);
                kbs_blob_clear(ret);
                ret->data = TAKE_PTR(d);
                ret->size = n;
                return 0;
        }
        r = kbs_ev_size_check(path, n, min, max, err);
        if (r < 0)
                return r;
        d = malloc(n ? n : 1);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                int64_t x;

                if (!json_object_is_type(e, json_type_int))
                        return kbs_ev_fail(err, -EBADMSG, path,
                                           "element %zu is %s, expected a byte", i,
                                           kbs_ev_type_name(e));
                x = json_object_get_int64(e);
                if (x < 0 || x > 255) {
                        /* json-c keeps values past the int64 range as its ends. */
                        if (x == INT64_MAX || x == INT64_MIN)
                                return kbs_ev_fail(err, -EBADMSG, path,
                                                   "element %zu is not a byte (0-255)", i);
                        return kbs_ev_fail(err, -EBADMSG, path,
                                           "element %zu is %lld, not a byte (0-255)", i,
                                           (long long)x);
                }
                d[i] = (uint8_t)x;
        }
        kbs_blob_clear(ret);
        ret->data = TAKE_PTR(d);
        ret->size = n;
        return 0;
}

static bool kbs_ev_is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int kbs_ev_hex(const char *s, size_t len, const char *path, size_t min, size_t max,
                      KbsBlob *ret, KbsProtoError *err) {
        _cleanup_free_ uint8_t *d = NULL;
        size_t n;
        int r;

        if (len % 2)
                return kbs_ev_fail(err, -EBADMSG, path, "odd number of hex digits (%zu)", len);
        r = kbs_ev_size_check(path, len / 2, min, max, err);
        if (r < 0)
                return r;
        /* hex_decode() would also take a "0x" prefix; the hex crate does not. */
        for (size_t i = 0; i < len; i++)
                if (!kbs_ev_is_hex(s[i]))
                        return kbs_ev_fail(err, -EBADMSG, path, "character %zu is not a hex digit",
                                           i);
        if (len == 0) {
                kbs_blob_clear(ret);
                return kbs_blob_set(ret, NULL, 0);
        }
        r = hex_decode(s, &d, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || n != len / 2)
                return kbs_ev_fail(err, -EBADMSG, path, "not hex");
        kbs_blob_clear(ret);
        ret->data = TAKE_PTR(d);
        ret->size = n;
        return 0;
}

/* Both base64 alphabets are decoded by the strict base64url decoders in
 * place (the standard one after checking its padding), without a copy of
 * the text: a TPM event log is some 50 KB of it. Only when decoding fails
 * is the text looked at again, to say why as precisely as we can. */
static int kbs_ev_base64(const char *s, size_t len, bool url, const char *path, size_t min,
                         size_t max, KbsBlob *ret, KbsProtoError *err) {
        _cleanup_free_ uint8_t *d = NULL;
        size_t pad = 0, n, want;
        int r;

        while (pad < len && pad < 3 && s[len - 1 - pad] == '=')
                pad++;
        if (pad > 0 && len % 4 != 0)
                return kbs_ev_fail(err, -EBADMSG, path,
                                   "padded to %zu characters, not a multiple of 4", len);
        if (pad > 2)
                return kbs_ev_fail(err, -EBADMSG, path, "more than two '=' of padding");
        len -= pad;
        if (pad > 0 && len % 4 != 4 - pad)
                return kbs_ev_fail(err, -EBADMSG, path, "wrong amount of padding");
        if (!url && pad == 0 && len % 4 != 0)
                return kbs_ev_fail(err, -EBADMSG, path, "padding missing");
        want = base64url_decoded_size(len);
        if (want == SIZE_MAX)
                return kbs_ev_fail(err, -EBADMSG, path, "%zu characters cannot be base64", len);
        r = kbs_ev_size_check(path, want, min, max, err);
        if (r < 0)
                return r;

        r = url ? base64url_decode(s, len, max, &d, &n) : base64url_decode_std(s, len, max, &d, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                for (size_t i = 0; i < len; i++) {
                        char c = s[i];

                        if (url ? (c == '+' || c == '/') : (c == '-' || c == '_'))
                                return kbs_ev_fail(
                                        err, -EBADMSG, path,
                                        "character %zu ('%c') is of the other base64 alphabet", i,
                                        c);
                }
                return kbs_ev_fail(err, -EBADMSG, path,
                                   "not %s base64 (alphabet, or set bits after the last byte)",
                                   url ? "URL-safe" : "standard");
        }
        kbs_blob_clear(ret);
        ret->data = TAKE_PTR(d);
        ret->size = n;
        return 0;
}

int kbs_ev_bytes(json_object *v, KbsEvEncoding enc, const char *path, size_t min, size_t max,
                 KbsBlob *ret, KbsProtoError *err) {
        const char *s;
        size_t len;

        if (enc == KBS_EV_ARRAY) {
                if (!json_object_is_type(v, json_type_array))
                        return kbs_ev_fail(err, -EBADMSG, path, "is %s, expected %s",
                                           kbs_ev_type_name(v), kbs_ev_encoding_name(enc));
                return kbs_ev_array(v, path, min, max, ret, err);
        }
        if (!json_object_is_type(v, json_type_string))
                return kbs_ev_fail(err, -EBADMSG, path, "is %s, expected %s", kbs_ev_type_name(v),
                                   kbs_ev_encoding_name(enc));
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (strlen(s) != len)
                return kbs_ev_fail(err, -EBADMSG, path, "holds a NUL character");
        if (enc == KBS_EV_HEX)
                return kbs_ev_hex(s, len, path, min, max, ret, err);
        return kbs_ev_base64(s, len, enc == KBS_EV_BASE64URL, path, min, max, ret, err);
}

int kbs_ev_bytes_fixed(json_object *v, KbsEvEncoding enc, const char *path, uint8_t *buf,
                       size_t size, KbsProtoError *err) {
        KbsBlob b = {};
        int r;

        r = kbs_ev_bytes(v, enc, path, size, size, &b, err);
        if (r < 0)
                return r;
        memcpy(buf, b.data, size);
        kbs_blob_clear(&b);
        return 0;
}

int kbs_ev_bytes_member(json_object *obj, const char *path, const char *name, KbsEvEncoding enc,
                        bool required, size_t min, size_t max, KbsBlob *ret, KbsProtoError *err) {
        json_object *v = NULL;
        char p[64];
        bool found = json_object_object_get_ex(obj, name, &v);

        if (!found || !v) {
                if (required)
                        return kbs_ev_fail(err, -EBADMSG, kbs_ev_path(p, path, name),
                                           found ? "is null" : "missing");
                kbs_blob_clear(ret);
                return 0;
        }
        return kbs_ev_bytes(v, enc, kbs_ev_path(p, path, name), min, max, ret, err);
}

json_object *kbs_ev_bytes_new(const uint8_t *data, size_t n, KbsEvEncoding enc) {
        _cleanup_free_ char *s = NULL;
        json_object *a;

        switch (enc) {
        case KBS_EV_ARRAY:
                a = json_object_new_array_ext((int)n);
                if (!a)
                        return NULL;
                for (size_t i = 0; i < n; i++)
                        if (json_object_array_add(a, json_object_new_int(data[i])) < 0) {
                                json_object_put(a);
                                return NULL;
                        }
                return a;
        case KBS_EV_HEX:
                s = hex_encode(data, n);
                break;
        case KBS_EV_BASE64:
                s = base64url_encode_std(data, n);
                break;
        case KBS_EV_BASE64URL: {
                size_t len;
                char *p;

                s = base64url_encode(data, n);
                if (!s)
                        return NULL;
                len = strlen(s);
                p = realloc(s, len + 3);
                if (!p)
                        return NULL;
                s = p;
                while (len % 4)
                        s[len++] = '=';
                s[len] = 0;
                break;
        }
        }
        return s ? json_object_new_string(s) : NULL;
}

int kbs_ev_add_bytes(json_object *obj, const char *key, const uint8_t *data, size_t n,
                     KbsEvEncoding enc) {
        return json_add(obj, key, kbs_ev_bytes_new(data, n, enc));
}

/* KbsEvidence. */

static bool kbs_evidence_tee_supported(KbsTee tee) {
        return tee == KBS_TEE_SNP || tee == KBS_TEE_TDX || tee == KBS_TEE_AZ_SNP_VTPM ||
               tee == KBS_TEE_AZ_TDX_VTPM || tee == KBS_TEE_TPM;
}

void kbs_tpm_evidence_clear(KbsTpmEvidence *t) {
        kbs_blob_clear(&t->attest);
        kbs_blob_clear(&t->signature);
        kbs_blob_clear(&t->ak_public);
        EVP_PKEY_free(t->ak_key);
        t->ak_key = NULL;
        kbs_blob_clear(&t->eventlog);
        t->pcrs = (TpmPcrValues){};
}

void kbs_evidence_free(KbsEvidence *e) {
        if (!e)
                return;
        kbs_blob_clear(&e->report);
        kbs_blob_clear(&e->td_quote);
        kbs_blob_clear(&e->ccel);
        kbs_blob_clear(&e->cert_table);
        free(e->vcek_pem);
        kbs_tpm_evidence_clear(&e->tpm);
        free(e);
}

int kbs_evidence_new(KbsTee tee, KbsEvidence **ret) {
        KbsEvidence *e;

        if (tee < 0 || tee >= _KBS_TEE_MAX)
                return -EINVAL;
        if (!kbs_evidence_tee_supported(tee))
                return -EOPNOTSUPP;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->tee = tee;
        e->az_version = 2;
        *ret = e;
        return 0;
}

int kbs_evidence_additional_to_string(const KbsEvidence *e, char **ret) {
        _cleanup_(json_object_putp) json_object *map = NULL, *tpm = NULL;
        const char *s;
        char *c;
        int r;

        if (!kbs_evidence_tee_supported(e->tee))
                return -EOPNOTSUPP;
        /* az-* carry the quote in the primary evidence, and a vTPM-only
         * node sends the TPM evidence as its primary. */
        if (!e->has_tpm || (e->tee != KBS_TEE_SNP && e->tee != KBS_TEE_TDX)) {
                c = strdup("");
                if (!c)
                        return -ENOMEM;
                *ret = c;
                return 0;
        }
        r = kbs_evidence_tpm_to_json(&e->tpm, &tpm);
        if (r < 0)
                return r;
        map = json_object_new_object();
        if (!map)
                return -ENOMEM;
        r = json_add(map, kbs_tee_to_string(KBS_TEE_TPM), TAKE_PTR(tpm));
        if (r < 0)
                return r;
        /* The exact text is hashed into report_data: compact, and '/' not
         * escaped, as serde_json writes it. */
        s = json_object_to_json_string_ext(map,
                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

int kbs_evidence_primary_to_json(const KbsEvidence *e, json_object **ret) {
        switch (e->tee) {
        case KBS_TEE_SNP:
                return kbs_evidence_snp_to_json(e, ret);
        case KBS_TEE_TDX:
                return kbs_evidence_tdx_to_json(e, ret);
        case KBS_TEE_AZ_SNP_VTPM:
        case KBS_TEE_AZ_TDX_VTPM:
                return kbs_evidence_az_to_json(e, ret);
        case KBS_TEE_TPM:
                if (!e->has_tpm)
                        return -EINVAL;
                return kbs_evidence_tpm_to_json(&e->tpm, ret);
        default:
                return -EOPNOTSUPP;
        }
}

/* The additional_evidence string: a JSON map of TEE name to evidence
 * (Trustee deserializes it as HashMap<Tee, TeeEvidence>, so a name that is
 * not a TEE fails the whole attestation, and so it does here). We appraise
 * only "tpm" in it; any other TEE is refused rather than ignored, since
 * Trustee would have verified it. */
static int kbs_evidence_additional(KbsEvidence *e, const char *additional, KbsProtoError *err) {
        const JsonParseLimits limits = {
                .max_size = KBS_PROTO_MAX_ATTESTATION,
                .max_depth = KBS_PROTO_MAX_DEPTH,
                .max_values = KBS_PROTO_MAX_VALUES,
                .byte_arrays = true,
                .long_strings = true,
        };
        _cleanup_(json_object_putp) json_object *map = NULL;
        ParseError perr;
        char buf[160];
        int r;

        r = json_parse_bounded(additional, strlen(additional), &limits, &map, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return kbs_ev_fail(err, -EBADMSG, "additional_evidence", "not JSON: %s",
                                   parse_error_string(&perr, buf, sizeof(buf)));
        r = kbs_ev_expect_object(map, "additional_evidence", err);
        if (r < 0)
                return r;

        json_object_object_foreach(map, name, value) {
                KbsTee t = kbs_tee_from_string(name);
                char p[64];

                kbs_ev_path(p, "additional_evidence", name);
                /* kbs-types dropped "sev"; Trustee no longer knows it. */
                if (t < 0 || t == KBS_TEE_SEV) {
                        char q[40];
                        size_t n = strlen(name);

                        snprintf(q, sizeof(q), "%.32s%s", name, n > 32 ? "..." : "");
                        for (char *c = q; *c; c++)
                                if (*c < 0x20 || *c >= 0x7f || *c == '\'')
                                        *c = '?';
                        return kbs_ev_fail(err, -EBADMSG, "additional_evidence",
                                           "'%s' is not a TEE name", q);
                }
                if (t != KBS_TEE_TPM)
                        return kbs_ev_fail(err, -EOPNOTSUPP, p,
                                           "additional evidence of this TEE is not appraised");
                if (e->has_tpm)
                        return kbs_ev_fail(
                                err, -EOPNOTSUPP, p,
                                "a second TPM evidence (the primary %s evidence carries one)",
                                kbs_tee_to_string(e->tee));
                r = kbs_evidence_tpm_from_json(&e->tpm, value, p, err);
                if (r < 0)
                        return r;
                e->has_tpm = true;
                e->tpm_in_additional = true;
        }
        return 0;
}

int kbs_evidence_from_json(KbsTee tee, json_object *primary, const char *additional,
                           KbsEvidence **ret, KbsProtoError *err) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        const char *path = "primary_evidence";
        int r;

        if (tee < 0 || tee >= _KBS_TEE_MAX)
                return kbs_ev_fail(err, -EINVAL, "tee", "not a TEE");
        r = kbs_evidence_new(tee, &e);
        if (r == -EOPNOTSUPP)
                return kbs_ev_fail(err, r, "tee", "evidence of '%s' is not appraised",
                                   kbs_tee_to_string(tee));
        if (r < 0)
                return r;
        r = kbs_ev_expect_object(primary, path, err);
        if (r < 0)
                return r;

        switch (tee) {
        case KBS_TEE_SNP:
                r = kbs_evidence_snp_from_json(e, primary, path, err);
                break;
        case KBS_TEE_TDX:
                r = kbs_evidence_tdx_from_json(e, primary, path, err);
                break;
        case KBS_TEE_AZ_SNP_VTPM:
        case KBS_TEE_AZ_TDX_VTPM:
                r = kbs_evidence_az_from_json(e, primary, path, err);
                break;
        default: /* KBS_TEE_TPM */
                r = kbs_evidence_tpm_from_json(&e->tpm, primary, path, err);
                e->has_tpm = r >= 0;
                break;
        }
        if (r < 0)
                return r;

        if (additional && additional[0]) {
                r = kbs_evidence_additional(e, additional, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(e);
        return 0;
}
