#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/snp-verify.h"
#include "test-snp-util.h"

/* One test PKI for all tests: RSA key generation is the slow part. */
typedef struct Pki {
        EVP_PKEY *ark_key, *ask_key, *asvk_key, *other_key, *vcek_key, *vlek_key;
        X509 *ark, *ask, *asvk;
        time_t now;
} Pki;

static const uint8_t chip_a[64] = {0xc1, 0xc2, 0xc3, 0xc4, 0xc5,
                                   0xc6, 0xc7, 0xc8, 0xc9, [63] = 0xca};

static int pki_setup(void **state) {
        Pki *p = calloc(1, sizeof(Pki));

        assert_non_null(p);
        p->now = time(NULL);
        p->ark_key = test_snp_rsa_key();
        p->ask_key = test_snp_rsa_key();
        p->asvk_key = test_snp_rsa_key();
        p->other_key = test_snp_rsa_key();
        p->vcek_key = test_snp_ec_key();
        p->vlek_key = test_snp_ec_key();
        p->ark = test_snp_cert("ARK-Milan", p->ark_key, NULL, p->ark_key, true, p->now - 86400,
                               3650);
        p->ask = test_snp_cert("SEV-Milan", p->ask_key, p->ark, p->ark_key, true, p->now - 86400,
                               3650);
        p->asvk = test_snp_cert("SEV-VLEK-Milan", p->asvk_key, p->ark, p->ark_key, true,
                                p->now - 86400, 3650);
        *state = p;
        return 0;
}

static int pki_teardown(void **state) {
        Pki *p = *state;

        EVP_PKEY_free(p->ark_key);
        EVP_PKEY_free(p->ask_key);
        EVP_PKEY_free(p->asvk_key);
        EVP_PKEY_free(p->other_key);
        EVP_PKEY_free(p->vcek_key);
        EVP_PKEY_free(p->vlek_key);
        X509_free(p->ark);
        X509_free(p->ask);
        X509_free(p->asvk);
        free(p);
        return 0;
}

typedef struct VekSpec {
        const char *cn, *product;
        int fmc, bl, tee, snp, ucode;
        const uint8_t *hwid;
        int hwid_len;
        time_t not_before;
        int days;
} VekSpec;

static X509 *make_vek(const Pki *p, const VekSpec *s, EVP_PKEY *key, X509 *issuer,
                      EVP_PKEY *issuer_key) {
        X509 *c = test_snp_cert(s->cn, key, issuer, issuer_key, false,
                                s->not_before ?: p->now - 3600, s->days ?: 365);

        test_snp_vek_exts(c, s->product, s->fmc, s->bl, s->tee, s->snp, s->ucode, s->hwid,
                          s->hwid_len);
        test_snp_resign(c, issuer_key);
        return c;
}

static VekSpec milan_vcek(void) {
        return (VekSpec){.cn = "SEV-VCEK",
                         .product = "Milan-B0",
                         .fmc = -1,
                         .bl = 3,
                         .tee = 0,
                         .snp = 8,
                         .ucode = 115,
                         .hwid = chip_a,
                         .hwid_len = 64};
}

static uint64_t milan_tcb(void) {
        return test_snp_tcb_milan(3, 0, 8, 115);
}

/* certs takes references to everything given. */
static STACK_OF(X509) *pile(X509 *a, X509 *b, X509 *c) {
        STACK_OF(X509) *s = sk_X509_new_null();
        X509 *all[] = {a, b, c};

        assert_non_null(s);
        for (size_t i = 0; i < 3; i++)
                if (all[i]) {
                        assert_int_equal(X509_up_ref(all[i]), 1);
                        assert_true(sk_X509_push(s, all[i]) > 0);
                }
        return s;
}

static int verify(const uint8_t *report, STACK_OF(X509) *certs, X509 *trust, time_t at,
                  SnpVerdict *v) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *trusted = pile(trust, NULL, NULL);

        return snp_verify(report, SNP_REPORT_SIZE, certs, trusted, &at, v);
}

static void test_ok_milan(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(p->ark, vcek, p->ask);
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), 0);
        assert_null(v.reason);
        assert_true(v.chain_checked && v.signature_checked && v.tcb_checked && v.chip_id_checked);
        assert_int_equal(v.generation, SNP_GENERATION_MILAN);
        assert_true(v.ark.present && v.ask.present && v.key.present);
        assert_int_equal(v.key.role, SNP_CERT_VCEK);
        assert_int_equal(v.ask.role, SNP_CERT_ASK);
        assert_int_equal(strlen(v.ark.sha256), 64);

        /* A flipped bit anywhere in the signed part, or in r or s. */
        for (size_t off = 0; off < 0x2a0 + 144; off += 37) {
                uint8_t bad[SNP_REPORT_SIZE];

                memcpy(bad, r, sizeof(bad));
                bad[off] ^= 0x01;
                if (off < 4) /* the version: no longer a report */
                        continue;
                if (off >= 0x2a0) {
                        assert_int_equal(verify(bad, certs, p->ark, p->now, &v), -EKEYREJECTED);
                        assert_string_equal(v.reason, "snp.signature");
                        continue;
                }
                /* Reserved bytes make it malformed, others a bad signature. */
                int k = verify(bad, certs, p->ark, p->now, &v);
                if (k == -EBADMSG)
                        assert_string_equal(v.reason, "snp.malformed");
                else if (k == -EPROTO)
                        assert_string_equal(v.reason, "snp.signing_key"); /* the key-info word */
                else if (k == -EOPNOTSUPP)
                        assert_string_equal(v.reason, "snp.unsupported"); /* SIGNATURE_ALGO */
                else {
                        assert_int_equal(k, -EKEYREJECTED);
                        assert_string_equal(v.reason, "snp.signature");
                }
        }
}

static void test_tcb_mismatch(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        s.ucode = 114;
        vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        certs = pile(vcek, p->ask, p->ark);
        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ERANGE);
        assert_string_equal(v.reason, "snp.tcb_mismatch");
        assert_true(v.signature_checked);
        assert_false(v.tcb_checked);
        assert_non_null(strstr(v.detail, "microcode 114"));
}

static void test_chip_mismatch(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        uint8_t other[64] = {0xc1};
        _cleanup_(X509_freep) X509 *vcek = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL;
        uint8_t r[SNP_REPORT_SIZE], zero[64] = {0};
        SnpVerdict v;

        s.hwid = other;
        vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        certs = pile(vcek, p->ask, p->ark);
        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ENODEV);
        assert_string_equal(v.reason, "snp.chip_id_mismatch");
        assert_true(v.tcb_checked);

        /* A platform that masks the chip ID cannot be tied to a VCEK. */
        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), zero);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ENODEV);
        assert_string_equal(v.reason, "snp.chip_id_mismatch");
        assert_non_null(strstr(v.detail, "zero"));
}

static void test_turin(void **state) {
        Pki *p = *state;
        VekSpec s = {.cn = "SEV-VCEK",
                     .product = "Turin",
                     .fmc = 1,
                     .bl = 2,
                     .tee = 3,
                     .snp = 4,
                     .ucode = 0x50,
                     .hwid = chip_a,
                     .hwid_len = 8};
        uint8_t chip[64] = {0};
        _cleanup_(X509_freep) X509 *vcek = NULL, *vcek_nofmc = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL, *certs2 = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        memcpy(chip, chip_a, 8);
        vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        certs = pile(vcek, p->ask, p->ark);
        test_snp_make_report(r, 5, 0x1a, 0x02, test_snp_tcb_turin(1, 2, 3, 4, 0x50), chip);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), 0);
        assert_int_equal(v.tcb_layout, SNP_TCB_LAYOUT_TURIN);
        assert_int_equal(v.reported_tcb.fmc, 1);
        assert_true(v.chip_id_checked);

        /* The FMC SVN is part of the TCB. */
        test_snp_make_report(r, 5, 0x1a, 0x02, test_snp_tcb_turin(2, 2, 3, 4, 0x50), chip);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ERANGE);
        assert_non_null(strstr(v.detail, "fmc"));

        /* Bytes of chip_id beyond a Turin hwID must be zero. */
        chip[8] = 1;
        test_snp_make_report(r, 5, 0x1a, 0x02, test_snp_tcb_turin(1, 2, 3, 4, 0x50), chip);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ENODEV);
        chip[8] = 0;

        /* A Turin VCEK without fmcSPL does not vouch for the FMC. */
        s.fmc = -1;
        vcek_nofmc = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        certs2 = pile(vcek_nofmc, p->ask, p->ark);
        test_snp_make_report(r, 5, 0x1a, 0x02, test_snp_tcb_turin(1, 2, 3, 4, 0x50), chip);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs2, p->ark, p->now, &v), -ERANGE);
        assert_non_null(strstr(v.detail, "fmcSPL"));
}

/* A version 2 report does not say which CPU made it; the VCEK does. */
static void test_v2_layout_from_vcek(void **state) {
        Pki *p = *state;
        VekSpec s = {.cn = "SEV-VCEK",
                     .product = "Turin",
                     .fmc = 1,
                     .bl = 2,
                     .tee = 3,
                     .snp = 4,
                     .ucode = 0x50,
                     .hwid = chip_a,
                     .hwid_len = 64};
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(vcek, p->ask, p->ark);
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 2, 0, 0, test_snp_tcb_turin(1, 2, 3, 4, 0x50), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), 0);
        assert_int_equal(v.tcb_layout, SNP_TCB_LAYOUT_TURIN);
        assert_int_equal(v.generation, SNP_GENERATION_TURIN);
        assert_int_equal(v.reported_tcb.snp, 4);
}

static void test_generation_mismatch(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(vcek, p->ask, p->ark);
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x11, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -ERANGE);
        assert_string_equal(v.reason, "snp.tcb_mismatch");
        assert_non_null(strstr(v.detail, "genoa"));
}

static void test_vlek(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek(), sv = milan_vcek();
        _cleanup_(X509_freep) X509 *vlek = NULL, *vcek = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL, *vcek_only = NULL,
                                                        *wrong_ask = NULL;
        uint8_t r[SNP_REPORT_SIZE], zero[64] = {0};
        SnpVerdict v;

        s.cn = "SEV-VLEK";
        s.product = "Milan";
        s.hwid = NULL;
        vlek = make_vek(p, &s, p->vlek_key, p->asvk, p->asvk_key);
        vcek = make_vek(p, &sv, p->vcek_key, p->ask, p->ask_key);
        certs = pile(vlek, p->asvk, p->ark);
        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), zero);
        test_snp_set_signing_key(r, SNP_SIGNING_KEY_VLEK);
        test_snp_sign(r, p->vlek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), 0);
        assert_int_equal(v.key.role, SNP_CERT_VLEK);
        assert_int_equal(v.ask.role, SNP_CERT_ASVK);
        assert_true(v.tcb_checked);
        assert_false(v.chip_id_checked);

        /* The report says VLEK; a VCEK is no substitute. */
        vcek_only = pile(vcek, p->ask, p->ark);
        assert_int_equal(verify(r, vcek_only, p->ark, p->now, &v), -EPROTO);
        assert_string_equal(v.reason, "snp.signing_key");

        /* A VLEK is signed by the ASVK, not the ASK. */
        wrong_ask = pile(vlek, p->ask, p->ark);
        assert_int_equal(verify(r, wrong_ask, p->ark, p->now, &v), -EACCES);
        assert_string_equal(v.reason, "snp.cert_chain");
}

static void test_unsigned(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(vcek, p->ask, p->ark);
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_set_signing_key(r, SNP_SIGNING_KEY_NONE);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -EPROTO);
        assert_string_equal(v.reason, "snp.signing_key");
        assert_non_null(strstr(v.detail, "none"));

        test_snp_set_signing_key(r, 3);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -EPROTO);
        assert_non_null(strstr(v.detail, "reserved"));

        test_snp_put_u32(r + 0x48, 2); /* MASK_CHIP_KEY */
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -EPROTO);
        assert_non_null(strstr(v.detail, "MASK_CHIP_KEY"));

        test_snp_put_u32(r + 0x48, 0);
        test_snp_put_u32(r + 0x34, 2);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), -EOPNOTSUPP);
        assert_string_equal(v.reason, "snp.unsupported");
}

static void test_times(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        s.not_before = p->now;
        s.days = 30;
        vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        certs = pile(vcek, p->ask, p->ark);
        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, certs, p->ark, p->now + 86400, &v), 0);
        assert_int_equal(verify(r, certs, p->ark, p->now - 60, &v), -EKEYEXPIRED);
        assert_string_equal(v.reason, "snp.cert_expired");
        assert_non_null(strstr(v.detail, "VCEK"));
        assert_int_equal(verify(r, certs, p->ark, p->now + 31 * 86400, &v), -EKEYEXPIRED);
        /* Before the ARK was made, it is the ARK (or ASK) that is not valid. */
        assert_int_equal(verify(r, certs, p->ark, p->now - 2 * 86400, &v), -EKEYEXPIRED);
        assert_false(v.chain_checked);
}

static void test_trust(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(X509_freep) X509 *fake_ark = NULL, *fake_ask = NULL, *fake_vcek = NULL,
                                   *other_root = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(vcek, p->ask, p->ark),
                                                        *fake = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);

        /* Trusting nothing, or another root. */
        assert_int_equal(verify(r, certs, NULL, p->now, &v), -EPERM);
        assert_string_equal(v.reason, "snp.ark_untrusted");
        other_root = test_snp_cert("ARK-Genoa", p->other_key, NULL, p->other_key, true,
                                   p->now - 86400, 10);
        assert_int_equal(verify(r, certs, other_root, p->now, &v), -EPERM);
        assert_string_equal(v.reason, "snp.ark_untrusted");
        assert_true(v.ark.present);

        /* An attacker's chain with AMD's names, while the real ARK is trusted. */
        fake_ark = test_snp_cert("ARK-Milan", p->other_key, NULL, p->other_key, true,
                                 p->now - 86400, 10);
        fake_ask = test_snp_cert("SEV-Milan", p->asvk_key, fake_ark, p->other_key, true,
                                 p->now - 86400, 10);
        fake_vcek = make_vek(p, &s, p->vcek_key, fake_ask, p->asvk_key);
        fake = pile(fake_vcek, fake_ask, fake_ark);
        assert_int_equal(verify(r, fake, p->ark, p->now, &v), -EPERM);
        assert_string_equal(v.reason, "snp.ark_untrusted");

        /* The trusted ARK needs not be among the certificates. */
        sk_X509_pop_free(certs, X509_free);
        certs = pile(vcek, p->ask, NULL);
        assert_int_equal(verify(r, certs, p->ark, p->now, &v), 0);
}

static void test_missing(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *none = sk_X509_new_null(),
                                                        *no_ask = pile(vcek, p->ark, NULL),
                                                        *no_ark = pile(vcek, p->ask, NULL),
                                                        *no_vcek = pile(p->ask, p->ark, NULL);
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(verify(r, none, p->ark, p->now, &v), -ENOKEY);
        assert_string_equal(v.reason, "snp.cert_missing");
        assert_int_equal(verify(r, no_vcek, p->ark, p->now, &v), -ENOKEY);
        assert_int_equal(verify(r, no_ask, p->ark, p->now, &v), -ENOKEY);
        assert_non_null(strstr(v.detail, "ASK"));
        assert_int_equal(verify(r, no_ark, NULL, p->now, &v), -ENOKEY);
        assert_non_null(strstr(v.detail, "ARK"));
}

static void test_bad_chain(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(X509_freep) X509 *ask_not_ca = NULL, *ask_other_key = NULL, *rsa_vcek = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *c1 = NULL, *c2 = NULL, *c3 = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);

        /* An ASK that is not a CA may not sign VCEKs. */
        ask_not_ca = test_snp_cert("SEV-Milan", p->ask_key, p->ark, p->ark_key, false,
                                   p->now - 86400, 10);
        c1 = pile(vcek, ask_not_ca, p->ark);
        assert_int_equal(verify(r, c1, p->ark, p->now, &v), -EACCES);
        assert_string_equal(v.reason, "snp.cert_chain");

        /* An ASK of the right name with another key. */
        ask_other_key = test_snp_cert("SEV-Milan", p->other_key, p->ark, p->ark_key, true,
                                      p->now - 86400, 10);
        c2 = pile(vcek, ask_other_key, p->ark);
        assert_int_equal(verify(r, c2, p->ark, p->now, &v), -EACCES);
        assert_string_equal(v.reason, "snp.cert_chain");

        /* A "VCEK" whose key is not P-384. */
        rsa_vcek = make_vek(p, &s, p->other_key, p->ask, p->ask_key);
        c3 = pile(rsa_vcek, p->ask, p->ark);
        assert_int_equal(verify(r, c3, p->ark, p->now, &v), -EOPNOTSUPP);
        assert_string_equal(v.reason, "snp.unsupported");
}

/* A chain verified once serves further reports of the same chip. */
static void test_cached(void **state) {
        Pki *p = *state;
        VekSpec s = milan_vcek();
        _cleanup_(X509_freep) X509 *vcek = make_vek(p, &s, p->vcek_key, p->ask, p->ask_key);
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = pile(vcek, p->ask, p->ark),
                                                        *trusted = pile(p->ark, NULL, NULL);
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        uint8_t r[SNP_REPORT_SIZE];
        SnpVerdict v;

        test_snp_make_report(r, 3, 0x19, 0x01, milan_tcb(), chip_a);
        test_snp_sign(r, p->vcek_key);
        assert_int_equal(snp_report_parse(r, sizeof(r), &rep, NULL), 0);
        assert_int_equal(snp_verify_chain(rep, certs, trusted, &p->now, &e, &v), 0);
        assert_true(v.chain_checked);
        for (int i = 0; i < 6; i++) {
                _cleanup_(snp_report_freep) SnpReport *again = NULL, *bad = NULL;

                /* From the fourth report on, with the key's table (added
                 * twice: the second call keeps the first table). */
                if (i == 3 || i == 4)
                        assert_int_equal(snp_endorsement_add_table(e), 0);
                r[0x50] = (uint8_t) i; /* report_data */
                test_snp_sign(r, p->vcek_key);
                assert_int_equal(snp_report_parse(r, sizeof(r), &again, NULL), 0);
                assert_int_equal(snp_verify_report(again, e, &v), 0);
                assert_true(v.chain_checked && v.signature_checked);
                /* Either way a flipped bit in the signed bytes is caught. */
                r[0x51] ^= 0x01;
                assert_int_equal(snp_report_parse(r, sizeof(r), &bad, NULL), 0);
                assert_int_equal(snp_verify_report(bad, e, &v), -EKEYREJECTED);
                r[0x51] ^= 0x01;
        }
        test_snp_set_signing_key(r, SNP_SIGNING_KEY_VLEK);
        snp_report_free(TAKE_PTR(rep));
        assert_int_equal(snp_report_parse(r, sizeof(r), &rep, NULL), 0);
        assert_int_equal(snp_verify_report(rep, e, &v), -EPROTO);
}

static void test_malformed(void **state) {
        uint8_t r[SNP_REPORT_SIZE - 1] = {2};
        SnpVerdict v;
        time_t at = 0;
        (void) state;

        assert_int_equal(snp_verify(r, sizeof(r), NULL, NULL, &at, &v), -EBADMSG);
        assert_string_equal(v.reason, "snp.malformed");
        assert_non_null(strstr(v.detail, "offset 0x49f"));
}

/* A real report with its real chain, at the time its source pins. */
static void test_peer(void **state) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null(),
                                                        *trusted = sk_X509_new_null();
        _cleanup_free_ uint8_t *r = NULL;
        size_t size;
        time_t at;
        SnpVerdict v;
        (void) state;

        test_snp_read_peer("snp/gsg-report.bin", &r, &size);
        test_snp_load_peer("snp/gsg-vcek.der", certs);
        test_snp_load_peer("snp/milan-ask-ark.pem", certs);
        assert_int_equal(X509_up_ref(sk_X509_value(certs, 2)), 1);
        assert_true(sk_X509_push(trusted, sk_X509_value(certs, 2)) > 0);
        assert_int_equal(cert_time_parse_rfc3339("2022-09-24T01:00:00Z", &at), 0);
        assert_int_equal(snp_verify(r, size, certs, trusted, &at, &v), 0);
        assert_int_equal(v.generation, SNP_GENERATION_MILAN);

        /* go-sev-guest's VCEK is not valid an hour earlier. */
        at -= 3600;
        assert_int_equal(snp_verify(r, size, certs, trusted, &at, &v), -EKEYEXPIRED);
        at += 3600;
        r[0x90] ^= 0x80;
        assert_int_equal(snp_verify(r, size, certs, trusted, &at, &v), -EKEYREJECTED);
        assert_string_equal(v.reason, "snp.signature");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ok_milan),
                cmocka_unit_test(test_tcb_mismatch),
                cmocka_unit_test(test_chip_mismatch),
                cmocka_unit_test(test_turin),
                cmocka_unit_test(test_v2_layout_from_vcek),
                cmocka_unit_test(test_generation_mismatch),
                cmocka_unit_test(test_vlek),
                cmocka_unit_test(test_unsigned),
                cmocka_unit_test(test_times),
                cmocka_unit_test(test_trust),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_bad_chain),
                cmocka_unit_test(test_cached),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_peer),
        };
        return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
