/* Decoding of Azure's HCL report: the fixed binary frame through the
 * Reader, the hardware report by the SNP and TDX parsers, the runtime data
 * by json-c (strict, UTF-8 checked, length and depth bounded), and the
 * HCLAkPub JWK into an OpenSSL key. */

#include "confnode/evidence/az-hcl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "confnode/basic/json-util.h"
#include "tdx-openssl-internal.h"

/* JSON nesting in the runtime data is two or three levels deep. */
#define AZ_HCL_JSON_DEPTH 16
/* An RSA AK of up to 4096 bits; a public exponent of up to 64 bits. */
#define AZ_HCL_MAX_MODULUS 512
#define AZ_HCL_MAX_EXPONENT 8

void az_hcl_free(AzHclReport *rep) {
        if (!rep)
                return;
        snp_report_free(rep->snp);
        json_object_put(rep->runtime_json);
        EVP_PKEY_free(rep->ak);
        free(rep);
}

size_t az_hcl_hash_size(uint32_t hash_type) {
        switch (hash_type) {
        case AZ_HCL_HASH_SHA256:
                return 32;
        case AZ_HCL_HASH_SHA384:
                return 48;
        case AZ_HCL_HASH_SHA512:
                return 64;
        default:
                return 0;
        }
}

const char *az_hcl_report_type_to_string(uint32_t type) {
        switch (type) {
        case AZ_HCL_REPORT_SNP:
                return "snp";
        case AZ_HCL_REPORT_TVM:
                return "tvm";
        case AZ_HCL_REPORT_TDX:
                return "tdx";
        default:
                return NULL;
        }
}

const char *az_hcl_hash_type_to_string(uint32_t type) {
        switch (type) {
        case AZ_HCL_HASH_SHA256:
                return "sha256";
        case AZ_HCL_HASH_SHA384:
                return "sha384";
        case AZ_HCL_HASH_SHA512:
                return "sha512";
        default:
                return NULL;
        }
}

const char *az_hcl_request_type_to_string(uint32_t type) {
        switch (type) {
        case 1:
                return "key_release";
        case 2:
                return "ak_cert";
        case 3:
                return "wrapped_key";
        default:
                return NULL;
        }
}

const uint8_t *az_hcl_report_data(const AzHclReport *rep) {
        if (rep->report_type == AZ_HCL_REPORT_SNP && rep->snp)
                return rep->snp->report_data;
        return rep->tdx.report_data;
}

static int az_hcl_u32(Reader *rd, const char *field, uint32_t *ret) {
        return reader_field(rd, reader_u32le(rd, ret), field);
}

static int az_hcl_unsupported(Reader *rd, const char *field, const char *what) {
        (void)reader_fail(rd, field, "%s", what);
        return -EOPNOTSUPP;
}

static int az_hcl_header(Reader *rd, AzHclReport *rep) {
        Reader save = *rd;
        int r;

        r = az_hcl_u32(rd, "signature", &rep->signature);
        if (r < 0)
                return r;
        if (rep->signature != AZ_HCL_SIGNATURE)
                return reader_fail(&save, "signature", "0x%08x is not \"HCLA\"", rep->signature);
        save = *rd;
        r = az_hcl_u32(rd, "version", &rep->version);
        if (r < 0)
                return r;
        if (rep->version < 1 || rep->version > 2) {
                char what[64];

                snprintf(what, sizeof(what), "%u is not an HCL report version (1, 2)",
                         rep->version);
                return az_hcl_unsupported(&save, "version", what);
        }
        if ((r = az_hcl_u32(rd, "report_size", &rep->report_size)) < 0 ||
            (r = az_hcl_u32(rd, "request_type", &rep->request_type)) < 0 ||
            (r = az_hcl_u32(rd, "status", &rep->status)) < 0 ||
            (r = reader_field(rd, reader_skip(rd, 12), "reserved")) < 0)
                return r;
        return 0;
}

/* base64url without padding (RFC 7515 appendix C), as JWK members are
 * written; a trailing '=' is tolerated. */
static int az_hcl_b64url(const char *s, size_t len, uint8_t *out, size_t max, size_t *ret_n) {
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t n = 0;

        while (len > 0 && s[len - 1] == '=')
                len--;
        if (len % 4 == 1)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                unsigned v;

                if (c >= 'A' && c <= 'Z')
                        v = (unsigned)(c - 'A');
                else if (c >= 'a' && c <= 'z')
                        v = (unsigned)(c - 'a') + 26;
                else if (c >= '0' && c <= '9')
                        v = (unsigned)(c - '0') + 52;
                else if (c == '-')
                        v = 62;
                else if (c == '_')
                        v = 63;
                else
                        return -EBADMSG;
                acc = (acc << 6) | v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (n >= max)
                                return -E2BIG;
                        out[n++] = (uint8_t)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        *ret_n = n;
        return 0;
}

static int az_hcl_jwk_member(json_object *jwk, const char *name, uint8_t *out, size_t max,
                             size_t *ret_n) {
        json_object *v;

        if (!json_object_object_get_ex(jwk, name, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        return az_hcl_b64url(json_object_get_string(v), (size_t)json_object_get_string_len(v), out,
                             max, ret_n);
}

/* An RSA public JWK (RFC 7518 6.3.1: n and e, big-endian, base64url) as
 * an EVP_PKEY. */
static int az_hcl_rsa_jwk(json_object *jwk, EVP_PKEY **ret, const char **ret_why) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = NULL;
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        uint8_t nb[AZ_HCL_MAX_MODULUS], eb[AZ_HCL_MAX_EXPONENT];
        size_t n_size, e_size;
        EVP_PKEY *key = NULL;
        json_object *kty;

        if (!json_object_object_get_ex(jwk, "kty", &kty) ||
            !json_object_is_type(kty, json_type_string) ||
            strcmp(json_object_get_string(kty), "RSA") != 0) {
                *ret_why = "kty is not \"RSA\"";
                return -EBADMSG;
        }
        if (az_hcl_jwk_member(jwk, "n", nb, sizeof(nb), &n_size) < 0 || n_size == 0) {
                *ret_why = "n is not a base64url RSA modulus of up to 4096 bits";
                return -EBADMSG;
        }
        if (az_hcl_jwk_member(jwk, "e", eb, sizeof(eb), &e_size) < 0 || e_size == 0) {
                *ret_why = "e is not a base64url public exponent of up to 64 bits";
                return -EBADMSG;
        }
        n = BN_bin2bn(nb, (int)n_size, NULL);
        e = BN_bin2bn(eb, (int)e_size, NULL);
        bld = OSSL_PARAM_BLD_new();
        if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
                return -ENOMEM;
        params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1)
                return -ENOMEM;
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
                ERR_clear_error();
                *ret_why = "n and e do not make an RSA key";
                return -EBADMSG;
        }
        *ret = key;
        return 0;
}

/* The runtime data must be one JSON object (trailing whitespace aside);
 * its "keys" array, when there is one, may hold the HCLAkPub JWK. */
static int az_hcl_runtime_json(Reader *rd, AzHclReport *rep) {
        json_tokener *tok = json_tokener_new_ex(AZ_HCL_JSON_DEPTH);
        _cleanup_(json_object_putp) json_object *j = NULL;
        const char *text = (const char *)rep->runtime_data, *why = NULL;
        size_t len = rep->runtime_data_size, end;
        enum json_tokener_error jerr;
        json_object *keys;
        Reader at;
        int r;

        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        j = json_tokener_parse_ex(tok, text, (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        /* Point the error at the byte json-c stopped at. */
        at = *rd;
        if (!j || jerr != json_tokener_success) {
                if (end < len)
                        (void)reader_skip(&at, end);
                return reader_fail(&at, "runtime_data", "not JSON: %s",
                                   jerr == json_tokener_continue ? "ends early"
                                                                 : json_tokener_error_desc(jerr));
        }
        for (size_t i = end; i < len; i++)
                if (!strchr(" \t\r\n", text[i]) || text[i] == 0) {
                        (void)reader_skip(&at, i);
                        return reader_fail(&at, "runtime_data", "%zu bytes after the JSON value",
                                           len - i);
                }
        if (!json_object_is_type(j, json_type_object))
                return reader_fail(&at, "runtime_data", "JSON, but not an object");

        if (json_object_object_get_ex(j, "keys", &keys)) {
                if (!json_object_is_type(keys, json_type_array))
                        return reader_fail(&at, "runtime_data.keys", "not an array");
                for (size_t i = 0; i < json_object_array_length(keys); i++) {
                        json_object *k = json_object_array_get_idx(keys, i), *kid;

                        if (!json_object_is_type(k, json_type_object) ||
                            !json_object_object_get_ex(k, "kid", &kid) ||
                            !json_object_is_type(kid, json_type_string) ||
                            strcmp(json_object_get_string(kid), "HCLAkPub") != 0)
                                continue;
                        r = az_hcl_rsa_jwk(k, &rep->ak, &why);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return reader_fail(&at, "runtime_data.keys.HCLAkPub", "%s", why);
                        rep->ak_jwk = k;
                        break;
                }
        }
        rep->runtime_json = TAKE_PTR(j);
        return 0;
}

static int az_hcl_decode_hw_report(AzHclReport *rep, Reader *type_at, ParseError *err) {
        const size_t base = AZ_HCL_HEADER_SIZE;
        ParseError inner = {};
        int r;

        switch (rep->report_type) {
        case AZ_HCL_REPORT_SNP:
                r = snp_report_parse(rep->hw_report, AZ_HCL_HW_REPORT_SIZE, &rep->snp, &inner);
                break;
        case AZ_HCL_REPORT_TDX:
                r = tdx_report_parse(rep->hw_report, TDX_REPORT_SIZE, &rep->tdx, &inner);
                break;
        default: {
                char what[96];

                snprintf(what, sizeof(what), "%u (%s) is not a hardware report this parser decodes",
                         rep->report_type,
                         az_hcl_report_type_to_string(rep->report_type) ?: "unknown");
                return az_hcl_unsupported(type_at, "report_type", what);
        }
        }
        if (r == -EBADMSG && err && !err->set) {
                /* The inner parsers count from the slot; report from the
                 * start of the HCL report. */
                *err = inner;
                err->offset += base;
                if (!err->field)
                        err->field = rep->report_type == AZ_HCL_REPORT_SNP ? "hw_report.snp"
                                                                           : "hw_report.tdx";
        }
        return r;
}

int az_hcl_parse(const uint8_t *data, size_t size, AzHclReport **ret, ParseError *err) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = calloc(1, sizeof(AzHclReport));
        Reader rd, hdr, body, runtime, save, type_at;
        const uint8_t *pad;
        int r;

        if (!rep)
                return -ENOMEM;
        reader_init(&rd, data, size, err);
        hdr = rd;
        r = az_hcl_header(&rd, rep);
        if (r < 0)
                return r;

        /* report_size frames header, hardware report and runtime data;
         * whatever the NV index holds after it is not part of the report. */
        if (rep->report_size <
                    AZ_HCL_HEADER_SIZE + AZ_HCL_HW_REPORT_SIZE + AZ_HCL_RUNTIME_HEADER_SIZE ||
            rep->report_size > size) {
                (void)reader_skip(&hdr, 8);
                return reader_fail(&hdr, "report_size",
                                   "%u bytes, needs %d to %zu (the header, the hardware report, "
                                   "the runtime-data header, and no more than is there)",
                                   rep->report_size,
                                   AZ_HCL_HEADER_SIZE + AZ_HCL_HW_REPORT_SIZE +
                                           AZ_HCL_RUNTIME_HEADER_SIZE,
                                   size);
        }
        r = reader_sub(&rd, rep->report_size - AZ_HCL_HEADER_SIZE, &body);
        if (r < 0)
                return r;
        rep->size = rep->report_size;
        reader_rest(&rd, &pad, &rep->trailing_size);

        /* The slot is decoded once the runtime-data header after it has
         * said what it holds. */
        r = reader_field(&body, reader_bytes(&body, AZ_HCL_HW_REPORT_SIZE, &rep->hw_report),
                         "hw_report");
        if (r < 0)
                return r;

        save = body;
        r = az_hcl_u32(&body, "data_size", &rep->data_size);
        if (r < 0)
                return r;
        if (rep->data_size < AZ_HCL_RUNTIME_HEADER_SIZE || rep->data_size - 4 > reader_left(&body))
                return reader_fail(&save, "data_size",
                                   "%u bytes, needs %d to %zu (the runtime-data header and what "
                                   "report_size leaves)",
                                   rep->data_size, AZ_HCL_RUNTIME_HEADER_SIZE,
                                   reader_left(&body) + 4);
        if ((r = az_hcl_u32(&body, "data_version", &rep->data_version)) < 0)
                return r;
        type_at = body;
        if ((r = az_hcl_u32(&body, "report_type", &rep->report_type)) < 0 ||
            (r = az_hcl_u32(&body, "hash_type", &rep->hash_type)) < 0)
                return r;
        save = body;
        r = az_hcl_u32(&body, "runtime_data_size", &rep->runtime_data_size);
        if (r < 0)
                return r;
        if (rep->runtime_data_size > rep->data_size - AZ_HCL_RUNTIME_HEADER_SIZE ||
            rep->runtime_data_size > AZ_HCL_MAX_RUNTIME_DATA)
                return reader_fail(
                        &save, "runtime_data_size", "%u bytes, data_size leaves %u (at most %u)",
                        rep->runtime_data_size, rep->data_size - AZ_HCL_RUNTIME_HEADER_SIZE,
                        AZ_HCL_MAX_RUNTIME_DATA);
        save = body;
        r = reader_field(&body, reader_sub(&body, rep->runtime_data_size, &runtime),
                         "runtime_data");
        if (r < 0)
                return r;
        r = reader_peek(&runtime, rep->runtime_data_size, &rep->runtime_data);
        if (r < 0)
                return r;

        r = az_hcl_decode_hw_report(rep, &type_at, err);
        if (r < 0)
                return r;
        r = az_hcl_runtime_json(&save, rep);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rep);
        return 0;
}
