#include "confnode/kbs/kbs-binding.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "confnode/basic/canonical-json.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/log.h"
#include "confnode/basic/openssl-cleanup.h"

/* Trustee's tpm attester and verifier both resize the runtime-data digest
 * to this many bytes before it becomes (or is compared with) extraData. */
#define KBS_BINDING_TRUSTEE_TPM_NONCE 32

static int kbs_binding_copy_member(json_object *from, json_object *to, const char *name) {
        json_object *v;

        if (!json_object_object_get_ex(from, name, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        return json_add(to, name,
                        json_object_new_string_len(json_object_get_string(v),
                                                   json_object_get_string_len(v)));
}

/* The typed TeePubKey of kbs-types, as serde writes it back. */
static int kbs_binding_typed_key(json_object *jwk, json_object **ret) {
        static const char *const ec[] = {"kty", "crv", "alg", "x", "y"};
        static const char *const rsa[] = {"kty", "alg", "n", "e"};
        _cleanup_(json_object_putp) json_object *k = json_object_new_object();
        const char *const *members;
        json_object *kty;
        size_t n;
        int r;

        if (!k)
                return -ENOMEM;
        if (!json_object_is_type(jwk, json_type_object) ||
            !json_object_object_get_ex(jwk, "kty", &kty) ||
            !json_object_is_type(kty, json_type_string))
                return -EBADMSG;
        if (strcmp(json_object_get_string(kty), "EC") == 0)
                members = ec, n = ELEMENTSOF(ec);
        else if (strcmp(json_object_get_string(kty), "RSA") == 0)
                members = rsa, n = ELEMENTSOF(rsa);
        else
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                r = kbs_binding_copy_member(jwk, k, members[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(k);
        return 0;
}

int kbs_binding_runtime_data(const char *nonce, json_object *tee_pubkey,
                             const char *additional_evidence, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *key = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (!nonce)
                return -EINVAL;
        r = kbs_binding_typed_key(tee_pubkey, &key);
        if (r < 0)
                return r;
        if ((r = json_add_string(o, "nonce", nonce)) < 0 ||
            (r = json_add(o, "tee-pubkey", TAKE_PTR(key))) < 0)
                return r;
        if (additional_evidence &&
            (r = json_add_string(o, "additional-evidence", additional_evidence)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* The digest, fetched once per algorithm and kept: an EVP_MD is immutable
 * and fetching costs a lock and a property lookup per call. NULL if
 * OpenSSL has none. */
static const EVP_MD *kbs_binding_md(KbsHashAlg alg) {
        static const char *const md_names[_KBS_HASH_ALG_MAX] = {
                [KBS_HASH_SHA256] = "SHA256",
                [KBS_HASH_SHA384] = "SHA384",
                [KBS_HASH_SHA512] = "SHA512",
        };
        static EVP_MD *cache[_KBS_HASH_ALG_MAX];
        EVP_MD *md = __atomic_load_n(&cache[alg], __ATOMIC_ACQUIRE), *expected = NULL;

        if (md)
                return md;
        md = EVP_MD_fetch(NULL, md_names[alg], NULL);
        if (!md)
                return NULL;
        if (!__atomic_compare_exchange_n(&cache[alg], &expected, md, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
                /* Another thread was first: use its one. */
                EVP_MD_free(md);
                md = expected;
        }
        return md;
}

static int kbs_binding_update(void *userdata, const void *p, size_t n) {
        return EVP_DigestUpdate(userdata, p, n) == 1 ? 0 : -EIO;
}

int kbs_binding_digest(KbsHashAlg alg, const char *nonce, json_object *tee_pubkey,
                       const char *additional_evidence, uint8_t ret[static KBS_BINDING_MAX_DIGEST],
                       size_t *ret_size) {
        static const char additional_name[] = "{\"additional-evidence\":";
        _cleanup_(json_object_putp) json_object *rt = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        _cleanup_free_ char *text = NULL;
        unsigned int len = 0;
        size_t text_size;
        const EVP_MD *md;
        int r;

        if (alg < 0 || alg >= _KBS_HASH_ALG_MAX)
                return -EINVAL;
        /* The canonical JSON of {nonce, tee-pubkey}; "additional-evidence"
         * sorts before both names, so with it the text is
         * {"additional-evidence":<string>, then the rest after the '{'.
         * The long string goes to the digest in pieces as it is escaped,
         * never copied whole (kbs_binding_runtime_data() and
         * canonical_json() make the same bytes: the tests hold the two
         * ways to each other). */
        r = kbs_binding_runtime_data(nonce, tee_pubkey, NULL, &rt);
        if (r < 0)
                return r;
        r = canonical_json(rt, &text, &text_size);
        if (r < 0)
                return r;
        if (text_size < 2 || text[0] != '{')
                return -EBADMSG; /* cannot be: an object with two members */
        md = kbs_binding_md(alg);
        ctx = EVP_MD_CTX_new();
        if (!md || !ctx)
                return -EIO;
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
                return -EIO;
        if (additional_evidence) {
                if (EVP_DigestUpdate(ctx, additional_name, sizeof(additional_name) - 1) != 1)
                        return -EIO;
                r = canonical_json_string_write(additional_evidence, strlen(additional_evidence),
                                                kbs_binding_update, ctx);
                if (r < 0)
                        return r;
                if (EVP_DigestUpdate(ctx, ",", 1) != 1 ||
                    EVP_DigestUpdate(ctx, text + 1, text_size - 1) != 1)
                        return -EIO;
        } else if (EVP_DigestUpdate(ctx, text, text_size) != 1)
                return -EIO;
        if (EVP_DigestFinal_ex(ctx, ret, &len) != 1 || len == 0 || len > KBS_BINDING_MAX_DIGEST)
                return -EIO;
        *ret_size = len;
        return 0;
}

int kbs_binding_report_data(KbsHashAlg alg, const char *nonce, json_object *tee_pubkey,
                            const char *additional_evidence,
                            uint8_t ret[static KBS_REPORT_DATA_SIZE]) {
        uint8_t digest[KBS_BINDING_MAX_DIGEST];
        size_t n;
        int r;

        r = kbs_binding_digest(alg, nonce, tee_pubkey, additional_evidence, digest, &n);
        if (r < 0)
                return r;
        memset(ret, 0, KBS_REPORT_DATA_SIZE);
        memcpy(ret, digest, n);
        return 0;
}

int kbs_binding_tpm_qualifying_data(KbsTee tee, const uint8_t *digest, size_t digest_size,
                                    uint8_t ret[static KBS_BINDING_MAX_DIGEST], size_t *ret_size) {
        if (digest_size == 0 || digest_size > KBS_BINDING_MAX_DIGEST)
                return -EINVAL;
        switch (tee) {
        case KBS_TEE_AZ_SNP_VTPM:
        case KBS_TEE_AZ_TDX_VTPM:
                /* Trustee's az-*-vtpm verifiers compare extraData with the
                 * digest byte for byte: no padding. */
                memcpy(ret, digest, digest_size);
                *ret_size = digest_size;
                return 0;
        case KBS_TEE_TPM:
                memset(ret, 0, KBS_BINDING_TRUSTEE_TPM_NONCE);
                memcpy(ret, digest,
                       digest_size < KBS_BINDING_TRUSTEE_TPM_NONCE ? digest_size
                                                                   : KBS_BINDING_TRUSTEE_TPM_NONCE);
                *ret_size = KBS_BINDING_TRUSTEE_TPM_NONCE;
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}
