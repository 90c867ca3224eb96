/* appraise() on real evidence from the peer set (SEV-SNP, TDX with its
 * CCEL, Azure SNP and TDX with their vTPM quotes, a GCE vTPM quote with its
 * event log), each at the verification time its source pins: accepted
 * with a policy that matches, and each rule broken gives its reason code.
 * KbsEvidence is filled by hand from the files, as the server would get it
 * from kbs_evidence_from_json(). */

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
#include <openssl/x509.h>

#include "appraise.h"
#include "policy.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/kbs/kbs-proto.h"
#include "confnode/tpm/tpm-attest.h"

#define TRUSTEE_MEASUREMENT                                                                        \
        "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f90" \
        "50d3d38c"
#define GSG_MEASUREMENT                                                                            \
        "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2" \
        "e4872b01"
#define VLEK_MEASUREMENT                                                                           \
        "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a" \
        "570d7bf0"
#define AZSNP_MEASUREMENT                                                                          \
        "9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c22944eb38" \
        "6d17c315"
#define CCEL_MRTD                                                                                  \
        "dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954dba41394c7717cb2735396c1d0" \
        "4231f94a"
#define CCEL_RTMR0                                                                                 \
        "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece75" \
        "2afd17f6"
#define CCEL_RTMR1                                                                                 \
        "f62dbc072bd5d3f3438b7b35c39a727f5aea2ffc2473f43723953f530daf62504f0a7944aa62c41a86e8a878" \
        "c2b122c1"
#define CCEL_RTMR2                                                                                 \
        "4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8de219048c9fc09f11f381" \
        "a6fbe7c1"
#define CCEL_MRSEAM                                                                                \
        "ffc97a88587660fb04e1f7c851300c96ae0b5a463ac46d035d16c2d9f36d0ed1d23775bcbd27deb219e3a3cc" \
        "28023895"
#define TRUSTEE_TDX_MRTD                                                                           \
        "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a" \
        "9ce5f031"
#define AZTDX_MRTD                                                                                 \
        "024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c" \
        "1ba7ab7b"
#define ZEROS48                                                                                    \
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"  \
        "000000000"
#define ZEROS64 "0000000000000000000000000000000000000000000000000000000000000000"

/* The source's verification times (PROVENANCE.md). */
#define AT_2024 "2024-06-01T00:00:00Z"
#define AT_2026 "2026-02-03T01:00:00Z"
#define AT_GSG "2022-09-24T01:00:00Z"
#define AT_VLEK "2025-06-01T00:00:00Z" /* the VLEK is valid for 2024-12-10 to 2025-12-10 */

static const char *peer(const char *rel) {
        static __thread char path[4096];

        snprintf(path, sizeof(path), "%s/%s", getenv("PEER_DATA"), rel);
        return path;
}

static void read_blob(const char *rel, KbsBlob *ret) {
        free(ret->data);
        *ret = (KbsBlob){};
        assert_int_equal(read_full_file(peer(rel), 4u << 20, &ret->data, &ret->size), 0);
}

static void set_blob(KbsBlob *b, const void *data, size_t size) {
        free(b->data);
        b->data = malloc(size);
        assert_non_null(b->data);
        memcpy(b->data, data, size);
        b->size = size;
}

static time_t at(const char *s) {
        time_t t;

        assert_int_equal(cert_time_parse_rfc3339(s, &t), 0);
        return t;
}

static void hex_to(const char *hex, uint8_t *ret, size_t size) {
        _cleanup_free_ uint8_t *b = NULL;
        size_t n;

        assert_int_equal(hex_decode(hex, &b, &n), 0);
        assert_int_equal(n, size);
        memcpy(ret, b, n);
}

/* A policy from text in which @PEER@ is the peer directory. */
static Policy *make_policy(const char *text) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        char *expanded = malloc(strlen(text) * 4 + 4096), *o = expanded;
        Policy *p = NULL;
        char err[512];
        int r;

        assert_non_null(expanded);
        for (const char *c = text; *c;) {
                if (strncmp(c, "@PEER@", 6) == 0) {
                        o = stpcpy(o, getenv("PEER_DATA"));
                        c += 6;
                } else
                        *o++ = *c++;
        }
        *o = 0;
        j = json_tokener_parse(expanded);
        if (!j)
                fail_msg("not JSON: %s", expanded);
        free(expanded);
        r = policy_from_json(j, "test-policy", &p, err, sizeof(err));
        if (r < 0)
                fail_msg("policy: %s", err);
        return p;
}

static void dump(const Appraisal *a) {
        for (size_t i = 0; i < a->n_steps; i++)
                print_message("  %-20s %-4s %s %s\n", a->steps[i].name,
                              step_status_to_string(a->steps[i].status), a->steps[i].reason ?: "",
                              a->steps[i].detail);
}

/* Appraises in with a fresh Appraiser for p; the decision must be want
 * (NULL: accepted). Returns the appraisal for more checks. */
static void expect(Appraiser *ap, const AppraisalInput *in, const char *want, Appraisal *ret) {
        assert_int_equal(appraise(ap, in, ret), 0);
        if ((want == NULL) != ret->accepted ||
            (want && (!ret->reason || strcmp(want, ret->reason))))
                dump(ret);
        if (!want) {
                assert_true(ret->accepted);
                assert_null(ret->reason);
                return;
        }
        assert_false(ret->accepted);
        assert_non_null(ret->reason);
        assert_string_equal(ret->reason, want);
        assert_true(ret->detail[0] != 0);
}

static void expect_with(Policy *p, const AppraisalInput *in, const char *want) {
        _cleanup_(appraiser_freep) Appraiser *ap = NULL;
        Appraisal a = {};
        char err[256];

        assert_int_equal(appraiser_new(p, &ap, err, sizeof(err)), 0);
        expect(ap, in, want, &a);
        appraisal_done(&a);
}

static const AppraisalStep *step(const Appraisal *a, const char *name) {
        for (size_t i = 0; i < a->n_steps; i++)
                if (strcmp(a->steps[i].name, name) == 0)
                        return &a->steps[i];
        fail_msg("no step %s", name);
        return NULL;
}

static const char *claim(const Appraisal *a, const char *section, const char *key) {
        json_object *s, *v;

        if (!json_object_object_get_ex(a->claims, section, &s) ||
            !json_object_object_get_ex(s, key, &v))
                return NULL;
        return json_object_get_string(v);
}

/* SEV-SNP: Trustee's Milan report, with its VCEK, ASK and ARK in a GHCB
 * certificate table as the host hands them out. */
static void der_of(X509 *c, uint8_t **ret, size_t *ret_size) {
        unsigned char *der = NULL;
        int n = i2d_X509(c, &der);

        assert_true(n > 0);
        *ret = malloc((size_t)n);
        memcpy(*ret, der, (size_t)n);
        *ret_size = (size_t)n;
        OPENSSL_free(der);
}

static void snp_table(KbsEvidence *e, const char *vcek_rel, SnpCertKind kind,
                      const char *chain_rel) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *chain = sk_X509_new_null();
        SnpCertTableEntry entries[3] = {};
        uint8_t *der[3] = {};
        size_t size;
        KbsBlob vcek = {};

        read_blob(vcek_rel, &vcek);
        assert_int_equal(cert_load_file(peer(chain_rel), chain), 0);
        assert_int_equal(sk_X509_num(chain), 2); /* ASK (or ASVK), ARK */
        entries[0] = (SnpCertTableEntry){.kind = kind, .data = vcek.data, .size = vcek.size};
        assert_int_equal(snp_cert_kind_guid(kind, entries[0].guid), 0);
        for (int i = 0; i < 2; i++) {
                der_of(sk_X509_value(chain, i), &der[i], &size);
                entries[i + 1] = (SnpCertTableEntry){.data = der[i], .size = size};
                assert_int_equal(snp_cert_kind_guid(i == 0 ? SNP_CERT_KIND_ASK : SNP_CERT_KIND_ARK,
                                                    entries[i + 1].guid),
                                 0);
        }
        size = snp_cert_table_size(entries, 3);
        assert_true(size > 0);
        free(e->cert_table.data);
        e->cert_table.data = malloc(size);
        e->cert_table.size = size;
        assert_int_equal(snp_cert_table_build(entries, 3, e->cert_table.data, size, &size), 0);
        free(vcek.data);
        free(der[0]);
        free(der[1]);
}

static KbsEvidence *snp_trustee(AppraisalInput *in) {
        KbsEvidence *e = NULL;

        assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
        read_blob("snp/trustee-report.bin", &e->report);
        snp_table(e, "snp/trustee-vcek.der", SNP_CERT_KIND_VCEK, "snp/milan-ask-ark.pem");
        *in = (AppraisalInput){.evidence = e, .at = at(AT_2024)};
        memcpy(in->report_data, e->report.data + 0x50, 64);
        return e;
}

#define SNP_POLICY                                                                                 \
        "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"             \
        "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"           \
        "\"measurements\":[\"" TRUSTEE_MEASUREMENT "\"],\"min_guest_svn\":4%s}%s}"

static Policy *snp_policy_with(const char *snp_extra, const char *top_extra) {
        char text[4096];

        snprintf(text, sizeof(text), SNP_POLICY, snp_extra, top_extra);
        return make_policy(text);
}

static void test_snp_accepted(void **state) {
        _cleanup_(policy_freep) Policy *p = snp_policy_with("", "");
        _cleanup_(appraiser_freep) Appraiser *ap = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL;
        AppraisalInput in;
        Appraisal a = {};
        unsigned long hits = 0, misses = 0;
        json_object *steps;

        (void)state;
        e = snp_trustee(&in);
        assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
        assert_ptr_equal(appraiser_policy(ap), p);
        expect(ap, &in, NULL, &a);
        assert_string_equal(a.vtpm, "none");
        assert_int_equal(a.tee, KBS_TEE_SNP);
        assert_int_equal(step(&a, "snp.chain")->status, STEP_PASS);
        assert_int_equal(step(&a, "snp.signature")->status, STEP_PASS);
        assert_int_equal(step(&a, "binding.report_data")->status, STEP_PASS);
        assert_int_equal(step(&a, "snp.measurement")->status, STEP_PASS);
        assert_int_equal(step(&a, "snp.host_data")->status, STEP_SKIP);
        assert_int_equal(step(&a, "tpm.evidence")->status, STEP_SKIP);
        assert_null(strstr(step(&a, "snp.chain")->detail, "From the cache"));
        assert_string_equal(claim(&a, "snp", "measurement"), TRUSTEE_MEASUREMENT);
        assert_string_equal(claim(&a, "snp", "guest_svn"), "4");

        assert_int_equal(appraisal_to_json(&a, &j), 0);
        assert_true(json_object_object_get_ex(j, "steps", &steps));
        assert_int_equal(json_object_array_length(steps), a.n_steps);
        assert_string_equal(json_object_get_string(json_object_object_get(j, "reason")), "ok");
        assert_true(json_object_get_boolean(json_object_object_get(j, "accepted")));
        assert_string_equal(json_object_get_string(json_object_object_get(j, "tee")), "snp");
        appraisal_done(&a);

        /* The same chip again: the chain comes from the cache. */
        expect(ap, &in, NULL, &a);
        assert_non_null(strstr(step(&a, "snp.chain")->detail, "From the cache"));
        appraisal_done(&a);
        appraiser_snp_cache_stats(ap, &hits, &misses);
        assert_int_equal(hits, 1);
        assert_int_equal(misses, 1);

        /* A cached chain is not used outside its validity. */
        in.at = at("2031-01-01T00:00:00Z");
        expect(ap, &in, "snp.cert_expired", &a);
        assert_int_equal(step(&a, "snp.chain")->status, STEP_FAIL);
        appraisal_done(&a);
        appraiser_snp_cache_stats(ap, &hits, &misses);
        assert_int_equal(hits, 1);
        assert_int_equal(misses, 2);
}

static void test_snp_rules(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Policy *p;

        (void)state;
        e = snp_trustee(&in);

        /* Each rule broken gives its own reason. */
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                "\"microcode\":115},\"measurements\":[\"" VLEK_MEASUREMENT "\"]}}");
        expect_with(p, &in, "snp.measurement");
        policy_free(p);
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                "\"microcode\":115},\"measurements\":[]}}");
        expect_with(p, &in, "snp.measurement");
        policy_free(p);
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":9,"
                "\"microcode\":115},\"measurements\":[\"" TRUSTEE_MEASUREMENT "\"]}}");
        expect_with(p, &in, "snp.tcb_min");
        policy_free(p);
        p = snp_policy_with(",\"min_guest_svn\":5", "");
        expect_with(p, &in, "snp.guest_svn");
        policy_free(p);
        p = snp_policy_with(",\"host_data\":[\"" ZEROS64 "\"]", "");
        expect_with(p, &in, NULL); /* its host_data is zero */
        policy_free(p);
        p = snp_policy_with(",\"host_data\":[\"" ZEROS64 "\"]", "");
        e->report.data[0xc0] ^= 1; /* host_data: signed, so the signature breaks first */
        expect_with(p, &in, "snp.signature");
        e->report.data[0xc0] ^= 1;
        policy_free(p);
        p = snp_policy_with(",\"vmpl\":[1,2]", "");
        expect_with(p, &in, "snp.vmpl");
        policy_free(p);

        /* Another session's report_data. */
        p = snp_policy_with("", "");
        in.report_data[63] ^= 1;
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;
                Appraisal a = {};

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, "binding.report_data", &a);
                /* The first failure decides; later steps are skipped. */
                assert_int_equal(step(&a, "snp.measurement")->status, STEP_SKIP);
                assert_int_equal(step(&a, "tpm.evidence")->status, STEP_SKIP);
                appraisal_done(&a);
        }
        in.report_data[63] ^= 1;
        policy_free(p);

        /* The chain must end at a trusted ARK: Genoa's is not Milan's. */
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/genoa-ask-ark.pem\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                "\"microcode\":115},\"measurements\":[\"" TRUSTEE_MEASUREMENT "\"]}}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;
                Appraisal a = {};

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                assert_int_equal(appraise(ap, &in, &a), 0);
                assert_false(a.accepted);
                assert_string_equal(a.reason, "snp.ark_untrusted");
                appraisal_done(&a);
        }
        policy_free(p);

        /* A policy without snp rules takes no snp evidence. */
        p = make_policy("{\"version\":1,\"tpm\":{}}");
        expect_with(p, &in, "evidence.tee_unsupported");
        policy_free(p);

        /* A damaged report. */
        p = snp_policy_with("", "");
        e->report.size = 1000;
        expect_with(p, &in, "snp.malformed");
        policy_free(p);
}

/* Without a certificate table, the VCEK comes from the policy's cache of
 * certificates; the second time, its chain from the appraiser's. */
static void test_snp_pool(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(appraiser_freep) Appraiser *ap = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Appraisal a = {};
        unsigned long hits, misses;

        (void)state;
        e = snp_trustee(&in);
        free(e->cert_table.data);
        e->cert_table = (KbsBlob){};
        p = snp_policy_with("", "");
        assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
        expect(ap, &in, "snp.cert_missing", &a); /* the policy has the ASK, not the VCEK */
        appraisal_done(&a);
        policy_free(TAKE_PTR(p));
        appraiser_free(TAKE_PTR(ap));

        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"],"
                "\"amd_certs\":[\"@PEER@/snp/trustee-vcek.der\",\"@PEER@/snp/gsg-vcek.der\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                "\"microcode\":115},\"measurements\":[\"" TRUSTEE_MEASUREMENT "\"]}}");
        assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
        expect(ap, &in, NULL, &a);
        appraisal_done(&a);
        expect(ap, &in, NULL, &a);
        assert_non_null(strstr(step(&a, "snp.chain")->detail, "From the cache"));
        appraisal_done(&a);
        appraiser_snp_cache_stats(ap, &hits, &misses);
        assert_int_equal(hits, 1);
        assert_int_equal(misses, 1);
}

/* go-sev-guest's report: the guest policy allows debugging. */
static void test_snp_debug(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Policy *p;
#define GSG_POLICY                                                                                 \
        "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"],"              \
        "\"amd_certs\":[\"@PEER@/snp/gsg-vcek.der\"]},"                                            \
        "\"snp\":{\"min_tcb\":{\"bootloader\":2,\"tee\":0,\"snp\":5,\"microcode\":68},"            \
        "\"measurements\":[\"" GSG_MEASUREMENT "\"]%s}}"
        char buf[1024];

        (void)state;
        assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
        read_blob("snp/gsg-report.bin", &e->report);
        in = (AppraisalInput){.evidence = e, .at = at(AT_GSG)};
        memcpy(in.report_data, e->report.data + 0x50, 64);

        snprintf(buf, sizeof(buf), GSG_POLICY, "");
        p = make_policy(buf);
        expect_with(p, &in, "snp.debug");
        policy_free(p);
        snprintf(buf, sizeof(buf), GSG_POLICY, ",\"allow_debug\":true");
        p = make_policy(buf);
        expect_with(p, &in, NULL);
        policy_free(p);
}

/* Trustee's VLEK report was requested at VMPL 1. */
static void test_snp_vmpl(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Policy *p;
#define VLEK_POLICY                                                                                \
        "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-asvk-ark.pem\"]},"            \
        "\"snp\":{\"min_tcb\":{\"bootloader\":4,\"tee\":0,\"snp\":24,\"microcode\":217},"          \
        "\"measurements\":[\"" VLEK_MEASUREMENT "\"]%s}}"
        char buf[1024];

        (void)state;
        assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
        read_blob("snp/trustee-vlek-report.bin", &e->report);
        snp_table(e, "snp/trustee-vlek.der", SNP_CERT_KIND_VLEK, "snp/milan-asvk-ark.pem");
        in = (AppraisalInput){.evidence = e, .at = at(AT_VLEK)};
        memcpy(in.report_data, e->report.data + 0x50, 64);

        snprintf(buf, sizeof(buf), VLEK_POLICY, "");
        p = make_policy(buf);
        expect_with(p, &in, "snp.vmpl");
        policy_free(p);
        snprintf(buf, sizeof(buf), VLEK_POLICY, ",\"vmpl\":[1]");
        p = make_policy(buf);
        expect_with(p, &in, NULL);
        policy_free(p);
}

/* TDX: go-tdx-guest's COS quote with the CCEL that replays to it. */
static KbsEvidence *tdx_ccel(AppraisalInput *in) {
        KbsEvidence *e = NULL;

        assert_int_equal(kbs_evidence_new(KBS_TEE_TDX, &e), 0);
        read_blob("eventlog/gtg-ccel-quote.dat", &e->report);
        read_blob("eventlog/gtg-ccel.bin", &e->ccel);
        *in = (AppraisalInput){.evidence = e, .at = at(AT_2026)}; /* report_data is zero */
        return e;
}

static Policy *tdx_policy(const char *svn, const char *mrtd, const char *extra) {
        char text[4096];

        snprintf(text, sizeof(text),
                 "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"%s\",\"mrtd\":[\"%s\"],"
                 "\"mrseam\":[\"" CCEL_MRSEAM "\"],\"rtmr\":{\"0\":[\"" CCEL_RTMR0 "\"],"
                 "\"1\":[\"" CCEL_RTMR1 "\"],\"2\":[\"" CCEL_RTMR2 "\"]}%s}}",
                 svn, mrtd, extra);
        return make_policy(text);
}

static void test_tdx(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        AppraisalInput in;
        Appraisal a = {};
        Policy *p;

        (void)state;
        e = tdx_ccel(&in);
        p = tdx_policy("04010700000000000000000000000000", CCEL_MRTD, "");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_int_equal(step(&a, "tdx.quote")->status, STEP_PASS);
                assert_int_equal(step(&a, "tdx.ccel_replay")->status, STEP_PASS);
                assert_int_equal(step(&a, "tdx.rtmr")->status, STEP_PASS);
                assert_string_equal(claim(&a, "tdx", "mrtd"), CCEL_MRTD);
                assert_string_equal(claim(&a, "tdx", "rtmr2"), CCEL_RTMR2);
                appraisal_done(&a);
                /* The PCK chain comes from a verifier's cache the second time
                 * (one of the appraiser's verifiers). */
                expect(ap, &in, NULL, &a);
                appraisal_done(&a);
        }
        policy_free(p);

        p = tdx_policy("04010700000000000000000000000000", TRUSTEE_TDX_MRTD, "");
        expect_with(p, &in, "tdx.mrtd");
        policy_free(p);
        p = tdx_policy("04020700000000000000000000000000", CCEL_MRTD, "");
        expect_with(p, &in, "tdx.tcb_min");
        policy_free(p);
        p = tdx_policy("04010700000000000000000000000000", CCEL_MRTD,
                       ",\"mrseam\":[\"" ZEROS48 "\"]");
        expect_with(p, &in, "tdx.mrseam");
        policy_free(p);
        p = tdx_policy("04010700000000000000000000000000", CCEL_MRTD,
                       ",\"rtmr\":{\"3\":[\"" CCEL_RTMR0 "\"]}");
        expect_with(p, &in, "tdx.rtmr");
        policy_free(p);

        /* Another session's REPORTDATA. */
        p = tdx_policy("04010700000000000000000000000000", CCEL_MRTD, "");
        in.report_data[0] = 1;
        expect_with(p, &in, "binding.report_data");
        in.report_data[0] = 0;

        /* A CCEL whose event changed does not replay to the quote. */
        assert_int_equal(eventlog_parse(e->ccel.data, e->ccel.size, EVENTLOG_CCEL, NULL, &log), 0);
        for (size_t i = 1; i < log->n_events; i++)
                if (log->events[i].index == 2 && log->events[i].type != EVENTLOG_EV_NO_ACTION) {
                        /* index, type, digest count, algorithm, then the digest */
                        e->ccel.data[log->events[i].offset + 14] ^= 0x01;
                        break;
                }
        expect_with(p, &in, "tdx.ccel_replay");
        free(e->ccel.data);
        e->ccel = (KbsBlob){};
        expect_with(p, &in, NULL); /* no CCEL, none required */
        policy_free(p);
        p = tdx_policy("04010700000000000000000000000000", CCEL_MRTD, ",\"require_ccel\":true");
        expect_with(p, &in, "tdx.ccel_replay");
        policy_free(p);

        /* A quote of the Intel root, but the policy trusts only another. */
        p = make_policy("{\"version\":1,\"anchors\":{\"builtin\":false,\"intel_root_ca\":["
                        "\"@PEER@/tdx/dcap-sgx-root-ca.pem\"]},\"tdx\":{\"min_tee_tcb_svn\":"
                        "\"04010700000000000000000000000000\",\"mrtd\":[\"" CCEL_MRTD "\"]}}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                assert_int_equal(appraise(ap, &in, &a), 0);
                assert_false(a.accepted);
                assert_int_equal(step(&a, "tdx.quote")->status, STEP_FAIL);
                assert_non_null(a.reason);
                assert_true(strncmp(a.reason, "tdx.", 4) == 0);
                appraisal_done(&a);
        }
        policy_free(p);
}

/* Trustee's TDX quote is a debug TD's, and its CCEL is another TD's. */
static void test_tdx_debug_and_replay(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Policy *p;
#define TRUSTEE_TDX_POLICY                                                                         \
        "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"%032d\",\"mrtd\":[\"" TRUSTEE_TDX_MRTD      \
        "\"]%s}}"
        char buf[1024];

        (void)state;
        assert_int_equal(kbs_evidence_new(KBS_TEE_TDX, &e), 0);
        read_blob("tdx/trustee-quote-v4.dat", &e->report);
        read_blob("tdx/trustee-quote-v4-ccel.bin", &e->ccel);
        in = (AppraisalInput){.evidence = e, .at = at(AT_2026)};
        /* REPORTDATA: after the 48-byte header, at 520 in the TD body. */
        memcpy(in.report_data, e->report.data + 48 + 520, 64);

        snprintf(buf, sizeof(buf), TRUSTEE_TDX_POLICY, 0, "");
        p = make_policy(buf);
        expect_with(p, &in, "tdx.debug");
        policy_free(p);
        snprintf(buf, sizeof(buf), TRUSTEE_TDX_POLICY, 0, ",\"allow_debug\":true");
        p = make_policy(buf);
        expect_with(p, &in, "tdx.ccel_replay");
        policy_free(p);
}

/* Azure SNP: the HCL report with its VCEK chain, and the vTPM quote
 * (nonce "challenge") made with the AK the runtime data holds. */
static void az_tpm(KbsEvidence *e, const char *rel) {
        _cleanup_(json_object_putp) json_object *j = json_object_from_file(peer(rel));
        _cleanup_free_ uint8_t *attest = NULL, *sig = NULL;
        size_t attest_size, sig_size;
        json_object *pcrs;
        uint8_t *tpmt;

        assert_non_null(j);
        assert_int_equal(hex_decode(json_object_get_string(json_object_object_get(j, "message")),
                                    &attest, &attest_size),
                         0);
        assert_int_equal(hex_decode(json_object_get_string(json_object_object_get(j, "signature")),
                                    &sig, &sig_size),
                         0);
        set_blob(&e->tpm.attest, attest, attest_size);
        /* Azure sends the bare RSASSA-SHA256 signature; KbsEvidence holds a
         * TPMT_SIGNATURE. */
        tpmt = malloc(sig_size + 6);
        assert_non_null(tpmt);
        tpmt[0] = 0x00, tpmt[1] = 0x14, tpmt[2] = 0x00, tpmt[3] = 0x0b;
        tpmt[4] = (uint8_t)(sig_size >> 8), tpmt[5] = (uint8_t)sig_size;
        memcpy(tpmt + 6, sig, sig_size);
        set_blob(&e->tpm.signature, tpmt, sig_size + 6);
        free(tpmt);
        pcrs = json_object_object_get(j, "pcrs");
        assert_int_equal(json_object_array_length(pcrs), 24);
        for (unsigned i = 0; i < 24; i++) {
                uint8_t v[32];

                hex_to(json_object_get_string(json_object_array_get_idx(pcrs, i)), v, 32);
                assert_int_equal(tpm_pcr_values_set(&e->tpm.pcrs, TPM_ALG_SHA256, i, v, 32), 0);
        }
        e->has_tpm = true;
}

static KbsEvidence *az_snp(AppraisalInput *in) {
        KbsEvidence *e = NULL;
        KbsBlob vcek = {};

        assert_int_equal(kbs_evidence_new(KBS_TEE_AZ_SNP_VTPM, &e), 0);
        read_blob("azure/azsnp-hcl-report.bin", &e->report);
        read_blob("azure/azsnp-vcek.pem", &vcek);
        e->vcek_pem = strndup((const char *)vcek.data, vcek.size);
        free(vcek.data);
        az_tpm(e, "azure/azsnp-tpm-quote-v1.json");
        /* Its user-data is zero; the quote's nonce is "challenge". */
        *in = (AppraisalInput){.evidence = e, .at = at(AT_2026), .tpm_nonce_size = 9};
        memcpy(in->tpm_nonce, "challenge", 9);
        return e;
}

static Policy *az_snp_policy(const char *tpm) {
        char text[4096];

        snprintf(text, sizeof(text),
                 "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"
                 "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                 "\"measurements\":[]},"
                 "\"az-snp-vtpm\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                 "\"microcode\":115},\"measurements\":[\"" AZSNP_MEASUREMENT "\"]},"
                 "\"tpm\":{%s}}",
                 tpm);
        return make_policy(text);
}

static void test_az_snp(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(json_object_putp) json_object *q =
                json_object_from_file(peer("azure/azsnp-tpm-quote-v1.json"));
        AppraisalInput in;
        Appraisal a = {};
        char tpm[512];
        Policy *p;

        (void)state;
        e = az_snp(&in);
        p = az_snp_policy("\"require_eventlog\":false");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_string_equal(a.vtpm, "azure");
                assert_int_equal(step(&a, "az.runtime_data")->status, STEP_PASS);
                assert_int_equal(step(&a, "binding.report_data")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.signature")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.nonce")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.pcr_digest")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.replay")->status, STEP_SKIP);
                assert_string_equal(claim(&a, "snp", "measurement"), AZSNP_MEASUREMENT);
                appraisal_done(&a);
        }
        /* The snp section alone would reject it: az-snp-vtpm rules apply. */
        policy_free(p);

        /* The event log is required by default. */
        p = az_snp_policy("");
        expect_with(p, &in, "tpm.eventlog_missing");
        policy_free(p);

        /* PCR rules. */
        snprintf(tpm, sizeof(tpm),
                 "\"require_eventlog\":false,\"pcrs\":{\"sha256\":{\"0\":[\"%s\"],\"7\":[\"%s\"]}}",
                 json_object_get_string(
                         json_object_array_get_idx(json_object_object_get(q, "pcrs"), 0)),
                 json_object_get_string(
                         json_object_array_get_idx(json_object_object_get(q, "pcrs"), 7)));
        p = az_snp_policy(tpm);
        expect_with(p, &in, NULL);
        policy_free(p);
        p = az_snp_policy("\"require_eventlog\":false,\"pcrs\":{\"sha256\":{\"0\":[\"" ZEROS64
                          "\"]}}");
        expect_with(p, &in, "tpm.pcr_policy");
        policy_free(p);
        /* A bank the quote does not cover. */
        p = az_snp_policy("\"require_eventlog\":false,\"pcrs\":{\"sha1\":{\"0\":[]}}");
        expect_with(p, &in, "tpm.pcr_policy");
        policy_free(p);

        p = az_snp_policy("\"require_eventlog\":false");
        /* Another session's nonce in the quote. */
        in.tpm_nonce[0] ^= 1;
        expect_with(p, &in, "tpm.nonce");
        in.tpm_nonce[0] ^= 1;
        /* A PCR value that is not what the TPM quoted. */
        e->tpm.pcrs.banks[0].value[3][0] ^= 1;
        expect_with(p, &in, "tpm.pcr_digest");
        e->tpm.pcrs.banks[0].value[3][0] ^= 1;
        /* The user-data is another session's. */
        in.report_data[0] = 1;
        expect_with(p, &in, "binding.report_data");
        /* Before evidence version 2 only the quote's nonce binds. */
        e->az_version = 1;
        expect_with(p, &in, NULL);
        e->az_version = 2;
        in.report_data[0] = 0;
        /* A quote without the runtime data's AK behind it. */
        e->tpm.signature.data[10] ^= 1;
        expect_with(p, &in, "tpm.signature");
        e->tpm.signature.data[10] ^= 1;
        /* Azure evidence without its vTPM quote. */
        e->has_tpm = false;
        expect_with(p, &in, "tpm.missing");
        e->has_tpm = true;
        /* Byte 0x6e0 is in the runtime data (Trustee's own tamper test). */
        e->report.data[0x6e0]++;
        expect_with(p, &in, "az.runtime_data_binding");
        e->report.data[0x6e0]--;
        policy_free(p);
}

static void test_az_tdx(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Appraisal a = {};
        Policy *p;

        (void)state;
        assert_int_equal(kbs_evidence_new(KBS_TEE_AZ_TDX_VTPM, &e), 0);
        read_blob("azure/aztdx-hcl-report.bin", &e->report);
        read_blob("azure/aztdx-td-quote.bin", &e->td_quote);
        az_tpm(e, "azure/aztdx-tpm-quote-v1.json");
        in = (AppraisalInput){.evidence = e, .at = at(AT_2026), .tpm_nonce_size = 9};
        memcpy(in.tpm_nonce, "challenge", 9);

        p = make_policy("{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":"
                        "\"02010600000000000000000000000000\",\"mrtd\":[\"" AZTDX_MRTD "\"]},"
                        "\"tpm\":{\"require_eventlog\":false}}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_string_equal(a.vtpm, "azure");
                assert_int_equal(step(&a, "az.td_quote")->status, STEP_PASS);
                assert_int_equal(step(&a, "tdx.mrtd")->status, STEP_PASS);
                appraisal_done(&a);
        }
        /* Another TD's quote. */
        read_blob("tdx/trustee-quote-v4.dat", &e->td_quote);
        expect_with(p, &in, "az.td_quote_mismatch");
        free(e->td_quote.data);
        e->td_quote = (KbsBlob){};
        expect_with(p, &in, "tdx.malformed");
        policy_free(p);
}

/* GCE's vTPM quote (nonce 9009) with its event log, as vTPM-only evidence. */
static void gce_tpm(KbsEvidence *e) {
        _cleanup_(json_object_putp) json_object *j =
                json_object_from_file(peer("tpm-quote/gtt-cos85-n9009.json"));
        json_object *quotes, *pcrs = NULL;

        assert_non_null(j);
        read_blob("tpm-quote/gtt-cos85-n9009-akpub.bin", &e->tpm.ak_public);
        read_blob("tpm-quote/gtt-cos85-n9009-sha256.attest", &e->tpm.attest);
        read_blob("tpm-quote/gtt-cos85-n9009-sha256.sig", &e->tpm.signature);
        read_blob("tpm-quote/gtt-cos85-n9009-eventlog.bin", &e->tpm.eventlog);
        quotes = json_object_object_get(j, "quotes");
        for (size_t i = 0; i < json_object_array_length(quotes); i++) {
                json_object *q = json_object_array_get_idx(quotes, i);

                if (strcmp(json_object_get_string(json_object_object_get(q, "bank")), "sha256") ==
                    0)
                        pcrs = json_object_object_get(q, "pcrs");
        }
        assert_non_null(pcrs);
        for (unsigned i = 0; i < 24; i++) {
                char key[4];
                uint8_t v[32];

                snprintf(key, sizeof(key), "%u", i);
                hex_to(json_object_get_string(json_object_object_get(pcrs, key)), v, 32);
                assert_int_equal(tpm_pcr_values_set(&e->tpm.pcrs, TPM_ALG_SHA256, i, v, 32), 0);
        }
        e->has_tpm = true;
}

static void test_tpm_only(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        AppraisalInput in;
        Appraisal a = {};
        Policy *p;

        (void)state;
        assert_int_equal(kbs_evidence_new(KBS_TEE_TPM, &e), 0);
        gce_tpm(e);
        in = (AppraisalInput){
                .evidence = e, .at = at(AT_2026), .tpm_nonce = {0x90, 0x09}, .tpm_nonce_size = 2};

        /* Nothing vouches for a GCE AK: only "cloud" takes it. */
        p = make_policy("{\"version\":1,\"tpm\":{}}");
        expect_with(p, &in, "tpm.ak_untrusted");
        policy_free(p);
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"ignore\"}}");
        expect_with(p, &in, "tpm.ak_untrusted");
        policy_free(p);
        /* GCE's quote covers PCR 10, which IMA extends with a log of its
         * own: the boot log does not explain it. */
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"cloud\"}}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, "tpm.eventlog_replay", &a);
                assert_non_null(strstr(a.detail, "PCR 10"));
                assert_non_null(strstr(a.detail, "never extends it"));
                appraisal_done(&a);
        }
        policy_free(p);
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"cloud\",\"unlogged_pcrs\":[10]}}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_string_equal(a.vtpm, "cloud");
                assert_non_null(strstr(step(&a, "tpm.replay")->detail, "but for sha256:10"));
                assert_int_equal(step(&a, "tpm.ak")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.replay")->status, STEP_PASS);
                assert_non_null(claim(&a, "tpm", "pcr_select"));
                appraisal_done(&a);
        }

        /* Another nonce. */
        in.tpm_nonce[1] = 0x10;
        expect_with(p, &in, "tpm.nonce");
        in.tpm_nonce[1] = 0x09;

        /* An event whose digest changed: the log no longer replays to the
         * quoted PCRs (which still match the quote). */
        assert_int_equal(eventlog_parse(e->tpm.eventlog.data, e->tpm.eventlog.size, EVENTLOG_TCG,
                                        NULL, &log),
                         0);
        for (size_t i = 1; i < log->n_events; i++) {
                const EventLogEvent *ev = &log->events[i];
                /* index, type, digest count, then per bank its algorithm
                 * and digest: find the sha256 one. */
                size_t at_digest = ev->offset + 12;

                if (ev->index != 4 || ev->type == EVENTLOG_EV_NO_ACTION)
                        continue;
                for (size_t d = 0; d < ev->n_digests; d++) {
                        if (ev->digests[d].alg == TPM_ALG_SHA256) {
                                e->tpm.eventlog.data[at_digest + 2] ^= 0x01;
                                break;
                        }
                        at_digest += 2 + ev->digests[d].size;
                }
                break;
        }
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, "tpm.eventlog_replay", &a);
                assert_non_null(strstr(a.detail, "PCR 4"));
                appraisal_done(&a);
        }
        read_blob("tpm-quote/gtt-cos85-n9009-eventlog.bin", &e->tpm.eventlog);

        /* A log without the events of PCR 9: every event left replays, but
         * PCR 9 would still be zero. */
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;
                uint8_t *cut = malloc(e->tpm.eventlog.size);
                size_t n = 0, dropped = 0;

                assert_non_null(cut);
                for (size_t i = 0; i < log->n_events; i++) {
                        size_t end = i + 1 < log->n_events ? log->events[i + 1].offset : log->size;

                        if (log->events[i].index == 9 && i > 0) {
                                dropped++;
                                continue;
                        }
                        memcpy(cut + n, e->tpm.eventlog.data + log->events[i].offset,
                               end - log->events[i].offset);
                        n += end - log->events[i].offset;
                }
                assert_true(dropped > 0);
                set_blob(&e->tpm.eventlog, cut, n);
                free(cut);
                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, "tpm.eventlog_replay", &a);
                assert_non_null(strstr(a.detail, "PCR 9"));
                assert_non_null(strstr(a.detail, "never extends it"));
                appraisal_done(&a);
        }
        policy_free(p);
        read_blob("tpm-quote/gtt-cos85-n9009-eventlog.bin", &e->tpm.eventlog);

        /* PCR values against the policy. */
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"cloud\",\"unlogged_pcrs\":[10],"
                        "\"pcrs\":{\"sha256\":{"
                        "\"0\":[\"" ZEROS64 "\",\"0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107"
                        "ece427c4dea4e439cf\"]}}}}");
        expect_with(p, &in, NULL);
        policy_free(p);
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"cloud\",\"unlogged_pcrs\":[10],"
                        "\"pcrs\":{\"sha256\":{\"0\":[\"" ZEROS64 "\"]}}}}");
        expect_with(p, &in, "tpm.pcr_policy");
        policy_free(p);

        /* Without its event log. */
        free(e->tpm.eventlog.data);
        e->tpm.eventlog = (KbsBlob){};
        p = make_policy("{\"version\":1,\"tpm\":{\"vtpm\":\"cloud\"}}");
        expect_with(p, &in, "tpm.eventlog_missing");
        policy_free(p);
}

/* SEV-SNP evidence with TPM evidence beside it: how far the AK is
 * trusted is the TEE's word, or else the policy's. */
static void test_snp_with_tpm(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        AppraisalInput in;
        Appraisal a = {};
        Policy *p;

        (void)state;
        e = snp_trustee(&in);
        p = snp_policy_with("", ",\"tpm\":{\"required\":true}");
        expect_with(p, &in, "tpm.missing");
        policy_free(p);
        p = snp_policy_with("", ",\"tpm\":{\"required\":false}");
        expect_with(p, &in, NULL);
        policy_free(p);

        gce_tpm(e);
        in.tpm_nonce[0] = 0x90, in.tpm_nonce[1] = 0x09, in.tpm_nonce_size = 2;
        /* Not from the additional evidence: no TEE vouches for the AK. */
        p = snp_policy_with("", "");
        expect_with(p, &in, "tpm.ak_untrusted");
        policy_free(p);
        p = snp_policy_with("", ",\"tpm\":{\"vtpm\":\"cloud\",\"unlogged_pcrs\":[10]}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_string_equal(a.vtpm, "cloud");
                appraisal_done(&a);
        }
        policy_free(p);
        p = snp_policy_with("", ",\"tpm\":{\"vtpm\":\"ignore\"}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                /* Ignored: even a quote for another session does not matter. */
                in.tpm_nonce[0] = 0;
                expect(ap, &in, NULL, &a);
                in.tpm_nonce[0] = 0x90;
                assert_string_equal(a.vtpm, "ignore");
                assert_int_equal(step(&a, "tpm.evidence")->status, STEP_PASS);
                assert_int_equal(step(&a, "tpm.ak")->status, STEP_SKIP);
                assert_int_equal(step(&a, "tpm.signature")->status, STEP_SKIP);
                assert_int_equal(step(&a, "tpm.replay")->status, STEP_SKIP);
                appraisal_done(&a);
        }
        policy_free(p);

        /* From the additional evidence the report binds: the TEE vouches. */
        e->tpm_in_additional = true;
        p = snp_policy_with("", ",\"tpm\":{\"unlogged_pcrs\":[10]}");
        {
                _cleanup_(appraiser_freep) Appraiser *ap = NULL;

                assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
                expect(ap, &in, NULL, &a);
                assert_string_equal(a.vtpm, "tee");
                appraisal_done(&a);
                /* But only if the binding holds. */
                in.report_data[5] ^= 1;
                expect(ap, &in, "binding.report_data", &a);
                assert_string_equal(a.vtpm, "none");
                appraisal_done(&a);
                in.report_data[5] ^= 1;
        }
        policy_free(p);
}

/* Reference mode: a genuine, bound report whatever the rules say. */
static void test_reference(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(appraiser_freep) Appraiser *ap = NULL;
        AppraisalInput in;
        Appraisal a = {};

        (void)state;
        e = snp_trustee(&in);
        gce_tpm(e);
        in.tpm_nonce[0] = 0x90, in.tpm_nonce[1] = 0x09, in.tpm_nonce_size = 2;
        /* Anchors only: no snp rules at all. */
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]}}");
        assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
        assert_int_equal(appraise(ap, &in, &a), 0);
        assert_false(a.accepted);
        assert_string_equal(a.reason, "evidence.tee_unsupported");
        appraisal_done(&a);

        assert_int_equal(appraise_reference(ap, &in, &a), 0);
        if (!a.accepted)
                dump(&a);
        assert_true(a.accepted);
        assert_int_equal(step(&a, "snp.signature")->status, STEP_PASS);
        assert_int_equal(step(&a, "snp.measurement")->status, STEP_SKIP);
        assert_int_equal(step(&a, "tpm.ak")->status, STEP_SKIP);
        assert_int_equal(step(&a, "tpm.replay")->status, STEP_PASS);
        /* The PCRs the log does not explain are named, for the fragment. */
        assert_non_null(claim(&a, "tpm", "unlogged_pcrs"));
        assert_non_null(strstr(claim(&a, "tpm", "unlogged_pcrs"), "10"));
        assert_int_equal(step(&a, "tpm.pcr_policy")->status, STEP_SKIP);
        assert_string_equal(claim(&a, "snp", "measurement"), TRUSTEE_MEASUREMENT);
        appraisal_done(&a);

        /* What does not verify is not a reference. */
        in.report_data[0] ^= 1;
        assert_int_equal(appraise_reference(ap, &in, &a), 0);
        assert_false(a.accepted);
        assert_string_equal(a.reason, "binding.report_data");
        appraisal_done(&a);
}

static void test_unsupported_tee(void **state) {
        _cleanup_(policy_freep) Policy *p = make_policy("{\"version\":1,\"tpm\":{}}");
        KbsEvidence e = {.tee = KBS_TEE_SGX};
        AppraisalInput in = {.evidence = &e};

        (void)state;
        expect_with(p, &in, "evidence.tee_unsupported");
}

/* The binding, computed apart: SHA-384 over the RFC 8785 text of the
 * runtime data, written out by hand here. */
#define NONCE "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_X "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"
#define KEY_Y "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"
#define JWK                                                                                        \
        "{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" KEY_X              \
        "\",\"y\":\"" KEY_Y "\"}"

static void sha384(const char *text, uint8_t ret[48]) {
        assert_int_equal(EVP_Digest(text, strlen(text), ret, NULL, EVP_sha384(), NULL), 1);
}

static void test_input_from_attestation(void **state) {
        static const char additional[] = "{\"tpm\":{\"x\":1}}";
        const char *jcs3 =
                "{\"additional-evidence\":\"{\\\"tpm\\\":{\\\"x\\\":1}}\",\"nonce\":\"" NONCE
                "\",\"tee-pubkey\":" JWK "}";
        const char *jcs2 = "{\"nonce\":\"" NONCE "\",\"tee-pubkey\":" JWK "}";
        _cleanup_(json_object_putp) json_object *key = NULL, *primary = NULL;
        _cleanup_(kbs_attestation_freep) KbsAttestation *att = NULL;
        _cleanup_free_ char *body = NULL;
        uint8_t d3[48], d2[48], want[64] = {};
        KbsEvidence e = {.tee = KBS_TEE_SNP, .has_tpm = true, .tpm_in_additional = true};
        AppraisalInput in;
        KbsProtoError err;

        (void)state;
        key = json_tokener_parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
                                 "\"x\":\"" KEY_X "\",\"y\":\"" KEY_Y "\",\"kid\":\"dropped\"}");
        primary = json_object_new_string("evidence");
        assert_int_equal(kbs_attestation_build(NONCE, key, primary, additional, NULL, NULL, &body),
                         0);
        assert_int_equal(kbs_attestation_parse(body, strlen(body), &att, &err), 0);
        sha384(jcs3, d3);
        sha384(jcs2, d2);

        assert_int_equal(appraisal_input_from_attestation(NONCE, KBS_HASH_SHA384, att, &e, &in), 0);
        assert_ptr_equal(in.evidence, &e);
        memcpy(want, d3, 48);
        assert_memory_equal(in.report_data, want, 64);
        assert_int_equal(in.tpm_nonce_size, 32); /* Trustee's "tpm": cut to 32 */
        assert_memory_equal(in.tpm_nonce, d2, 32);

        e.tee = KBS_TEE_AZ_SNP_VTPM;
        assert_int_equal(appraisal_input_from_attestation(NONCE, KBS_HASH_SHA384, att, &e, &in), 0);
        assert_memory_equal(in.report_data, want, 64);
        assert_int_equal(in.tpm_nonce_size, 48); /* Azure: the primary's digest as it is */
        assert_memory_equal(in.tpm_nonce, d3, 48);

        e.tee = KBS_TEE_TPM;
        memset(want, 0, sizeof(want));
        assert_int_equal(appraisal_input_from_attestation(NONCE, KBS_HASH_SHA384, att, &e, &in), 0);
        assert_memory_equal(in.report_data, want, 64);
        assert_int_equal(in.tpm_nonce_size, 32);
        assert_memory_equal(in.tpm_nonce, d3, 32);

        e = (KbsEvidence){.tee = KBS_TEE_TDX};
        assert_int_equal(appraisal_input_from_attestation(NONCE, KBS_HASH_SHA384, att, &e, &in), 0);
        assert_int_equal(in.tpm_nonce_size, 0);
        e.tee = KBS_TEE_SGX;
        assert_int_equal(appraisal_input_from_attestation(NONCE, KBS_HASH_SHA384, att, &e, &in),
                         -EOPNOTSUPP);
}

/* One Appraiser, several threads: every decision the same, the caches
 * intact. */
typedef struct ThreadArg {
        Appraiser *ap;
        const AppraisalInput *in[2];
        unsigned accepted;
} ThreadArg;

static void *thread_main(void *p) {
        ThreadArg *t = p;

        for (unsigned i = 0; i < 40; i++) {
                Appraisal a;

                if (appraise(t->ap, t->in[i % 2], &a) == 0 && a.accepted)
                        t->accepted++;
                appraisal_done(&a);
        }
        return NULL;
}

static void test_threads(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *snp = NULL, *tdx = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(appraiser_freep) Appraiser *ap = NULL;
        AppraisalInput in_snp, in_tdx;
        pthread_t threads[4];
        ThreadArg args[4];
        unsigned long hits, misses;

        (void)state;
        snp = snp_trustee(&in_snp);
        tdx = tdx_ccel(&in_tdx);
        in_tdx.at = in_snp.at = at(AT_2026);
        p = make_policy(
                "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@PEER@/snp/milan-ask-ark.pem\"]},"
                "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                "\"microcode\":115},\"measurements\":[\"" TRUSTEE_MEASUREMENT "\"]},"
                "\"tdx\":{\"min_tee_tcb_svn\":\"04010700000000000000000000000000\","
                "\"mrtd\":[\"" CCEL_MRTD "\"]}}");
        assert_int_equal(appraiser_new(p, &ap, NULL, 0), 0);
        for (size_t i = 0; i < ELEMENTSOF(threads); i++) {
                args[i] = (ThreadArg){.ap = ap, .in = {&in_snp, &in_tdx}};
                assert_int_equal(pthread_create(&threads[i], NULL, thread_main, &args[i]), 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(threads); i++) {
                assert_int_equal(pthread_join(threads[i], NULL), 0);
                assert_int_equal(args[i].accepted, 40);
        }
        appraiser_snp_cache_stats(ap, &hits, &misses);
        assert_int_equal(hits + misses, 80);
        assert_true(misses >= 1 && misses <= 4); /* at most one cold start per thread */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_snp_accepted),
                cmocka_unit_test(test_snp_rules),
                cmocka_unit_test(test_snp_pool),
                cmocka_unit_test(test_snp_debug),
                cmocka_unit_test(test_snp_vmpl),
                cmocka_unit_test(test_tdx),
                cmocka_unit_test(test_tdx_debug_and_replay),
                cmocka_unit_test(test_az_snp),
                cmocka_unit_test(test_az_tdx),
                cmocka_unit_test(test_tpm_only),
                cmocka_unit_test(test_snp_with_tpm),
                cmocka_unit_test(test_reference),
                cmocka_unit_test(test_unsupported_tee),
                cmocka_unit_test(test_input_from_attestation),
                cmocka_unit_test(test_threads),
        };

        if (!getenv("PEER_DATA"))
                return 77;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
