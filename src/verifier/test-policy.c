/* policy_load()/policy_from_json(): what a valid policy gives, and that
 * every kind of mistake is refused with the file and the member named. */

#include <errno.h>
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "appraise-internal.h"
#include "policy.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/openssl-cleanup.h"

#define UUID "0f4e3c1a-6a52-4a8e-9d0e-0b6f3f2a1c7d"
#define M46                                                                                        \
        "f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050" \
        "d3d38c"
#define M48                                                                                        \
        "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f90" \
        "50d3d38c"

typedef struct Fixture {
        char dir[64];
        char path[128]; /* dir/policy.json */
        char ark[4096]; /* AMD's Milan ASK and ARK, from the peer data */
        char sim_ark[128];
        char err[512];
} Fixture;

static X509 *make_self_signed(const char *cn) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *c = X509_new();
        X509_NAME *name;

        assert_non_null(key);
        assert_non_null(c);
        assert_int_equal(X509_set_version(c, 2), 1);
        ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
        X509_gmtime_adj(X509_getm_notBefore(c), -3600);
        X509_gmtime_adj(X509_getm_notAfter(c), 3600 * 24);
        name = X509_get_subject_name(c);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                                   (const unsigned char *)"SIMULATED Engineering", -1, -1, 0);
        assert_int_equal(X509_set_issuer_name(c, name), 1);
        assert_int_equal(X509_set_pubkey(c, key), 1);
        assert_true(X509_sign(c, key, EVP_sha256()) > 0);
        return c;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        const char *peer = getenv("PEER_DATA");
        FILE *out;
        X509 *sim;

        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-policy-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/policy.json", f->dir);
        snprintf(f->ark, sizeof(f->ark), "%s/snp/milan-ask-ark.pem", peer ?: ".");
        snprintf(f->sim_ark, sizeof(f->sim_ark), "%s/sim-ark.pem", f->dir);
        sim = make_self_signed("SIMULATED-ARK-Milan");
        out = fopen(f->sim_ark, "w");
        assert_non_null(out);
        assert_int_equal(PEM_write_X509(out, sim), 1);
        fclose(out);
        X509_free(sim);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char path[192];

        snprintf(path, sizeof(path), "%s/ark.pem", f->dir);
        (void)unlink(path);
        snprintf(path, sizeof(path), "%s/sub", f->dir);
        (void)rmdir(path);
        (void)unlink(f->sim_ark);
        (void)unlink(f->path);
        assert_int_equal(rmdir(f->dir), 0);
        free(f);
        return 0;
}

/* Writes text as the policy and loads it. In text, @ARK@ stands for the
 * peer ARK file, @Z32@ (@Z40@, @Z64@) for 32 (40, 64) zeros. */
static int load(Fixture *f, const char *text, Policy **ret) {
        FILE *out;
        int r;

        out = fopen(f->path, "w");
        assert_non_null(out);
        for (const char *c = text; *c;) {
                if (strncmp(c, "@ARK@", 5) == 0) {
                        fputs(f->ark, out);
                        c += 5;
                } else if (strncmp(c, "@Z", 2) == 0 && c[4] == '@') {
                        for (int n = (c[2] - '0') * 10 + (c[3] - '0'); n > 0; n--)
                                fputc('0', out);
                        c += 5;
                } else
                        fputc(*c++, out);
        }
        fclose(out);
        f->err[0] = 0;
        r = policy_load(f->path, ret, f->err, sizeof(f->err));
        if (r < 0)
                assert_null(*ret);
        return r;
}

/* The policy is refused and the error is "FILE: MEMBER: …WHAT…". */
static void expect_error(Fixture *f, const char *text, const char *member, const char *what) {
        _cleanup_(policy_freep) Policy *p = NULL;
        char prefix[256];

        assert_int_equal(load(f, text, &p), -EINVAL);
        snprintf(prefix, sizeof(prefix), "%s: %s%s", f->path, member, member[0] ? ": " : "");
        if (strncmp(f->err, prefix, strlen(prefix)) != 0 || !strstr(f->err, what))
                fail_msg("error '%s' does not start with '%s' and mention '%s'", f->err, prefix,
                         what);
}

static const char *const snp_ok = "\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,"
                                  "\"microcode\":115},\"measurements\":[\"" M48 "\"]}";

static void test_minimal(void **state) {
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;

        assert_int_equal(load(f, "{\"version\": 1}", &p), 0);
        assert_string_equal(policy_origin(p), f->path);
        assert_false(p->snp.present);
        assert_false(p->tdx.present);
        assert_false(p->tpm.present);
        /* builtin defaults to true: the Intel SGX Root CA. */
        assert_int_equal(sk_X509_num(p->intel_roots), 1);
        assert_int_equal(sk_X509_num(p->amd_arks), 0);
        assert_null(policy_find_resource(p, "confnode", "disk-key", UUID));
}

static void test_full(void **state) {
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;
        const PolicyResource *res;
        char text[4096];

        snprintf(text, sizeof(text),
                 "{\"version\":1,\"comment\":[\"a comment\",\"another\"],"
                 "\"anchors\":{\"amd_ark\":[\"@ARK@\"],\"builtin\":true,\"simulated\":false},"
                 "%s,"
                 "\"az-snp-vtpm\":{\"min_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":1,"
                 "\"microcode\":1,\"fmc\":2},\"allow_debug\":true,\"vmpl\":[0,1],"
                 "\"measurements\":[],\"min_guest_svn\":4,\"host_data\":[\"@Z64@\"]},"
                 "\"tdx\":{\"comment\":\"x\",\"min_tee_tcb_svn\":"
                 "\"03000500000000000000000000000000\","
                 "\"mrtd\":[\"" M48 "\"],\"mrseam\":[],\"rtmr\":{\"0\":[\"" M48 "\"],\"3\":[]},"
                 "\"require_ccel\":true},"
                 "\"tpm\":{\"vtpm\":\"cloud\",\"require_eventlog\":false,\"required\":false,"
                 "\"unlogged_pcrs\":[10,23],"
                 "\"pcrs\":{\"sha256\":{\"0\":[\"@Z64@\"],\"7\":[]},\"sha1\":{\"23\":[]}}},"
                 "\"resources\":[{\"path\":\"confnode/disk-key/*\",\"kind\":\"disk-key\","
                 "\"tees\":[\"snp\",\"az-snp-vtpm\",\"tdx\"]},"
                 "{\"path\":\"confnode/disk-key/" UUID
                 "\",\"kind\":\"disk-key\",\"tees\":[\"tpm\"]},"
                 "{\"path\":\"confnode/kubelet/"
                 "join\",\"kind\":\"join-bundle\",\"tees\":[\"tdx\"]}]}",
                 snp_ok);
        assert_int_equal(load(f, text, &p), 0);
        assert_int_equal(sk_X509_num(p->amd_arks), 1);  /* the ARK */
        assert_int_equal(sk_X509_num(p->amd_certs), 1); /* the ASK joins the pile */
        assert_true(p->snp.present);
        assert_int_equal(p->snp.min_snp, 8);
        assert_false(p->snp.has_fmc);
        assert_false(p->snp.allow_debug);
        assert_int_equal(p->snp.vmpl_mask, 1);
        assert_int_equal(p->snp.measurements.n, 1);
        assert_false(p->snp.host_data.present);
        assert_true(p->az_snp.present);
        assert_true(p->az_snp.has_fmc);
        assert_int_equal(p->az_snp.min_fmc, 2);
        assert_int_equal(p->az_snp.vmpl_mask, 3);
        assert_true(p->az_snp.measurements.present);
        assert_int_equal(p->az_snp.measurements.n, 0);
        assert_int_equal(p->az_snp.min_guest_svn, 4);
        assert_int_equal(p->az_snp.host_data.n, 1);
        assert_true(p->tdx.require_ccel);
        assert_int_equal(p->tdx.min_tee_tcb_svn[0], 3);
        assert_int_equal(p->tdx.min_tee_tcb_svn[2], 5);
        assert_true(p->tdx.mrseam.present);
        assert_true(p->tdx.rtmr[0].present);
        assert_false(p->tdx.rtmr[1].present);
        assert_true(p->tdx.rtmr[3].present);
        assert_false(p->az_tdx.present);
        assert_int_equal(p->tpm.vtpm, POLICY_VTPM_CLOUD);
        assert_false(p->tpm.require_eventlog);
        assert_false(p->tpm.required);
        assert_int_equal(p->tpm.n_banks, 2);
        assert_int_equal(p->tpm.unlogged_mask, (1u << 10) | (1u << 23));

        /* A rule for this very tag wins over the wildcard. */
        res = policy_find_resource(p, "confnode", "disk-key", UUID);
        assert_non_null(res);
        assert_string_equal(res->tag, UUID);
        assert_int_equal(res->tees, 1u << KBS_TEE_TPM);
        res = policy_find_resource(p, "confnode", "disk-key",
                                   "11111111-2222-3333-4444-555555555555");
        assert_non_null(res);
        assert_string_equal(res->tag, "*");
        assert_int_equal(res->kind, RESOURCE_DISK_KEY);
        assert_int_equal(res->tees,
                         (1u << KBS_TEE_SNP) | (1u << KBS_TEE_AZ_SNP_VTPM) | (1u << KBS_TEE_TDX));
        res = policy_find_resource(p, "confnode", "kubelet", "join");
        assert_non_null(res);
        assert_int_equal(res->kind, RESOURCE_JOIN_BUNDLE);
        assert_null(policy_find_resource(p, "confnode", "kubelet", "other"));
        assert_null(policy_find_resource(p, "other", "disk-key", UUID));
}

static void test_unknown_member(void **state) {
        Fixture *f = *state;

        expect_error(f, "{\"version\":1,\"snpp\":{}}", "snpp", "unknown member");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},\"measurements\":[],"
                     "\"alow_debug\":true}}",
                     "snp.alow_debug", "unknown member");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115,\"ucode\":1},"
                     "\"measurements\":[]}}",
                     "snp.min_tcb.ucode", "unknown member");
        expect_error(f, "{\"version\":1,\"anchors\":{\"ark\":[]}}", "anchors.ark",
                     "unknown member");
        expect_error(f, "{\"version\":1,\"tpm\":{\"pcrs\":{\"sha257\":{}}}}", "tpm.pcrs.sha257",
                     "not a PCR bank");
        expect_error(f, "{\"version\":1,\"tpm\":{\"pcrs\":{\"sha256\":{\"07\":[]}}}}",
                     "tpm.pcrs.sha256.07", "not a PCR index");
        expect_error(f, "{\"version\":1,\"tpm\":{\"pcrs\":{\"sha256\":{\"24\":[]}}}}",
                     "tpm.pcrs.sha256.24", "not a PCR index");
        expect_error(f,
                     "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"@Z32@\",\"mrtd\":[],"
                     "\"rtmr\":{\"4\":[]}}}",
                     "tdx.rtmr.4", "unknown member");
        expect_error(f,
                     "{\"version\":1,\"resources\":[{\"path\":\"a/b/c\",\"kind\":\"disk-key\","
                     "\"tees\":[\"tpm\"],\"owner\":\"x\"}]}",
                     "resources[0].owner", "unknown member");
        expect_error(f, "{\"version\":1,\"comment\":7}", "comment", "string");
}

static void test_wrong_type(void **state) {
        Fixture *f = *state;

        expect_error(f, "{\"version\":\"1\"}", "version", "is a string, not an integer");
        expect_error(f, "{\"version\":1,\"tpm\":{\"required\":\"yes\"}}", "tpm.required",
                     "is a string, not a boolean");
        expect_error(f, "{\"version\":1,\"tpm\":[]}", "tpm", "is an array, not an object");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8.5,\"microcode\":115},"
                     "\"measurements\":[]}}",
                     "snp.min_tcb.snp", "not an integer");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":300,\"microcode\":115},"
                     "\"measurements\":[]}}",
                     "snp.min_tcb.snp", "300 is not 0-255");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":-1,\"microcode\":115},"
                     "\"measurements\":[]}}",
                     "snp.min_tcb.snp", "-1 is not 0-255");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                     "\"measurements\":[],\"vmpl\":[0,4]}}",
                     "snp.vmpl[1]", "4 is not 0-3");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                     "\"measurements\":\"" M48 "\"}}",
                     "snp.measurements", "is a string, not an array");
        expect_error(f, "{\"version\":1,\"tpm\":{\"unlogged_pcrs\":[10,24]}}",
                     "tpm.unlogged_pcrs[1]", "24 is not 0-23");
        expect_error(f, "{\"version\":1,\"tpm\":{\"unlogged_pcrs\":10}}", "tpm.unlogged_pcrs",
                     "is an integer, not an array");
        expect_error(f, "{\"version\":1,\"anchors\":{\"amd_ark\":\"x.pem\"}}", "anchors.amd_ark",
                     "not an array");
        expect_error(f, "{\"version\":1,\"anchors\":{\"amd_ark\":[7]}}", "anchors.amd_ark[0]",
                     "is an integer, not a string");
        expect_error(f, "[]", "", "");
        expect_error(f, "{\"version\":2}", "version", "is not 1");
}

static void test_required(void **state) {
        Fixture *f = *state;

        expect_error(f, "{}", "version", "is required");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115}}}",
                     "snp.measurements", "is required");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{"
                     "\"measurements\":[]}}",
                     "snp.min_tcb", "is required");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8},\"measurements\":[]}}",
                     "snp.min_tcb.microcode", "is required");
        expect_error(f, "{\"version\":1,\"tdx\":{\"mrtd\":[]}}", "tdx.min_tee_tcb_svn",
                     "is required");
        expect_error(f, "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"@Z32@\"}}", "tdx.mrtd",
                     "is required");
        expect_error(f, "{\"version\":1,\"resources\":[{\"kind\":\"disk-key\",\"tees\":[]}]}",
                     "resources[0].path", "is required");
        /* Rules that nothing could satisfy are refused at load. */
        expect_error(f,
                     "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,"
                     "\"snp\":8,\"microcode\":115},\"measurements\":[]}}",
                     "anchors.amd_ark", "needs at least one AMD ARK");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"builtin\":false},\"tdx\":{"
                     "\"min_tee_tcb_svn\":\"@Z32@\",\"mrtd\":[]}}",
                     "anchors.intel_root_ca", "needs an Intel root CA");
}

static void test_bad_hex(void **state) {
        Fixture *f = *state;

        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                     "\"measurements\":[\"" M48 "\",\"abcd\"]}}",
                     "snp.measurements[1]", "'abcd' is not 96 hex digits (48 bytes)");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                     "\"measurements\":[\"" M48 "00\"]}}",
                     "snp.measurements[0]", "is not 96 hex digits");
        expect_error(f,
                     "{\"version\":1,\"anchors\":{\"amd_ark\":[\"@ARK@\"]},\"snp\":{\"min_tcb\":{"
                     "\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},"
                     "\"measurements\":[\"0x" M46 "\"]}}",
                     "snp.measurements[0]", "is not hex");
        expect_error(f, "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"0300\",\"mrtd\":[]}}",
                     "tdx.min_tee_tcb_svn", "is not 32 hex digits (16 bytes)");
        expect_error(f,
                     "{\"version\":1,\"tdx\":{\"min_tee_tcb_svn\":\"@Z32@\",\"mrtd\":[],"
                     "\"rtmr\":{\"2\":[\"zz\"]}}}",
                     "tdx.rtmr.2[0]", "is not 96 hex digits");
        /* A sha1 PCR value is 20 bytes, a sha256 one 32. */
        expect_error(f, "{\"version\":1,\"tpm\":{\"pcrs\":{\"sha1\":{\"7\":[\"@Z64@\"]}}}}",
                     "tpm.pcrs.sha1.7[0]", "is not 40 hex digits (20 bytes)");
}

static void test_bad_vtpm(void **state) {
        Fixture *f = *state;

        expect_error(f, "{\"version\":1,\"tpm\":{\"vtpm\":\"trusted\"}}", "tpm.vtpm",
                     "'trusted' is not \"bound\", \"cloud\" or \"ignore\"");
        expect_error(f, "{\"version\":1,\"tpm\":{\"vtpm\":\"Bound\"}}", "tpm.vtpm", "'Bound'");
        expect_error(f, "{\"version\":1,\"tpm\":{\"vtpm\":true}}", "tpm.vtpm",
                     "is a boolean, not a string");
}

static void test_bad_tee(void **state) {
        Fixture *f = *state;

        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[\"tpm\",\"sgx\"]}]}",
                     "resources[0].tees[1]", "'sgx' is not a TEE this verifier appraises");
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[\"SNP\"]}]}",
                     "resources[0].tees[0]", "'SNP' is not a TEE");
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[]}]}",
                     "resources[0].tees", "is empty");
        /* A TEE the policy has no rules for can never fetch anything. */
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[\"tdx\"]}]}",
                     "resources[0].tees[0]", "no rules for it");
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"secret\",\"tees\":[\"tpm\"]}]}",
                     "resources[0].kind", "'secret' is not");
}

static void test_bad_resource_path(void **state) {
        Fixture *f = *state;
        static const struct {
                const char *path, *what;
        } cases[] = {
                {"confnode/disk-key", "is not REPO/TYPE/TAG"},
                {"confnode/disk-key/a/b", "is not REPO/TYPE/TAG"},
                {"/disk-key/x", "each of REPO/TYPE/TAG"},
                {"../disk-key/x", "each of REPO/TYPE/TAG"},
                {"confnode/./x", "each of REPO/TYPE/TAG"},
                {"confnode/kubelet/jo in", "each of REPO/TYPE/TAG"},
                {"confnode/*/x", "each of REPO/TYPE/TAG"},
                {"confnode/kubelet/", "each of REPO/TYPE/TAG"},
        };
        char text[512];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(text, sizeof(text),
                         "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"%s\","
                         "\"kind\":\"join-bundle\",\"tees\":[\"tpm\"]}]}",
                         cases[i].path);
                expect_error(f, text, "resources[0].path", cases[i].what);
        }
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"disk-key\",\"tees\":[\"tpm\"]}]}",
                     "resources[0].path", "a disk-key's tag must be * or a lower-case UUID");
        expect_error(f,
                     "{\"version\":1,\"tpm\":{},\"resources\":[{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[\"tpm\"]},{\"path\":\"a/b/c\","
                     "\"kind\":\"join-bundle\",\"tees\":[\"tpm\"]}]}",
                     "resources[1]", "repeats the path of resources[0]");
}

static void test_simulated_root(void **state) {
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;
        char text[512];

        snprintf(text, sizeof(text), "{\"version\":1,\"anchors\":{\"amd_ark\":[\"%s\"]}}",
                 f->sim_ark);
        expect_error(f, text, "anchors.amd_ark[0]", "is a simulated root");
        snprintf(text, sizeof(text), "{\"version\":1,\"anchors\":{\"intel_root_ca\":[\"%s\"]}}",
                 f->sim_ark);
        expect_error(f, text, "anchors.intel_root_ca[0]", "is a simulated root");
        /* Only a policy that says so trusts one. */
        snprintf(text, sizeof(text),
                 "{\"version\":1,\"anchors\":{\"amd_ark\":[\"%s\"],\"simulated\":true}}",
                 f->sim_ark);
        assert_int_equal(load(f, text, &p), 0);
        assert_int_equal(sk_X509_num(p->amd_arks), 1);
}

static void test_anchor_files(void **state) {
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        char path[192];
        size_t size;

        expect_error(f, "{\"version\":1,\"anchors\":{\"amd_ark\":[\"missing.pem\"]}}",
                     "anchors.amd_ark[0]", "'missing.pem' cannot be read");
        snprintf(path, sizeof(path), "%s/sub", f->dir);
        assert_int_equal(mkdir(path, 0700), 0);
        expect_error(f, "{\"version\":1,\"anchors\":{\"amd_ark\":[\"sub\"]}}", "anchors.amd_ark[0]",
                     "is not a regular file");
        expect_error(f, "{\"version\":1,\"anchors\":{\"amd_ark\":[\"policy.json\"]}}",
                     "anchors.amd_ark[0]", "holds no certificate");
        /* The ASK alone is no root. */
        expect_error(f, "{\"version\":1,\"anchors\":{\"intel_root_ca\":[\"@ARK@\"]}}",
                     "anchors.intel_root_ca[0]", "not a self-signed root CA");
        expect_error(f, "{\"version\":1,\"anchors\":{\"intel_crls\":[\"policy.json\"]}}",
                     "anchors.intel_crls[0]", "holds no CRL");

        /* Relative paths start at the policy's directory. */
        assert_int_equal(read_full_file(f->ark, 1 << 20, &data, &size), 0);
        snprintf(path, sizeof(path), "%s/ark.pem", f->dir);
        assert_int_equal(write_file_atomic(path, data, size, 0644), 0);
        assert_int_equal(load(f,
                              "{\"version\":1,\"anchors\":{\"amd_ark\":[\"ark.pem\"],"
                              "\"amd_certs\":[\"sub\"],\"builtin\":false}}",
                              &p),
                         0);
        assert_int_equal(sk_X509_num(p->amd_arks), 1);
        assert_int_equal(sk_X509_num(p->intel_roots), 0);
}

static void test_not_json(void **state) {
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;
        char want[160];

        assert_int_equal(load(f, "{\"version\": 1,}", &p), -EINVAL);
        snprintf(want, sizeof(want), "%s: not valid JSON", f->path);
        assert_true(strncmp(f->err, want, strlen(want)) == 0);
        assert_int_equal(load(f, "", &p), -EINVAL);
        assert_int_equal(policy_load("/nonexistent/policy.json", &p, f->err, sizeof(f->err)),
                         -ENOENT);
        assert_non_null(strstr(f->err, "/nonexistent/policy.json: cannot be read"));
}

static void test_names(void **state) {
        (void)state;
        for (PolicyVtpm v = 0; v < _POLICY_VTPM_MAX; v++)
                assert_int_equal(policy_vtpm_from_string(policy_vtpm_to_string(v)), v);
        assert_int_equal(policy_vtpm_from_string("other"), _POLICY_VTPM_INVALID);
        assert_int_equal(policy_vtpm_from_string(NULL), _POLICY_VTPM_INVALID);
        assert_null(policy_vtpm_to_string(_POLICY_VTPM_MAX));
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                assert_int_equal(resource_kind_from_string(resource_kind_to_string(k)), k);
        assert_string_equal(resource_kind_to_string(RESOURCE_JOIN_BUNDLE), "join-bundle");
        assert_int_equal(resource_kind_from_string("secret"), _RESOURCE_KIND_INVALID);
}

/* policy_from_json() names its origin in errors, whatever it is. */
static void test_from_json_origin(void **state) {
        json_object *j = json_tokener_parse("{\"version\":1,\"x\":1}");
        Policy *p = NULL;
        char err[256];

        (void)state;
        assert_int_equal(policy_from_json(j, "<built-in>", &p, err, sizeof(err)), -EINVAL);
        assert_null(p);
        assert_string_equal(err, "<built-in>: x: unknown member 'x' (a typo? unknown members "
                                 "are errors)");
        json_object_put(j);
}

/* The example shipped in docs/examples loads, with its anchor files taken
 * from the peer set. */
static void test_example(void **state) {
        static const struct {
                const char *to, *from;
        } files[] = {
                {"amd/milan-ask-ark.pem", "snp/milan-ask-ark.pem"},
                {"amd/genoa-ask-ark.pem", "snp/genoa-ask-ark.pem"},
                {"amd/vcek-cache/vcek.der", "snp/trustee-vcek.der"},
                {"intel/pck-platform-crl.der", "tdx/gtg-pckcrl.bin"},
                {"intel/root-ca-crl.der", "tdx/gtg-rootcrl.der"},
                {"policy.json", NULL},
        };
        Fixture *f = *state;
        _cleanup_(policy_freep) Policy *p = NULL;
        char dir[128], path[512];

        snprintf(dir, sizeof(dir), "%s/example", f->dir);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ uint8_t *data = NULL;
                _cleanup_free_ char *parent = NULL;
                size_t size;

                if (files[i].from)
                        snprintf(path, sizeof(path), "%s/%s", getenv("PEER_DATA"), files[i].from);
                else
                        snprintf(path, sizeof(path), "%s/docs/examples/policy.json",
                                 CONFNODE_SOURCE_DIR);
                assert_int_equal(read_full_file(path, 1 << 20, &data, &size), 0);
                snprintf(path, sizeof(path), "%s/%s", dir, files[i].to);
                parent = strndup(path, strrchr(path, '/') - path);
                assert_int_equal(mkdir_p(parent, 0700), 0);
                assert_int_equal(write_file_atomic(path, data, size, 0600), 0);
        }
        snprintf(path, sizeof(path), "%s/policy.json", dir);
        if (policy_load(path, &p, f->err, sizeof(f->err)) < 0)
                fail_msg("%s", f->err);
        assert_int_equal(sk_X509_num(p->amd_arks), 2);
        assert_int_equal(sk_X509_num(p->amd_certs), 3);
        assert_int_equal(sk_X509_num(p->intel_roots), 1);
        assert_int_equal(sk_X509_CRL_num(p->intel_crls), 2);
        assert_true(p->snp.present && p->az_snp.present && p->tdx.present && !p->az_tdx.present);
        assert_int_equal(p->tpm.vtpm, POLICY_VTPM_BOUND);
        assert_non_null(policy_find_resource(p, "confnode", "kubelet", "join"));
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, files[i].to);
                assert_int_equal(unlink(path), 0);
        }
        for (size_t i = 0; i < 3; i++) {
                static const char *const dirs[] = {"amd/vcek-cache", "amd", "intel"};

                snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
                assert_int_equal(rmdir(path), 0);
        }
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_unknown_member),
                cmocka_unit_test(test_wrong_type),
                cmocka_unit_test(test_required),
                cmocka_unit_test(test_bad_hex),
                cmocka_unit_test(test_bad_vtpm),
                cmocka_unit_test(test_bad_tee),
                cmocka_unit_test(test_bad_resource_path),
                cmocka_unit_test(test_simulated_root),
                cmocka_unit_test(test_anchor_files),
                cmocka_unit_test(test_not_json),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_from_json_origin),
                cmocka_unit_test(test_example),
        };

        if (!getenv("PEER_DATA"))
                return 77;
        return cmocka_run_group_tests(tests, setup, teardown);
}
