/* The evidence shapes against Trustee's own samples (peer-data: the snp
 * evidence its end-to-end test sends, Azure's v0/v1/Genoa evidence, the
 * tpm evidence of its verifier test), round trips of every shape from
 * binary artifacts, the simulator's SNP reports, and malformed inputs that
 * must name the member at fault. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/evidence/az-hcl.h"
#include "confnode/evidence/snp-cert-table.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/snp-verify.h"
#include "confnode/kbs/kbs-evidence.h"
#include "confnode/tpm/tpm-attest.h"
#include "confnode/tpm/tpm-public-key.h"
#include "confnode/tpm/tpm-quote-verify.h"
#include "sim-ca.h"
#include "sim-config.h"
#include "snp-sim.h"

/* 2026-01-01T00:00:00Z: inside the validity of Trustee's sample VCEK
 * (2025-05-27 to 2032-05-27) and of AMD's Genoa ASK and ARK. */
#define AT_TRUSTEE_SNP ((time_t)1767225600)

static void closedirp(DIR **d) {
        if (*d)
                (void)closedir(*d);
        *d = NULL;
}

static const char *peer(const char *rel) {
        static char buf[4096];
        const char *dir = getenv("PEER_DATA");

        assert_non_null(dir);
        snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
        return buf;
}

static void load(const char *rel, KbsBlob *ret) {
        assert_int_equal(read_full_file(peer(rel), 32u * 1024 * 1024, &ret->data, &ret->size), 0);
}

static json_object *load_json(const char *rel) {
        KbsBlob b = {};
        json_tokener *tok;
        json_object *j;

        load(rel, &b);
        /* read_full_file() does not end the text with a NUL. */
        tok = json_tokener_new();
        assert_non_null(tok);
        j = json_tokener_parse_ex(tok, (const char *)b.data, (int)b.size);
        json_tokener_free(tok);
        free(b.data);
        assert_non_null(j);
        return j;
}

static json_object *copy(json_object *j) {
        json_object *c = NULL;

        assert_int_equal(json_object_deep_copy(j, &c, NULL), 0);
        return c;
}

static void blob_free(KbsBlob *b) {
        free(b->data);
        *b = (KbsBlob){};
}

static void set_blob(KbsBlob *b, const void *data, size_t n) {
        b->data = malloc(n ? n : 1);
        assert_non_null(b->data);
        memcpy(b->data, data, n);
        b->size = n;
}

static void assert_blob(const KbsBlob *got, const KbsBlob *want) {
        assert_int_equal(got->size, want->size);
        assert_non_null(got->data);
        assert_memory_equal(got->data, want->data, want->size);
}

/* from_json must fail with r and name member. */
static void expect_bad(KbsTee tee, json_object *primary, const char *additional, int want,
                       const char *member) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        KbsProtoError err = {};
        char buf[300];
        int r;

        r = kbs_evidence_from_json(tee, primary, additional, &e, &err);
        if (r != want || strcmp(err.member, member) != 0)
                fail_msg("want %d at '%s', got %d: %s", want, member, r,
                         kbs_proto_error_string(&err, buf, sizeof(buf)));
        assert_null(e);
        assert_true(err.what[0] != 0);
}

static json_object *member(json_object *o, const char *name) {
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, name, &v));
        return v;
}

static void set_member(json_object *o, const char *name, json_object *v) {
        assert_int_equal(json_object_object_add(o, name, v), 0);
}

/* KbsEvidence -> primary JSON (and additional string) -> KbsEvidence. */
static KbsEvidence *round_trip(const KbsEvidence *e, char **ret_additional) {
        _cleanup_(json_object_putp) json_object *j = NULL, *reparsed = NULL;
        _cleanup_free_ char *add = NULL;
        KbsEvidence *back = NULL;
        KbsProtoError err = {};
        char buf[300];
        const char *text;
        int r;

        assert_int_equal(kbs_evidence_additional_to_string(e, &add), 0);
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), 0);
        /* Through text, as on the wire. */
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        reparsed = json_tokener_parse(text);
        assert_non_null(reparsed);
        r = kbs_evidence_from_json(e->tee, reparsed, add, &back, &err);
        if (r < 0)
                fail_msg("%d: %s", r, kbs_proto_error_string(&err, buf, sizeof(buf)));
        if (ret_additional)
                *ret_additional = TAKE_PTR(add);
        return back;
}

static void assert_tpm_equal(const KbsTpmEvidence *a, const KbsTpmEvidence *b) {
        assert_blob(&a->attest, &b->attest);
        assert_blob(&a->signature, &b->signature);
        if (b->ak_public.data)
                assert_blob(&a->ak_public, &b->ak_public);
        else
                assert_null(a->ak_public.data);
        if (b->eventlog.data)
                assert_blob(&a->eventlog, &b->eventlog);
        else
                assert_null(a->eventlog.data);
        assert_memory_equal(&a->pcrs, &b->pcrs, sizeof(a->pcrs));
}

/* SEV-SNP. */

static void load_certs(const char *rel, STACK_OF(X509) * certs) {
        assert_int_equal(cert_load_file(peer(rel), certs), 0);
}

static int verify_snp(const KbsEvidence *e, STACK_OF(X509) * extra, X509 *ark, time_t at,
                      SnpVerdict *v) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *trusted = sk_X509_new_null();
        SnpCertTable t;

        assert_non_null(certs);
        assert_non_null(trusted);
        assert_non_null(e->cert_table.data);
        assert_int_equal(snp_cert_table_parse(e->cert_table.data, e->cert_table.size, &t, NULL), 0);
        for (size_t i = 0; i < t.n_entries; i++)
                assert_int_equal(cert_load_buffer(t.entries[i].data, t.entries[i].size, certs), 0);
        for (int i = 0; extra && i < sk_X509_num(extra); i++) {
                X509 *x = sk_X509_value(extra, i);

                assert_int_equal(X509_up_ref(x), 1);
                assert_true(sk_X509_push(certs, x) > 0);
        }
        assert_int_equal(X509_up_ref(ark), 1);
        assert_true(sk_X509_push(trusted, ark) > 0);
        return snp_verify(e->report.data, e->report.size, certs, trusted, &at, v);
}

/* Trustee's e2e sample: the 1184 bytes rebuilt from its JSON verify with
 * its cert_chain[0] (the VCEK), up to AMD's Genoa ARK. */
static void test_snp_trustee_sample(void **state) {
        _cleanup_(json_object_putp) json_object *j = load_json("kbs/trustee-snp-evidence.json");
        _cleanup_(json_object_putp) json_object *again = NULL, *bad = NULL;
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *genoa = sk_X509_new_null();
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *e2 = NULL;
        KbsProtoError err = {};
        SnpCertTable t;
        SnpVerdict v = {};
        X509 *ark = NULL;
        json_object *rep;
        (void)state;

        assert_int_equal(kbs_evidence_from_json(KBS_TEE_SNP, j, "", &e, &err), 0);
        assert_int_equal(e->tee, KBS_TEE_SNP);
        assert_int_equal(e->report.size, SNP_REPORT_SIZE);
        assert_false(e->has_tpm);
        assert_int_equal(snp_cert_table_parse(e->cert_table.data, e->cert_table.size, &t, NULL), 0);
        assert_int_equal(t.n_entries, 1);
        assert_int_equal(t.entries[0].kind, SNP_CERT_KIND_VCEK);
        assert_int_equal(t.entries[0].size, 1347);

        load_certs("snp/genoa-ask-ark.pem", genoa);
        for (int i = 0; i < sk_X509_num(genoa); i++)
                if (snp_cert_role(sk_X509_value(genoa, i)) == SNP_CERT_ARK)
                        ark = sk_X509_value(genoa, i);
        assert_non_null(ark);
        assert_int_equal(verify_snp(e, genoa, ark, AT_TRUSTEE_SNP, &v), 0);
        assert_null(v.reason);
        assert_true(v.signature_checked);
        assert_true(v.chain_checked);
        assert_true(v.tcb_checked);

        /* And back: the JSON we write for those bytes is Trustee's. The
         * sample was made by a sev crate from before the mitigation
         * vectors; the current one writes them as null for version 3,
         * and reads their absence as null. */
        assert_int_equal(kbs_evidence_primary_to_json(e, &again), 0);
        rep = member(again, "attestation_report");
        assert_null(member(rep, "launch_mit_vector"));
        assert_null(member(rep, "current_mit_vector"));
        json_object_object_del(rep, "launch_mit_vector");
        json_object_object_del(rep, "current_mit_vector");
        assert_true(json_object_equal(again, j));

        /* One changed byte of report_data no longer verifies. */
        bad = copy(j);
        json_object_array_put_idx(member(member(bad, "attestation_report"), "report_data"), 0,
                                  json_object_new_int(0));
        assert_int_equal(kbs_evidence_from_json(KBS_TEE_SNP, bad, NULL, &e2, &err), 0);
        assert_int_equal(verify_snp(e2, genoa, ark, AT_TRUSTEE_SNP, &v), -EKEYREJECTED);
        assert_string_equal(v.reason, "snp.signature");
}

/* binary -> JSON -> binary is byte for byte, for every SNP report of the
 * peer data (every 1184-byte .bin of snp/). */
static void test_snp_peer_round_trip(void **state) {
        _cleanup_(closedirp) DIR *d = opendir(peer("snp"));
        struct dirent *de;
        unsigned n = 0;
        (void)state;

        assert_non_null(d);
        while ((de = readdir(d))) {
                _cleanup_(json_object_putp) json_object *j = NULL;
                _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
                uint8_t rebuilt[SNP_REPORT_SIZE];
                KbsProtoError err = {};
                KbsBlob b = {};
                char rel[300];
                size_t len = strlen(de->d_name);

                if (len < 4 || strcmp(de->d_name + len - 4, ".bin") != 0)
                        continue;
                snprintf(rel, sizeof(rel), "snp/%s", de->d_name);
                load(rel, &b);
                if (b.size != SNP_REPORT_SIZE) {
                        blob_free(&b);
                        continue;
                }
                if (kbs_evidence_snp_report_to_json(b.data, b.size, &j) != 0)
                        fail_msg("%s does not serialize", rel);
                assert_int_equal(
                        kbs_evidence_snp_report_from_json(j, rebuilt, sizeof(rebuilt), &err), 0);
                assert_memory_equal(rebuilt, b.data, SNP_REPORT_SIZE);

                assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
                e->report = b;
                back = round_trip(e, NULL);
                assert_blob(&back->report, &e->report);
                assert_null(back->cert_table.data);
                n++;
        }
        /* Eight in the shared set at the time of writing. */
        assert_true(n >= 8);
}

static void test_snp_refuses_what_would_change(void **state) {
        KbsBlob b = {};
        json_object *j = NULL;
        (void)state;

        load("snp/trustee-report.bin", &b);
        /* Reserved after the key-info word. */
        b.data[0x4c] = 1;
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, b.size, &j), -EBADMSG);
        b.data[0x4c] = 0;
        /* A reserved byte of a Milan TCB (the JSON has no place for it). */
        b.data[0x180 + 3] = 1;
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, b.size, &j), -EBADMSG);
        b.data[0x180 + 3] = 0;
        /* The reserved bytes after the signature's r and s. */
        b.data[SNP_REPORT_SIZE - 1] = 1;
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, b.size, &j), -EBADMSG);
        b.data[SNP_REPORT_SIZE - 1] = 0;
        /* Empty, one byte short. */
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, 0, &j), -EBADMSG);
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, b.size - 1, &j), -EBADMSG);
        assert_int_equal(kbs_evidence_snp_report_to_json(b.data, b.size, &j), 0);
        json_object_put(j);
        blob_free(&b);
}

static void random_chip_id(SimConfig *c) {
        /* As `confnode-sim init` draws it: Turin's hwID is 8 bytes. */
        memset(c->snp.chip_id, 0, sizeof(c->snp.chip_id));
        assert_int_equal(
                RAND_bytes(c->snp.chip_id, c->snp.generation == SNP_GENERATION_TURIN ? 8 : 64), 1);
        c->snp.chip_id[0] |= 1;
}

/* The simulator's reports of every generation and version go through the
 * JSON unchanged. */
static void test_snp_sim_round_trip(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        static const SnpGeneration gens[] = {SNP_GENERATION_MILAN, SNP_GENERATION_GENOA,
                                             SNP_GENERATION_TURIN};
        static const uint32_t versions[] = {2, 3, 4, 5};
        (void)state;

        assert_non_null(key);
        for (size_t g = 0; g < ELEMENTSOF(gens); g++)
                for (size_t v = 0; v < ELEMENTSOF(versions); v++) {
                        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
                        uint8_t rd[SNP_REPORT_DATA_SIZE], rep[SNP_REPORT_SIZE];
                        SimConfig c;

                        sim_config_default(&c, gens[g]);
                        random_chip_id(&c);
                        c.snp.version = versions[v];
                        c.snp.tcb_tee = 3;
                        assert_int_equal(RAND_bytes(rd, sizeof(rd)), 1);
                        assert_int_equal(snp_sim_report(&c.snp, key, rd, 0, rep), 0);
                        assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
                        set_blob(&e->report, rep, sizeof(rep));
                        back = round_trip(e, NULL);
                        assert_blob(&back->report, &e->report);
                }
}

/* A version 2 report does not say which CPU made it; the sev crate tells
 * Turin by its 8-byte chip ID. Masked (all zero), the Turin TCB would be
 * read in the older layout, where its SNP byte is reserved: refused. */
static void test_snp_sim_v2_masked_turin(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        uint8_t rd[SNP_REPORT_DATA_SIZE] = {}, rep[SNP_REPORT_SIZE];
        json_object *j = NULL;
        SimConfig c;
        (void)state;

        sim_config_default(&c, SNP_GENERATION_TURIN);
        c.snp.version = 2;
        assert_int_equal(snp_sim_report(&c.snp, key, rd, 0, rep), 0);
        assert_int_equal(kbs_evidence_snp_report_to_json(rep, sizeof(rep), &j), -EBADMSG);
        assert_null(j);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

/* A simulated platform end to end: the report and the certificate table
 * the simulated host hands out become Trustee's JSON, and what comes back
 * verifies to the simulated ARK. */
static void test_snp_sim_platform_verifies(void **state) {
        char dir[] = "/tmp/test-kbs-evidence-XXXXXX";
        _cleanup_(sim_ca_freep) SimCa *ca = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
        _cleanup_free_ uint8_t *table = NULL;
        uint8_t rd[SNP_REPORT_DATA_SIZE], rep[SNP_REPORT_SIZE];
        size_t table_size;
        SnpVerdict v = {};
        SimConfig c;
        int r;
        (void)state;

        assert_non_null(mkdtemp(dir));
        sim_config_default(&c, SNP_GENERATION_GENOA);
        random_chip_id(&c);
        r = sim_ca_create(dir, &c);
        if (r >= 0)
                r = sim_ca_load(dir, &ca);
        assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        assert_int_equal(r, 0);

        assert_int_equal(RAND_bytes(rd, sizeof(rd)), 1);
        for (uint32_t version = 2; version <= 5; version += 3) {
                c.snp.version = version;
                assert_int_equal(snp_sim_report(&c.snp, ca->vcek_key, rd, 0, rep), 0);
                assert_int_equal(snp_sim_cert_table(ca, &table, &table_size), 0);
                assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
                set_blob(&e->report, rep, sizeof(rep));
                e->cert_table.data = TAKE_PTR(table);
                e->cert_table.size = table_size;
                back = round_trip(e, NULL);
                assert_blob(&back->report, &e->report);
                assert_blob(&back->cert_table, &e->cert_table);
                assert_int_equal(verify_snp(back, NULL, ca->ark, time(NULL), &v), 0);
                kbs_evidence_free(TAKE_PTR(e));
                kbs_evidence_free(TAKE_PTR(back));
        }
}

/* Runs argv to its end (it is no daemon) and returns its exit status. */
static int run(char *const argv[]) {
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (null >= 0)
                        (void)dup2(null, STDERR_FILENO);
                execv(argv[0], argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What `confnode-sim snp-report` writes (report and certificate table),
 * when the test is given the binary: through the JSON unchanged, and it
 * verifies to the platform's ARK. */
static void test_snp_sim_cli(void **state) {
        const char *sim = getenv("CONFNODE_SIM");
        static const char *const versions[] = {"snp.version=2", "snp.version=5"};
        char dir[] = "/tmp/test-kbs-evidence-cli-XXXXXX", out[2][128], certs[2][128], ark[128];
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = NULL;
        KbsEvidence *e[2] = {};
        int r;
        (void)state;

        if (!sim)
                skip();
        roots = sk_X509_new_null();
        assert_non_null(roots);
        assert_non_null(mkdtemp(dir));
        snprintf(ark, sizeof(ark), "%s/amd/ark.pem", dir);
        {
                /* Turin: a version 2 report's TCB layout is then told by
                 * the 8-byte chip ID that init draws. */
                char *init[] = {(char *)sim, "init", dir, "--generation", "turin", "--force", NULL};

                r = run(init);
        }
        for (size_t i = 0; r == 0 && i < 2; i++) {
                char *rep[] = {(char *)sim, "snp-report",    "--dir",
                               dir,         "--report-data", "c0ffee",
                               "--out",     out[i],          "--certs-out",
                               certs[i],    "--set",         (char *)versions[i],
                               NULL};

                snprintf(out[i], sizeof(out[i]), "%s/report-%zu.bin", dir, i);
                snprintf(certs[i], sizeof(certs[i]), "%s/table-%zu.bin", dir, i);
                r = run(rep);
                if (r == 0)
                        r = kbs_evidence_new(KBS_TEE_SNP, &e[i]);
                if (r == 0)
                        r = read_full_file(out[i], 4096, &e[i]->report.data, &e[i]->report.size);
                if (r == 0)
                        r = read_full_file(certs[i], 65536, &e[i]->cert_table.data,
                                           &e[i]->cert_table.size);
        }
        if (r == 0)
                r = cert_load_file(ark, roots);
        /* The platform's files go before anything is asserted. */
        assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        assert_int_equal(r, 0);

        for (size_t i = 0; i < 2; i++) {
                _cleanup_(kbs_evidence_freep) KbsEvidence *back = NULL;
                _cleanup_(kbs_evidence_freep) KbsEvidence *mine = TAKE_PTR(e[i]);
                SnpVerdict v = {};

                back = round_trip(mine, NULL);
                assert_blob(&back->report, &mine->report);
                assert_blob(&back->cert_table, &mine->cert_table);
                if (verify_snp(back, NULL, sk_X509_value(roots, 0), time(NULL), &v) != 0)
                        fail_msg("%s: %s: %s", versions[i], v.reason, v.detail);
        }
}

static void test_snp_cert_chain_round_trip(void **state) {
        static const uint8_t other[16] = {0x12, 0x34, 0x56, 0x78, 1, 2,  3,  4,
                                          5,    6,    7,    8,    9, 10, 11, 12};
        static uint8_t certs[5][100];
        SnpCertTableEntry en[5] = {};
        _cleanup_(json_object_putp) json_object *j = NULL;
        json_object *chain, *o;
        size_t n;
        (void)state;

        for (size_t i = 0; i < 5; i++) {
                memset(certs[i], (int)(0xa0 + i), sizeof(certs[i]));
                en[i].data = certs[i];
                en[i].size = (uint32_t)(sizeof(certs[i]) - i);
        }
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_VLEK, en[0].guid), 0);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_ASK, en[1].guid), 0);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_ARK, en[2].guid), 0);
        assert_int_equal(snp_cert_kind_guid(SNP_CERT_KIND_CRL, en[3].guid), 0);
        memcpy(en[4].guid, other, sizeof(other));

        for (size_t count = 0; count <= 5; count += 5) {
                _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;

                assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
                load("snp/trustee-report.bin", &e->report);
                e->cert_table.size = snp_cert_table_size(en, count);
                e->cert_table.data = malloc(e->cert_table.size);
                assert_non_null(e->cert_table.data);
                assert_int_equal(
                        snp_cert_table_build(en, count, e->cert_table.data, e->cert_table.size, &n),
                        0);
                back = round_trip(e, NULL);
                assert_blob(&back->cert_table, &e->cert_table);
                if (count == 5) {
                        assert_int_equal(kbs_evidence_primary_to_json(e, &j), 0);
                }
        }
        chain = member(j, "cert_chain");
        assert_string_equal(
                json_object_get_string(member(json_object_array_get_idx(chain, 0), "cert_type")),
                "VLEK");
        o = member(json_object_array_get_idx(chain, 4), "cert_type");
        assert_string_equal(json_object_get_string(member(o, "OTHER")),
                            "12345678-0102-0304-0506-0708090a0b0c");
}

static void chain_of_17(json_object *m) {
        json_object *chain = json_object_new_array();

        for (int i = 0; i < 17; i++) {
                json_object *en = json_object_new_object(), *t = json_object_new_object();
                char g[40];

                snprintf(g, sizeof(g), "00000000-0000-0000-0000-0000000000%02x", i + 1);
                set_member(t, "OTHER", json_object_new_string(g));
                set_member(en, "cert_type", t);
                set_member(en, "data", json_tokener_parse("[1]"));
                assert_int_equal(json_object_array_add(chain, en), 0);
        }
        set_member(m, "cert_chain", chain);
}

static void grow_first_cert(json_object *m) {
        json_object *d = member(json_object_array_get_idx(member(m, "cert_chain"), 0), "data");

        while (json_object_array_length(d) <= KBS_EVIDENCE_MAX_CERT)
                assert_int_equal(json_object_array_add(d, json_object_new_int(7)), 0);
}

/* Each malformed attestation_report is refused with its member named. */
static void test_snp_malformed(void **state) {
        _cleanup_(json_object_putp) json_object *sample =
                load_json("kbs/trustee-snp-evidence.json");
        static const char *const P = "primary_evidence.attestation_report";
        char path[128];
        (void)state;

#define MUTATE(code, want, member_path)                                                            \
        do {                                                                                       \
                _cleanup_(json_object_putp) json_object *m = copy(sample);                         \
                json_object *rep = member(m, "attestation_report");                                \
                (void)rep;                                                                         \
                code;                                                                              \
                expect_bad(KBS_TEE_SNP, m, NULL, want, member_path);                               \
        } while (0)
#define AT(name) (snprintf(path, sizeof(path), "%s.%s", P, name), path)

        /* A byte of 256, a negative one, a string among the bytes. */
        MUTATE(json_object_array_put_idx(member(rep, "report_data"), 3, json_object_new_int(256)),
               -EBADMSG, AT("report_data"));
        MUTATE(json_object_array_put_idx(member(rep, "measurement"), 0, json_object_new_int(-1)),
               -EBADMSG, AT("measurement"));
        MUTATE(json_object_array_put_idx(member(rep, "chip_id"), 0, json_object_new_string("1")),
               -EBADMSG, AT("chip_id"));
        /* Short, empty, long arrays. */
        MUTATE(json_object_array_del_idx(member(rep, "report_data"), 63, 1), -EBADMSG,
               AT("report_data"));
        MUTATE(set_member(rep, "host_data", json_object_new_array()), -EBADMSG, AT("host_data"));
        MUTATE(json_object_array_add(member(rep, "family_id"), json_object_new_int(0)), -EBADMSG,
               AT("family_id"));
        MUTATE(json_object_array_del_idx(member(member(rep, "signature"), "r"), 0, 1), -EBADMSG,
               AT("signature.r"));
        /* Missing members, wrong types. */
        MUTATE(json_object_object_del(rep, "measurement"), -EBADMSG, AT("measurement"));
        MUTATE(json_object_object_del(m, "attestation_report"), -EBADMSG,
               "primary_evidence.attestation_report");
        MUTATE(set_member(rep, "version", json_object_new_string("3")), -EBADMSG, AT("version"));
        MUTATE(set_member(rep, "policy", json_object_new_int(-1)), -EBADMSG, AT("policy"));
        MUTATE(set_member(rep, "vmpl", json_object_new_int64(1ll << 32)), -EBADMSG, AT("vmpl"));
        MUTATE(set_member(rep, "guest_svn", json_object_new_double(1.0)), -EBADMSG,
               AT("guest_svn"));
        MUTATE(set_member(rep, "signature", json_object_new_array()), -EBADMSG, AT("signature"));
        MUTATE(set_member(member(rep, "current"), "major", json_object_new_int(256)), -EBADMSG,
               AT("current.major"));
        /* Versions and the fields they have. */
        MUTATE(set_member(rep, "version", json_object_new_int(6)), -EBADMSG, AT("version"));
        MUTATE(set_member(rep, "version", json_object_new_int(1)), -EBADMSG, AT("version"));
        MUTATE(set_member(rep, "cpuid_fam_id", NULL), -EBADMSG, AT("cpuid_fam_id"));
        MUTATE(set_member(rep, "launch_mit_vector", json_object_new_int(1)), -EBADMSG,
               AT("launch_mit_vector"));
        MUTATE(set_member(rep, "version", json_object_new_int(5)), -EBADMSG,
               AT("launch_mit_vector"));
        /* Genoa has no FMC in its TCB. */
        MUTATE(set_member(member(rep, "reported_tcb"), "fmc", json_object_new_int(0)), -EBADMSG,
               AT("reported_tcb.fmc"));
        MUTATE(json_object_object_del(member(rep, "launch_tcb"), "snp"), -EBADMSG,
               AT("launch_tcb.snp"));
        /* cert_chain. */
        MUTATE(set_member(m, "cert_chain", json_object_new_string("x")), -EBADMSG,
               "primary_evidence.cert_chain");
        MUTATE(set_member(json_object_array_get_idx(member(m, "cert_chain"), 0), "cert_type",
                          json_object_new_string("Empty")),
               -EBADMSG, "primary_evidence.cert_chain[0].cert_type");
        MUTATE(set_member(json_object_array_get_idx(member(m, "cert_chain"), 0), "cert_type",
                          json_object_new_string("vcek")),
               -EBADMSG, "primary_evidence.cert_chain[0].cert_type");
        MUTATE(set_member(json_object_array_get_idx(member(m, "cert_chain"), 0), "data",
                          json_object_new_array()),
               -EBADMSG, "primary_evidence.cert_chain[0].data");
        MUTATE(json_object_object_del(json_object_array_get_idx(member(m, "cert_chain"), 0),
                                      "cert_type"),
               -EBADMSG, "primary_evidence.cert_chain[0].cert_type");
        /* The same GUID twice does not make a certificate table. */
        MUTATE(json_object_array_add(member(m, "cert_chain"),
                                     copy(json_object_array_get_idx(member(m, "cert_chain"), 0))),
               -EBADMSG, "primary_evidence.cert_chain");
        /* 17 entries; a certificate over 16 KiB. */
        MUTATE(chain_of_17(m), -EBADMSG, "primary_evidence.cert_chain");
        MUTATE(grow_first_cert(m), -EBADMSG, "primary_evidence.cert_chain[0].data");
        /* The primary evidence itself. */
        expect_bad(KBS_TEE_SNP, NULL, NULL, -EBADMSG, "primary_evidence");
        {
                _cleanup_(json_object_putp) json_object *s = json_object_new_string("x");

                expect_bad(KBS_TEE_SNP, s, NULL, -EBADMSG, "primary_evidence");
        }
#undef MUTATE
#undef AT
}

/* TPM evidence from files of go-tpm-tools' GCE attestation: the AK as a
 * TPMT_PUBLIC, the SHA-256 quote, its event log and all 24 PCRs. */
static void gtt_tpm(KbsTpmEvidence *t) {
        _cleanup_(json_object_putp) json_object *j = load_json("tpm-quote/gtt-cos85-n9009.json");
        json_object *quotes = member(j, "quotes"), *pcrs = NULL;

        load("tpm-quote/gtt-cos85-n9009-akpub.bin", &t->ak_public);
        load("tpm-quote/gtt-cos85-n9009-sha256.attest", &t->attest);
        load("tpm-quote/gtt-cos85-n9009-sha256.sig", &t->signature);
        load("tpm-quote/gtt-cos85-n9009-eventlog.bin", &t->eventlog);
        for (size_t i = 0; i < json_object_array_length(quotes); i++) {
                json_object *q = json_object_array_get_idx(quotes, i);

                if (strcmp(json_object_get_string(member(q, "bank")), "sha256") == 0)
                        pcrs = member(q, "pcrs");
        }
        assert_non_null(pcrs);
        for (unsigned i = 0; i < 24; i++) {
                _cleanup_free_ uint8_t *v = NULL;
                char name[4];
                size_t n;

                snprintf(name, sizeof(name), "%u", i);
                assert_int_equal(hex_decode(json_object_get_string(member(pcrs, name)), &v, &n), 0);
                assert_int_equal(tpm_pcr_values_set(&t->pcrs, TPM_ALG_SHA256, i, v, n), 0);
        }
}

static void tpm_clear(KbsTpmEvidence *t) {
        blob_free(&t->attest);
        blob_free(&t->signature);
        blob_free(&t->ak_public);
        blob_free(&t->eventlog);
}

/* The TPM part verifies with the AK as it arrives. */
static void verify_tpm(const KbsTpmEvidence *t, const uint8_t *nonce, size_t nonce_size) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
        TpmQuoteVerdict v = {};
        TpmSignature sig;

        assert_int_equal(tpm_public_key_load(t->ak_public.data, t->ak_public.size, &ak, NULL, NULL,
                                             NULL, NULL),
                         0);
        assert_int_equal(
                tpm_attest_signature_parse(t->signature.data, t->signature.size, &sig, NULL), 0);
        if (tpm_quote_verify(t->attest.data, t->attest.size, &sig, ak, nonce, nonce_size, &t->pcrs,
                             &v) != 0)
                fail_msg("%s: %s", v.reason, v.detail);
}

/* TDX, and the TPM as its additional evidence. */
static void test_tdx_round_trip(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL, *plain = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL, *tpm = NULL, *map = NULL;
        _cleanup_free_ char *add = NULL;
        (void)state;

        assert_int_equal(kbs_evidence_new(KBS_TEE_TDX, &e), 0);
        load("tdx/trustee-quote-v4.dat", &e->report);
        load("tdx/trustee-quote-v4-ccel.bin", &e->ccel);
        gtt_tpm(&e->tpm);
        e->has_tpm = true;

        back = round_trip(e, &add);
        assert_blob(&back->report, &e->report);
        assert_blob(&back->ccel, &e->ccel);
        assert_true(back->has_tpm);
        assert_true(back->tpm_in_additional);
        assert_tpm_equal(&back->tpm, &e->tpm);
        verify_tpm(&back->tpm, NULL, 0);

        /* The additional string is {"tpm": …}, in Trustee's shape. */
        map = json_tokener_parse(add);
        assert_non_null(map);
        assert_int_equal(json_object_object_length(map), 1);
        tpm = json_object_get(member(map, "tpm"));
        assert_true(json_object_is_type(member(tpm, "ak_public"), json_type_string));
        assert_int_equal(json_object_array_length(member(member(tpm, "tpm_quote"), "pcrs")), 24);
        assert_true(json_object_is_type(member(tpm, "ak_tpmt_public"), json_type_string));
        assert_true(json_object_is_type(member(tpm, "tpm_eventlog"), json_type_string));

        /* Without CCEL and TPM: "cc_eventlog": null, no additional. */
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), 0);
        blob_free(&e->ccel);
        tpm_clear(&e->tpm);
        e->tpm.pcrs = (TpmPcrValues){};
        e->has_tpm = false;
        plain = round_trip(e, NULL);
        assert_null(plain->ccel.data);
        assert_false(plain->has_tpm);
        json_object_put(j);
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), 0);
        assert_true(json_object_object_get_ex(j, "cc_eventlog", NULL));
        assert_null(member(j, "cc_eventlog"));
}

static void test_tdx_malformed(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *ok = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL;
        KbsProtoError err = {};
        (void)state;

        j = json_tokener_parse("{\"quote\":\"QUJD\",\"cc_eventlog\":\"\"}");
        assert_non_null(j);
        /* An empty cc_eventlog is none, as for Trustee. */
        assert_int_equal(kbs_evidence_from_json(KBS_TEE_TDX, j, "", &ok, &err), 0);
        assert_int_equal(ok->report.size, 3);
        assert_null(ok->ccel.data);

#define BAD_TDX(text, member)                                                                      \
        do {                                                                                       \
                _cleanup_(json_object_putp) json_object *b = json_tokener_parse(text);             \
                assert_non_null(b);                                                                \
                expect_bad(KBS_TEE_TDX, b, NULL, -EBADMSG, member);                                \
        } while (0)
        BAD_TDX("{}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":null}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":[65,66,67]}", "primary_evidence.quote");
        /* Padding missing, wrong, too much; the URL-safe alphabet; set
         * bits after the last byte; a NUL inside. */
        BAD_TDX("{\"quote\":\"QUI\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"QUI==\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"Q===\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"-_-_\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"QUJ=\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"QU\\u0000D\"}", "primary_evidence.quote");
        BAD_TDX("{\"quote\":\"QUJD\",\"cc_eventlog\":5}", "primary_evidence.cc_eventlog");
#undef BAD_TDX
        {
                /* A quote over 64 KiB. */
                _cleanup_free_ uint8_t *big = calloc(1, KBS_EVIDENCE_MAX_BLOB + 1);
                _cleanup_(json_object_putp) json_object *b = NULL;

                assert_non_null(big);
                assert_int_equal(kbs_evidence_new(KBS_TEE_TDX, &e), 0);
                e->report.data = TAKE_PTR(big);
                e->report.size = KBS_EVIDENCE_MAX_BLOB + 1;
                assert_int_equal(kbs_evidence_primary_to_json(e, &b), 0);
                expect_bad(KBS_TEE_TDX, b, NULL, -EBADMSG, "primary_evidence.quote");
        }
}

/* Azure. */

typedef struct AzPeer {
        const char *file;
        KbsTee tee;
        uint32_t version;
        const char *nonce_hex; /* the quote's extraData */
        const char *pcr0;
        const char *hcl_bin, *td_quote_bin, *snp_bin, *vcek_pem;
} AzPeer;

/* Nonces and PCR 0 as Trustee's tests assert them (PROVENANCE.md). */
static const AzPeer az_peers[] = {
        {"azure/azsnp-evidence-v0.json", KBS_TEE_AZ_SNP_VTPM, 0, "6368616c6c656e6765",
         "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced"},
        {"azure/azsnp-evidence-v1.json", KBS_TEE_AZ_SNP_VTPM, 1, "6368616c6c656e6765",
         "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced"},
        {"azure/azsnp-evidence-genoa.json", KBS_TEE_AZ_SNP_VTPM, 0,
         "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270"
         "ea35d950f",
         "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338", NULL, NULL,
         "snp/az-genoa-report.bin", "azure/azsnp-vcek-genoa.pem"},
        {"azure/aztdx-evidence-v0.json", KBS_TEE_AZ_TDX_VTPM, 0, "6368616c6c656e6765",
         "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273",
         "azure/aztdx-hcl-report.bin", "azure/aztdx-td-quote.bin"},
        {"azure/aztdx-evidence-v1.json", KBS_TEE_AZ_TDX_VTPM, 1, "6368616c6c656e6765",
         "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273",
         "azure/aztdx-hcl-report.bin", "azure/aztdx-td-quote.bin"},
};

static void test_az_peers(void **state) {
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(az_peers); i++) {
                const AzPeer *p = &az_peers[i];
                _cleanup_(json_object_putp) json_object *j = load_json(p->file), *again = NULL;
                _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
                _cleanup_(az_hcl_freep) AzHclReport *hcl = NULL;
                _cleanup_free_ uint8_t *nonce = NULL;
                _cleanup_free_ char *pcr0 = NULL, *add = NULL;
                const TpmPcrBankValues *bank;
                KbsProtoError err = {};
                size_t nonce_size;
                char buf[300];

                if (kbs_evidence_from_json(p->tee, j, "", &e, &err) != 0)
                        fail_msg("%s: %s", p->file, kbs_proto_error_string(&err, buf, sizeof(buf)));
                assert_int_equal(e->az_version, p->version);
                assert_true(e->has_tpm);
                assert_false(e->tpm_in_additional);
                assert_null(e->tpm.ak_public.data);

                /* The bytes are the ones next to the JSON. */
                if (p->hcl_bin) {
                        KbsBlob b = {};

                        load(p->hcl_bin, &b);
                        assert_blob(&e->report, &b);
                        blob_free(&b);
                }
                if (p->td_quote_bin) {
                        KbsBlob b = {};

                        load(p->td_quote_bin, &b);
                        assert_blob(&e->td_quote, &b);
                        blob_free(&b);
                }
                if (p->snp_bin) {
                        KbsBlob b = {};

                        load(p->snp_bin, &b);
                        assert_true(e->report.size >= 0x20 + SNP_REPORT_SIZE);
                        assert_memory_equal(e->report.data + 0x20, b.data, SNP_REPORT_SIZE);
                        blob_free(&b);
                }
                if (p->vcek_pem) {
                        KbsBlob b = {};

                        load(p->vcek_pem, &b);
                        assert_int_equal(strlen(e->vcek_pem), b.size);
                        assert_memory_equal(e->vcek_pem, b.data, b.size);
                        blob_free(&b);
                }
                if (p->tee == KBS_TEE_AZ_SNP_VTPM)
                        assert_non_null(e->vcek_pem);

                /* The quote, its TPMT_SIGNATURE made from Azure's bare
                 * signature and the PCRs verify with the AK of the HCL
                 * report, with the nonce Trustee's test expects. */
                bank = tpm_pcr_values_bank(&e->tpm.pcrs, TPM_ALG_SHA256);
                assert_non_null(bank);
                assert_int_equal(bank->present, 0xffffff);
                pcr0 = hex_encode(bank->value[0], 32);
                assert_string_equal(pcr0, p->pcr0);
                assert_int_equal(az_hcl_parse(e->report.data, e->report.size, &hcl, NULL), 0);
                assert_non_null(hcl->ak);
                {
                        KbsTpmEvidence t = e->tpm;
                        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
                        char *mem;
                        long n;

                        /* The AK as PEM, through tpm_public_key_load(). */
                        assert_non_null(bio);
                        assert_int_equal(PEM_write_bio_PUBKEY(bio, hcl->ak), 1);
                        n = BIO_get_mem_data(bio, &mem);
                        t.ak_public = (KbsBlob){.data = (uint8_t *)mem, .size = (size_t)n};
                        assert_int_equal(hex_decode(p->nonce_hex, &nonce, &nonce_size), 0);
                        verify_tpm(&t, nonce, nonce_size);
                }

                /* Written back in the same version, the JSON is Trustee's. */
                assert_int_equal(kbs_evidence_primary_to_json(e, &again), 0);
                assert_true(json_object_equal(again, j));
                back = round_trip(e, &add);
                assert_string_equal(add, "");
                assert_int_equal(back->az_version, e->az_version);
                assert_blob(&back->report, &e->report);
                if (e->td_quote.data)
                        assert_blob(&back->td_quote, &e->td_quote);
                if (e->vcek_pem)
                        assert_string_equal(back->vcek_pem, e->vcek_pem);
                assert_tpm_equal(&back->tpm, &e->tpm);
        }
}

/* Version 2 (what Trustee's agent writes now) with an event log, from the
 * v1 sample's bytes. */
static void test_az_v2_eventlog_round_trip(void **state) {
        _cleanup_(json_object_putp) json_object *j = load_json("azure/aztdx-evidence-v1.json");
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
        KbsProtoError err = {};
        (void)state;

        assert_int_equal(kbs_evidence_from_json(KBS_TEE_AZ_TDX_VTPM, j, NULL, &e, &err), 0);
        e->az_version = 2;
        load("tpm-quote/gtt-cos85-n9009-eventlog.bin", &e->tpm.eventlog);
        assert_int_equal(kbs_evidence_primary_to_json(e, &out), 0);
        assert_int_equal(json_object_get_int(member(out, "version")), 2);
        assert_true(json_object_is_type(member(out, "tpm_eventlog"), json_type_string));
        back = round_trip(e, NULL);
        assert_int_equal(back->az_version, 2);
        assert_tpm_equal(&back->tpm, &e->tpm);

        /* A signature that is not RSASSA-SHA256 has no Azure form. */
        e->tpm.signature.data[3] = 0x0c;
        json_object_put(TAKE_PTR(out));
        assert_int_equal(kbs_evidence_primary_to_json(e, &out), -EINVAL);
        /* Nor has an unknown version. */
        e->tpm.signature.data[3] = 0x0b;
        e->az_version = 3;
        assert_int_equal(kbs_evidence_primary_to_json(e, &out), -EINVAL);
}

static void test_az_malformed(void **state) {
        _cleanup_(json_object_putp) json_object *v1 = load_json("azure/azsnp-evidence-v1.json");
        _cleanup_(json_object_putp) json_object *v0 = load_json("azure/aztdx-evidence-v0.json");
        (void)state;

#define MUTATE(src, tee, code, member_path)                                                        \
        do {                                                                                       \
                _cleanup_(json_object_putp) json_object *m = copy(src);                            \
                code;                                                                              \
                expect_bad(tee, m, NULL, -EBADMSG, member_path);                                   \
        } while (0)
        json_object *q;

        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, set_member(m, "version", json_object_new_int(3)),
               "primary_evidence.version");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, set_member(m, "version", json_object_new_string("1")),
               "primary_evidence.version");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, json_object_object_del(m, "tpm_quote"),
               "primary_evidence.tpm_quote");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM,
               (q = member(m, "tpm_quote"),
                set_member(q, "signature", json_object_new_string("abc"))),
               "primary_evidence.tpm_quote.signature");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM,
               (q = member(m, "tpm_quote"),
                set_member(q, "message", json_object_new_string("0x1234"))),
               "primary_evidence.tpm_quote.message");
        /* A message that is hex but no TPMS_ATTEST. */
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM,
               (q = member(m, "tpm_quote"),
                set_member(q, "message", json_object_new_string("ff544347"))),
               "primary_evidence.tpm_quote.message");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM,
               json_object_array_del_idx(member(member(m, "tpm_quote"), "pcrs"), 23, 1),
               "primary_evidence.tpm_quote.pcrs");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM,
               json_object_array_put_idx(member(member(m, "tpm_quote"), "pcrs"), 5,
                                         json_object_new_string("00")),
               "primary_evidence.tpm_quote.pcrs[5]");
        /* The standard alphabet where serde_with wants the URL-safe one. */
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, set_member(m, "hcl_report", json_object_new_string("ab+/")),
               "primary_evidence.hcl_report");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, set_member(m, "vcek", json_object_new_string("AAAA")),
               "primary_evidence.vcek");
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, json_object_object_del(m, "vcek"), "primary_evidence.vcek");
        /* v0: byte arrays. */
        MUTATE(v0, KBS_TEE_AZ_TDX_VTPM,
               json_object_array_put_idx(member(m, "td_quote"), 10, json_object_new_int(300)),
               "primary_evidence.td_quote");
        MUTATE(v0, KBS_TEE_AZ_TDX_VTPM,
               json_object_array_del_idx(
                       json_object_array_get_idx(member(member(m, "tpm_quote"), "pcrs"), 2), 0, 1),
               "primary_evidence.tpm_quote.pcrs[2]");
        MUTATE(v0, KBS_TEE_AZ_TDX_VTPM, set_member(m, "hcl_report", json_object_new_array()),
               "primary_evidence.hcl_report");
        MUTATE(v0, KBS_TEE_AZ_TDX_VTPM, json_object_object_del(m, "td_quote"),
               "primary_evidence.td_quote");
        /* The v1 members in a document without a version are not v0. */
        MUTATE(v1, KBS_TEE_AZ_SNP_VTPM, json_object_object_del(m, "version"),
               "primary_evidence.quote");
#undef MUTATE
}

/* Trustee's "tpm" evidence. */

static void test_tpm_trustee_sample(void **state) {
        _cleanup_(json_object_putp) json_object *j =
                load_json("tpm-quote/trustee-tpm-evidence.json");
        _cleanup_(json_object_putp) json_object *again = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
        _cleanup_free_ char *add = NULL;
        KbsProtoError err = {};
        TpmKeyFormat format;
        EVP_PKEY *key = NULL;
        (void)state;

        assert_int_equal(kbs_evidence_from_json(KBS_TEE_TPM, j, "", &e, &err), 0);
        assert_true(e->has_tpm);
        assert_false(e->tpm_in_additional);
        assert_null(e->report.data);
        assert_null(e->tpm.eventlog.data);
        /* No TPMT_PUBLIC in Trustee's shape: the DER SubjectPublicKeyInfo. */
        assert_int_equal(tpm_public_key_load(e->tpm.ak_public.data, e->tpm.ak_public.size, &key,
                                             &format, NULL, NULL, NULL),
                         0);
        assert_int_equal(format, TPM_KEY_FORMAT_DER);
        EVP_PKEY_free(key);
        verify_tpm(&e->tpm, NULL, 0);

        assert_int_equal(kbs_evidence_primary_to_json(e, &again), 0);
        assert_true(json_object_equal(again, j));
        back = round_trip(e, &add);
        assert_string_equal(add, "");
        assert_tpm_equal(&back->tpm, &e->tpm);
}

static void test_tpm_round_trip(void **state) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *back = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL, *other = NULL;
        json_object *spki;
        (void)state;

        assert_int_equal(kbs_evidence_new(KBS_TEE_TPM, &e), 0);
        gtt_tpm(&e->tpm);
        e->has_tpm = true;
        back = round_trip(e, NULL);
        assert_tpm_equal(&back->tpm, &e->tpm);
        verify_tpm(&back->tpm, NULL, 0);

        /* ak_tpmt_public must hold the key of ak_public. */
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), 0);
        other = load_json("tpm-quote/trustee-tpm-evidence.json");
        spki = json_object_get(member(other, "ak_public"));
        set_member(j, "ak_public", spki);
        expect_bad(KBS_TEE_TPM, j, NULL, -EBADMSG, "primary_evidence.ak_tpmt_public");

        /* The agent cannot send what Trustee could not read. */
        e->tpm.pcrs.banks[0].present &= ~(1u << 23);
        json_object_put(TAKE_PTR(j));
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
        e->tpm.pcrs.banks[0].present |= 1u << 23;
        blob_free(&e->tpm.ak_public);
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
}

static void test_tpm_malformed(void **state) {
        _cleanup_(json_object_putp) json_object *s =
                load_json("tpm-quote/trustee-tpm-evidence.json");
        (void)state;

#define MUTATE(code, member_path)                                                                  \
        do {                                                                                       \
                _cleanup_(json_object_putp) json_object *m = copy(s);                              \
                json_object *q = member(m, "tpm_quote");                                           \
                (void)q;                                                                           \
                code;                                                                              \
                expect_bad(KBS_TEE_TPM, m, NULL, -EBADMSG, member_path);                           \
        } while (0)
        MUTATE(json_object_object_del(m, "ak_public"), "primary_evidence.ak_public");
        MUTATE(set_member(m, "ak_public", json_object_new_string("MIIB")),
               "primary_evidence.ak_public");
        MUTATE(set_member(m, "tpm_quote", json_object_new_string("x")),
               "primary_evidence.tpm_quote");
        MUTATE(json_object_object_del(q, "message"), "primary_evidence.tpm_quote.message");
        MUTATE(set_member(q, "signature", json_object_new_string("AAAA")),
               "primary_evidence.tpm_quote.signature");
        MUTATE(json_object_array_add(member(q, "pcrs"), json_object_new_string("00")),
               "primary_evidence.tpm_quote.pcrs");
        MUTATE(json_object_array_put_idx(member(q, "pcrs"), 8, json_object_new_int(0)),
               "primary_evidence.tpm_quote.pcrs[8]");
        MUTATE(set_member(m, "tpm_eventlog", json_object_new_string("A")),
               "primary_evidence.tpm_eventlog");
#undef MUTATE
}

/* The additional_evidence string. */
static void test_additional(void **state) {
        _cleanup_(json_object_putp) json_object *snp = load_json("kbs/trustee-snp-evidence.json");
        _cleanup_(json_object_putp) json_object *az = load_json("azure/azsnp-evidence-v1.json");
        _cleanup_(json_object_putp) json_object *tpm =
                load_json("tpm-quote/trustee-tpm-evidence.json");
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL, *none = NULL, *empty = NULL;
        _cleanup_free_ char *add = NULL, *back = NULL;
        KbsProtoError err = {};
        char buf[300];
        int r;
        (void)state;

        /* {"tpm": Trustee's sample} next to the snp sample. */
        assert_true(asprintf(&add, "{\"tpm\":%s}",
                             json_object_to_json_string_ext(tpm, JSON_C_TO_STRING_PLAIN)) > 0);
        r = kbs_evidence_from_json(KBS_TEE_SNP, snp, add, &e, &err);
        if (r < 0)
                fail_msg("%s", kbs_proto_error_string(&err, buf, sizeof(buf)));
        assert_true(e->has_tpm);
        assert_true(e->tpm_in_additional);
        verify_tpm(&e->tpm, NULL, 0);
        /* Written again, the string parses to the same map. */
        assert_int_equal(kbs_evidence_additional_to_string(e, &back), 0);
        {
                _cleanup_(json_object_putp) json_object *a = json_tokener_parse(add);
                _cleanup_(json_object_putp) json_object *b = json_tokener_parse(back);

                assert_true(json_object_equal(a, b));
        }

        /* None: NULL, "", {}. */
        assert_int_equal(kbs_evidence_from_json(KBS_TEE_SNP, snp, NULL, &none, &err), 0);
        assert_false(none->has_tpm);
        assert_int_equal(kbs_evidence_from_json(KBS_TEE_SNP, snp, "{}", &empty, &err), 0);
        assert_false(empty->has_tpm);

        /* Not JSON, not a map, a name that is no TEE (Trustee's HashMap<Tee,
         * …> refuses it, so do we), a TEE we do not appraise, a second TPM. */
        expect_bad(KBS_TEE_SNP, snp, "tpm", -EBADMSG, "additional_evidence");
        expect_bad(KBS_TEE_SNP, snp, "{\"tpm\":", -EBADMSG, "additional_evidence");
        expect_bad(KBS_TEE_SNP, snp, "[]", -EBADMSG, "additional_evidence");
        expect_bad(KBS_TEE_SNP, snp, "{\"gpu\":{}}", -EBADMSG, "additional_evidence");
        expect_bad(KBS_TEE_SNP, snp, "{\"sev\":{}}", -EBADMSG, "additional_evidence");
        expect_bad(KBS_TEE_SNP, snp, "{\"nvidia\":{}}", -EOPNOTSUPP, "additional_evidence.nvidia");
        expect_bad(KBS_TEE_SNP, snp, "{\"tpm\":{}}", -EBADMSG, "additional_evidence.tpm.tpm_quote");
        expect_bad(KBS_TEE_SNP, snp, "{\"tpm\":[]}", -EBADMSG, "additional_evidence.tpm");
        expect_bad(KBS_TEE_AZ_SNP_VTPM, az, add, -EOPNOTSUPP, "additional_evidence.tpm");
        expect_bad(KBS_TEE_TPM, tpm, add, -EOPNOTSUPP, "additional_evidence.tpm");
}

static void test_tees(void **state) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        KbsEvidence *e = NULL;
        _cleanup_free_ char *s = NULL;
        json_object *j = NULL;
        (void)state;

        expect_bad(KBS_TEE_SGX, o, NULL, -EOPNOTSUPP, "tee");
        expect_bad(KBS_TEE_SEV, o, NULL, -EOPNOTSUPP, "tee");
        expect_bad(_KBS_TEE_INVALID, o, NULL, -EINVAL, "tee");
        assert_int_equal(kbs_evidence_new(KBS_TEE_NVIDIA, &e), -EOPNOTSUPP);
        assert_null(e);
        assert_int_equal(kbs_evidence_new(_KBS_TEE_MAX, &e), -EINVAL);

        /* Nothing collected: nothing to write, and no additional evidence. */
        assert_int_equal(kbs_evidence_new(KBS_TEE_SNP, &e), 0);
        assert_int_equal(e->az_version, 2);
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
        assert_int_equal(kbs_evidence_additional_to_string(e, &s), 0);
        assert_string_equal(s, "");
        e->tee = KBS_TEE_TPM;
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
        e->tee = KBS_TEE_AZ_SNP_VTPM;
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
        e->tee = KBS_TEE_TDX;
        assert_int_equal(kbs_evidence_primary_to_json(e, &j), -EINVAL);
        assert_null(j);
        kbs_evidence_free(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_snp_trustee_sample),
                cmocka_unit_test(test_snp_peer_round_trip),
                cmocka_unit_test(test_snp_refuses_what_would_change),
                cmocka_unit_test(test_snp_sim_round_trip),
                cmocka_unit_test(test_snp_sim_v2_masked_turin),
                cmocka_unit_test(test_snp_sim_platform_verifies),
                cmocka_unit_test(test_snp_sim_cli),
                cmocka_unit_test(test_snp_cert_chain_round_trip),
                cmocka_unit_test(test_snp_malformed),
                cmocka_unit_test(test_tdx_round_trip),
                cmocka_unit_test(test_tdx_malformed),
                cmocka_unit_test(test_az_peers),
                cmocka_unit_test(test_az_v2_eventlog_round_trip),
                cmocka_unit_test(test_az_malformed),
                cmocka_unit_test(test_tpm_trustee_sample),
                cmocka_unit_test(test_tpm_round_trip),
                cmocka_unit_test(test_tpm_malformed),
                cmocka_unit_test(test_additional),
                cmocka_unit_test(test_tees),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
