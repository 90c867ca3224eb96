/* Azure HCL reports as JSON: the binary frame's fields, the embedded
 * hardware report through the SNP or TDREPORT JSON, and the runtime data
 * as the JSON it is. */

#include "confnode/evidence/az-hcl-json.h"

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "confnode/basic/json-util.h"
#include "confnode/evidence/snp-json.h"
#include "confnode/evidence/tdx-report-json.h"
#include "tdx-openssl-internal.h"

static int az_hcl_json_add(json_object *obj, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(obj, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int az_hcl_json_name(json_object *obj, const char *key, const char *name) {
        return json_add_string(obj, key, name ?: "unknown");
}

/* The AK as its JWK and as PEM, which OpenSSL tools take directly. */
static int az_hcl_json_ak(const AzHclReport *rep, json_object *out) {
        _cleanup_(json_object_putp) json_object *ak = json_object_new_object();
        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
        _cleanup_free_ char *pem = NULL;
        char *p = NULL;
        long n;
        int r;

        if (!ak || !bio)
                return -ENOMEM;
        if (PEM_write_bio_PUBKEY(bio, rep->ak) != 1) {
                ERR_clear_error();
                return -ENOMEM;
        }
        n = BIO_get_mem_data(bio, &p);
        if (n <= 0 || !p)
                return -ENOMEM;
        pem = strndup(p, (size_t)n);
        if (!pem)
                return -ENOMEM;
        if ((r = json_add_u64(ak, "bits", (uint64_t)EVP_PKEY_get_bits(rep->ak))) < 0 ||
            (r = az_hcl_json_add(ak, "jwk", json_object_get(rep->ak_jwk))) < 0 ||
            (r = json_add_string(ak, "pem", pem)) < 0)
                return r;
        return az_hcl_json_add(out, "ak", TAKE_PTR(ak));
}

int az_hcl_json_from_report(const AzHclReport *rep, json_object **ret) {
        _cleanup_(json_object_putp) json_object *out = json_object_new_object(), *hw = NULL;
        size_t hash_size = az_hcl_hash_size(rep->hash_type);
        int r;

        if (!out)
                return -ENOMEM;
        if ((r = json_add_string(out, "signature", "HCLA")) < 0 ||
            (r = json_add_u64(out, "version", rep->version)) < 0 ||
            (r = json_add_u64(out, "report_size", rep->report_size)) < 0 ||
            (r = json_add_u64(out, "request_type", rep->request_type)) < 0 ||
            (r = az_hcl_json_name(out, "request_type_name",
                                  az_hcl_request_type_to_string(rep->request_type))) < 0 ||
            (r = json_add_u64(out, "status", rep->status)) < 0 ||
            (r = json_add_u64(out, "report_type", rep->report_type)) < 0 ||
            (r = az_hcl_json_name(out, "report_type_name",
                                  az_hcl_report_type_to_string(rep->report_type))) < 0)
                return r;

        if (rep->report_type == AZ_HCL_REPORT_SNP) {
                r = snp_json_from_report(rep->snp, &hw);
                if (r < 0)
                        return r;
                r = az_hcl_json_add(out, "snp_report", TAKE_PTR(hw));
        } else {
                hw = json_object_new_object();
                if (!hw)
                        return -ENOMEM;
                r = tdx_report_json_add(&rep->tdx, hw);
                if (r < 0)
                        return r;
                r = az_hcl_json_add(out, "td_report", TAKE_PTR(hw));
        }
        if (r < 0)
                return r;

        if ((r = json_add_u64(out, "data_size", rep->data_size)) < 0 ||
            (r = json_add_u64(out, "data_version", rep->data_version)) < 0 ||
            (r = json_add_u64(out, "hash_type", rep->hash_type)) < 0 ||
            (r = az_hcl_json_name(out, "hash_type_name",
                                  az_hcl_hash_type_to_string(rep->hash_type))) < 0 ||
            (r = json_add_u64(out, "runtime_data_size", rep->runtime_data_size)) < 0)
                return r;
        if (hash_size > 0) {
                uint8_t h[64];

                r = tdx_openssl_digest(hash_size, rep->runtime_data, rep->runtime_data_size, h);
                if (r < 0)
                        return r;
                r = json_add_hex(out, "runtime_data_hash", h, hash_size);
                if (r < 0)
                        return r;
        }
        r = az_hcl_json_add(out, "runtime_data", json_object_get(rep->runtime_json));
        if (r < 0)
                return r;
        if (rep->ak) {
                r = az_hcl_json_ak(rep, out);
                if (r < 0)
                        return r;
        }
        if ((r = json_add_u64(out, "size", rep->size)) < 0 ||
            (r = json_add_u64(out, "trailing_bytes", rep->trailing_size)) < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int az_hcl_json_inspect(const uint8_t *data, size_t size, json_object **ret, ParseError *err) {
        _cleanup_(az_hcl_freep) AzHclReport *rep = NULL;
        int r;

        r = az_hcl_parse(data, size, &rep, err);
        /* For inspect, a version or report type this parser does not
         * decode is as undecodable as damaged bytes; the error says which. */
        if (r == -EOPNOTSUPP)
                return -EBADMSG;
        if (r < 0)
                return r;
        return az_hcl_json_from_report(rep, ret);
}
