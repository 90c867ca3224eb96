/* The simulated node platform of the boot storm: everything a node's
 * evidence needs that does not depend on the session (the simulated VCEK
 * and its certificate table, a software AK, a real event log and the PCR
 * values it replays to), and the per-session evidence built from it the
 * way the agent builds it. Shared read-only by every client thread. */

#include "boot-storm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/kbs/kbs-binding.h"
#include "confnode/kbs/kbs-evidence.h"
#include "snp-sim.h"

#define STORM_EVENTLOG_MAX (16u * 1024 * 1024)

static void storm_closedirp(DIR **d) {
        if (*d)
                (void)closedir(*d);
        *d = NULL;
}

/* json_object_array_add() that takes v in every case: NULL (a failed
 * constructor) or a failed add is -ENOMEM, and v is released. */
static int storm_array_add(json_object *a, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

void storm_platform_free(StormPlatform *p) {
        if (!p)
                return;
        sim_ca_free(p->ca);
        free(p->cert_table);
        EVP_PKEY_free(p->ak);
        free(p->eventlog_path);
        free(p->eventlog);
        free(p);
}

/* The AK as a TPM would describe it: an ECC P-256 restricted signing key
 * with the ECDSA-SHA256 scheme, and its name (nameAlg || H(TPMT_PUBLIC)),
 * which a quote carries as qualifiedSigner. */
static int storm_platform_make_ak(StormPlatform *p) {
        _cleanup_(BN_freep) BIGNUM *x = NULL, *y = NULL;
        TPMT_PUBLIC pub = {
                .type = TPM2_ALG_ECC,
                .nameAlg = TPM2_ALG_SHA256,
                .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
                .parameters.eccDetail =
                        {
                                .symmetric.algorithm = TPM2_ALG_NULL,
                                .scheme = {.scheme = TPM2_ALG_ECDSA,
                                           .details.ecdsa.hashAlg = TPM2_ALG_SHA256},
                                .curveID = TPM2_ECC_NIST_P256,
                                .kdf.scheme = TPM2_ALG_NULL,
                        },
        };
        size_t offset = 0;
        unsigned n;

        p->ak = EVP_EC_gen("P-256");
        if (!p->ak || EVP_PKEY_get_bn_param(p->ak, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
            EVP_PKEY_get_bn_param(p->ak, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
            BN_bn2binpad(x, pub.unique.ecc.x.buffer, 32) != 32 ||
            BN_bn2binpad(y, pub.unique.ecc.y.buffer, 32) != 32) {
                ERR_clear_error();
                fprintf(stderr, "boot-storm: cannot make the AK (P-256)\n");
                return -EIO;
        }
        pub.unique.ecc.x.size = pub.unique.ecc.y.size = 32;
        if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub, p->ak_public, sizeof(p->ak_public), &offset) !=
            TSS2_RC_SUCCESS) {
                fprintf(stderr, "boot-storm: cannot marshal the AK's TPMT_PUBLIC\n");
                return -EIO;
        }
        p->ak_public_size = offset;
        p->ak_name[0] = TPM2_ALG_SHA256 >> 8;
        p->ak_name[1] = TPM2_ALG_SHA256 & 0xff;
        if (EVP_Digest(p->ak_public, p->ak_public_size, p->ak_name + 2, &n, EVP_sha256(), NULL) !=
            1)
                return -EIO;
        return 0;
}

/* Parses a candidate log and replays its SHA-256 bank; 0 when it is a TCG
 * log we can quote. */
static int storm_platform_try_log(const char *path, uint8_t **ret_data, size_t *ret_size,
                                  size_t *ret_events, EventLogBankValues *ret_values) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err = {};
        size_t size;
        int r;

        r = read_full_file(path, STORM_EVENTLOG_MAX, &data, &size);
        if (r < 0)
                return r;
        r = eventlog_parse(data, size, EVENTLOG_TCG, &err, &log);
        if (r < 0)
                return r;
        if (!log->crypto_agile)
                return -ENOENT;
        r = eventlog_replay(log, TPM2_ALG_SHA256, ret_values);
        if (r < 0)
                return r;
        *ret_events = log->n_events;
        *ret_data = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

/* The largest *.bin in dir that is a crypto-agile TCG log with a SHA-256
 * bank replaying cleanly (the CCEL and the other binaries there are not). */
static int storm_platform_pick_log(const char *dir, char **ret) {
        _cleanup_(storm_closedirp) DIR *d = opendir(dir);
        _cleanup_free_ char *best = NULL;
        size_t best_size = 0;
        struct dirent *de;

        if (!d) {
                fprintf(stderr, "boot-storm: cannot open '%s': %s\n", dir, strerror(errno));
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ uint8_t *data = NULL;
                _cleanup_free_ char *path = NULL;
                EventLogBankValues v;
                size_t n = strlen(de->d_name), size, events;

                if (n < 5 || strcmp(de->d_name + n - 4, ".bin") != 0)
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (storm_platform_try_log(path, &data, &size, &events, &v) < 0)
                        continue;
                if (size > best_size) {
                        free(best);
                        best = TAKE_PTR(path);
                        best_size = size;
                }
        }
        if (!best) {
                fprintf(stderr, "boot-storm: no TCG event log with a SHA-256 bank in '%s'\n", dir);
                return -ENOENT;
        }
        *ret = TAKE_PTR(best);
        return 0;
}

static int storm_platform_load_log(StormPlatform *p, const char *path, const char *peer_dir) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        EventLogBankValues v;
        unsigned n;
        int r;

        if (path)
                p->eventlog_path = strdup(path);
        else {
                _cleanup_free_ char *dir = NULL;

                if (asprintf(&dir, "%s/eventlog", peer_dir) < 0)
                        return -ENOMEM;
                r = storm_platform_pick_log(dir, &p->eventlog_path);
                if (r < 0)
                        return r;
        }
        if (!p->eventlog_path || !md)
                return -ENOMEM;
        r = storm_platform_try_log(p->eventlog_path, &p->eventlog, &p->eventlog_size,
                                   &p->eventlog_events, &v);
        if (r < 0) {
                fprintf(stderr,
                        "boot-storm: '%s' is not a TCG event log whose SHA-256 bank replays: "
                        "%s\n",
                        p->eventlog_path, strerror(-r));
                return r;
        }
        p->eventlog_used = v.used;

        /* The quote covers the whole SHA-256 bank, as Trustee's attester
         * quotes it: PCRs the log never extends hold their reset values,
         * which is what the replay gives for them too. */
        p->selection = (PcrSelection){
                .banks = {{.alg = TPM2_ALG_SHA256, .mask = (1u << PCR_MAX) - 1}},
                .n_banks = 1,
        };
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
                return -EIO;
        for (unsigned i = 0; i < PCR_MAX; i++) {
                r = tpm_pcr_values_set(&p->pcrs, TPM2_ALG_SHA256, i, v.value[i], 32);
                if (r < 0)
                        return r;
                if (EVP_DigestUpdate(md, v.value[i], 32) != 1)
                        return -EIO;
        }
        if (EVP_DigestFinal_ex(md, p->pcr_digest, &n) != 1)
                return -EIO;
        return 0;
}

int storm_platform_load(const char *sim_dir, const char *eventlog_path, const char *peer_dir,
                        StormPlatform **ret) {
        _cleanup_(storm_platform_freep) StormPlatform *p = calloc(1, sizeof(*p));
        char err[512];
        int r;

        if (!p)
                return -ENOMEM;
        r = sim_config_load(sim_dir, NULL, NULL, 0, &p->config, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "boot-storm: simulator configuration in '%s': %s\n", sim_dir,
                        r == -EINVAL ? err : strerror(-r));
                return r;
        }
        r = sim_ca_load(sim_dir, &p->ca);
        if (r < 0) {
                fprintf(stderr, "boot-storm: cannot load the simulated hierarchy in '%s': %s\n",
                        sim_dir, strerror(-r));
                return r;
        }
        r = snp_sim_cert_table(p->ca, &p->cert_table, &p->cert_table_size);
        if (r < 0) {
                fprintf(stderr, "boot-storm: cannot make the certificate table: %s\n",
                        strerror(-r));
                return r;
        }
        r = storm_platform_make_ak(p);
        if (r < 0)
                return r;
        r = storm_platform_load_log(p, eventlog_path, peer_dir);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int storm_blob_set(KbsBlob *b, const void *data, size_t size) {
        b->data = malloc(size ?: 1);
        if (!b->data)
                return -ENOMEM;
        memcpy(b->data, data, size);
        b->size = size;
        return 0;
}

/* TPM2_Quote as the vTPM would answer it: a TPMS_ATTEST of type quote over
 * the platform's PCRs with qualifying data, signed by the AK with
 * ECDSA-SHA256 into a TPMT_SIGNATURE. */
static int storm_platform_quote(const StormPlatform *p, const uint8_t *qualifying_data,
                                size_t qualifying_size, KbsTpmEvidence *ret) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = NULL;
        struct timespec ts;
        TPMS_ATTEST a = {
                .magic = TPM2_GENERATED_VALUE,
                .type = TPM2_ST_ATTEST_QUOTE,
                .firmwareVersion = UINT64_C(0x2000100000000),
        };
        TPMT_SIGNATURE sig = {.sigAlg = TPM2_ALG_ECDSA};
        uint8_t attest[sizeof(TPMS_ATTEST)], sigbuf[sizeof(TPMT_SIGNATURE)], der[128];
        size_t attest_size = 0, sig_size = 0, der_size = sizeof(der);
        const uint8_t *q = der;
        const BIGNUM *r_bn, *s_bn;
        int r;

        if (!md)
                return -ENOMEM;
        if (qualifying_size > sizeof(a.extraData.buffer))
                return -EINVAL;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        a.qualifiedSigner.size = sizeof(p->ak_name);
        memcpy(a.qualifiedSigner.name, p->ak_name, sizeof(p->ak_name));
        a.extraData.size = (UINT16)qualifying_size;
        memcpy(a.extraData.buffer, qualifying_data, qualifying_size);
        a.clockInfo = (TPMS_CLOCK_INFO){
                .clock = (UINT64)ts.tv_sec * 1000 + (UINT64)ts.tv_nsec / 1000000,
                .resetCount = 1,
                .safe = TPM2_YES,
        };
        a.attested.quote.pcrSelect.count = 1;
        a.attested.quote.pcrSelect.pcrSelections[0] = (TPMS_PCR_SELECTION){
                .hash = TPM2_ALG_SHA256,
                .sizeofSelect = 3,
                .pcrSelect = {0xff, 0xff, 0xff},
        };
        a.attested.quote.pcrDigest.size = sizeof(p->pcr_digest);
        memcpy(a.attested.quote.pcrDigest.buffer, p->pcr_digest, sizeof(p->pcr_digest));
        if (Tss2_MU_TPMS_ATTEST_Marshal(&a, attest, sizeof(attest), &attest_size) !=
            TSS2_RC_SUCCESS)
                return -EIO;

        if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, p->ak, NULL) != 1 ||
            EVP_DigestSign(md, der, &der_size, attest, attest_size) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        es = d2i_ECDSA_SIG(NULL, &q, (long)der_size);
        if (!es)
                return -EIO;
        ECDSA_SIG_get0(es, &r_bn, &s_bn);
        sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
        sig.signature.ecdsa.signatureR.size = sig.signature.ecdsa.signatureS.size = 32;
        if (BN_bn2binpad(r_bn, sig.signature.ecdsa.signatureR.buffer, 32) != 32 ||
            BN_bn2binpad(s_bn, sig.signature.ecdsa.signatureS.buffer, 32) != 32)
                return -EIO;
        if (Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, sigbuf, sizeof(sigbuf), &sig_size) !=
            TSS2_RC_SUCCESS)
                return -EIO;

        if ((r = storm_blob_set(&ret->attest, attest, attest_size)) < 0 ||
            (r = storm_blob_set(&ret->signature, sigbuf, sig_size)) < 0 ||
            (r = storm_blob_set(&ret->ak_public, p->ak_public, p->ak_public_size)) < 0 ||
            (r = storm_blob_set(&ret->eventlog, p->eventlog, p->eventlog_size)) < 0)
                return r;
        ret->pcrs = p->pcrs;
        return 0;
}

int storm_platform_attestation(const StormPlatform *p, KbsHashAlg alg, const char *nonce,
                               json_object *tee_pubkey, char **ret, size_t *ret_size) {
        _cleanup_(kbs_evidence_freep) KbsEvidence *e = NULL;
        _cleanup_(json_object_putp) json_object *primary = NULL;
        _cleanup_free_ char *additional = NULL, *body = NULL;
        uint8_t digest[KBS_BINDING_MAX_DIGEST], qualifying[KBS_BINDING_MAX_DIGEST];
        uint8_t report_data[KBS_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
        size_t digest_size, qualifying_size;
        int r;

        r = kbs_evidence_new(KBS_TEE_SNP, &e);
        if (r < 0)
                return r;

        /* Stage one: the vTPM quote binds {nonce, tee-pubkey}, cut to the 32
         * bytes Trustee's tpm evidence carries. */
        r = kbs_binding_digest(alg, nonce, tee_pubkey, NULL, digest, &digest_size);
        if (r < 0)
                return r;
        r = kbs_binding_tpm_qualifying_data(KBS_TEE_TPM, digest, digest_size, qualifying,
                                            &qualifying_size);
        if (r < 0)
                return r;
        r = storm_platform_quote(p, qualifying, qualifying_size, &e->tpm);
        if (r < 0)
                return r;
        e->has_tpm = true;
        e->tpm_in_additional = true;
        r = kbs_evidence_additional_to_string(e, &additional);
        if (r < 0)
                return r;

        /* Stage two: the SNP report binds that string too, so the verified
         * report vouches for the AK inside it. */
        r = kbs_binding_report_data(alg, nonce, tee_pubkey, additional, report_data);
        if (r < 0)
                return r;
        r = snp_sim_report(&p->config.snp, p->ca->vcek_key, report_data, p->config.snp.vmpl,
                           report);
        if (r < 0)
                return r;
        if ((r = storm_blob_set(&e->report, report, sizeof(report))) < 0 ||
            (r = storm_blob_set(&e->cert_table, p->cert_table, p->cert_table_size)) < 0)
                return r;
        r = kbs_evidence_primary_to_json(e, &primary);
        if (r < 0)
                return r;
        r = kbs_attestation_build(nonce, tee_pubkey, primary, additional, NULL, NULL, &body);
        if (r < 0)
                return r;
        *ret_size = strlen(body);
        *ret = TAKE_PTR(body);
        return 0;
}

static json_object *storm_json_hex(const void *data, size_t size) {
        _cleanup_free_ char *h = hex_encode(data, size);

        return h ? json_object_new_string(h) : NULL;
}

static int storm_add_u(json_object *o, const char *key, unsigned v) {
        return json_add(o, key, json_object_new_int64(v));
}

static int storm_policy_snp(const StormPlatform *p, json_object **ret) {
        _cleanup_(json_object_putp) json_object *snp = json_object_new_object(),
                                                *tcb = json_object_new_object(),
                                                *vmpl = json_object_new_array(),
                                                *meas = json_object_new_array();
        const SimSnp *s = &p->config.snp;
        int r;

        if (!snp || !tcb || !vmpl || !meas)
                return -ENOMEM;
        if ((r = storm_add_u(tcb, "bootloader", s->tcb_bootloader)) < 0 ||
            (r = storm_add_u(tcb, "tee", s->tcb_tee)) < 0 ||
            (r = storm_add_u(tcb, "snp", s->tcb_snp)) < 0 ||
            (r = storm_add_u(tcb, "microcode", s->tcb_microcode)) < 0)
                return r;
        if (s->generation == SNP_GENERATION_TURIN && (r = storm_add_u(tcb, "fmc", s->tcb_fmc)) < 0)
                return r;
        if ((r = storm_array_add(vmpl, json_object_new_int64(s->vmpl))) < 0 ||
            (r = storm_array_add(meas, storm_json_hex(s->measurement, sizeof(s->measurement)))) < 0)
                return r;
        if ((r = json_add(snp, "min_tcb", TAKE_PTR(tcb))) < 0 ||
            (r = json_add(snp, "allow_debug", json_object_new_boolean(false))) < 0 ||
            (r = json_add(snp, "allow_migration_agent", json_object_new_boolean(false))) < 0 ||
            (r = json_add(snp, "vmpl", TAKE_PTR(vmpl))) < 0 ||
            (r = json_add(snp, "measurements", TAKE_PTR(meas))) < 0 ||
            (r = storm_add_u(snp, "min_guest_svn", s->guest_svn)) < 0)
                return r;
        *ret = TAKE_PTR(snp);
        return 0;
}

static int storm_policy_tpm(const StormPlatform *p, json_object **ret) {
        _cleanup_(json_object_putp) json_object *tpm = json_object_new_object(),
                                                *pcrs = json_object_new_object(),
                                                *bank = json_object_new_object();
        const TpmPcrBankValues *b = tpm_pcr_values_bank(&p->pcrs, TPM2_ALG_SHA256);
        int r;

        if (!tpm || !pcrs || !bank)
                return -ENOMEM;
        if (!b)
                return -EINVAL;
        for (unsigned i = 0; i < PCR_MAX; i++) {
                _cleanup_(json_object_putp) json_object *allowed = json_object_new_array();
                char key[4];

                if (!allowed)
                        return -ENOMEM;
                r = storm_array_add(allowed, storm_json_hex(b->value[i], 32));
                if (r < 0)
                        return r;
                snprintf(key, sizeof(key), "%u", i);
                r = json_add(bank, key, TAKE_PTR(allowed));
                if (r < 0)
                        return r;
        }
        if ((r = json_add(pcrs, "sha256", TAKE_PTR(bank))) < 0 ||
            (r = json_add_string(tpm, "vtpm", "bound")) < 0 ||
            (r = json_add(tpm, "require_eventlog", json_object_new_boolean(true))) < 0 ||
            (r = json_add(tpm, "pcrs", TAKE_PTR(pcrs))) < 0)
                return r;
        *ret = TAKE_PTR(tpm);
        return 0;
}

static int storm_policy_resource(json_object *list, const char *path, const char *kind) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(),
                                                *tees = json_object_new_array();
        int r;

        if (!o || !tees)
                return -ENOMEM;
        if ((r = storm_array_add(tees, json_object_new_string("snp"))) < 0)
                return r;
        if ((r = json_add_string(o, "path", path)) < 0 ||
            (r = json_add_string(o, "kind", kind)) < 0 ||
            (r = json_add(o, "tees", TAKE_PTR(tees))) < 0)
                return r;
        return storm_array_add(list, TAKE_PTR(o));
}

int storm_platform_policy(const StormPlatform *p, const char *ark_path, json_object **ret) {
        _cleanup_(json_object_putp)
                json_object *pol = json_object_new_object(),
                            *anchors = json_object_new_object(), *arks = json_object_new_array(),
                            *resources = json_object_new_array(), *snp = NULL, *tpm = NULL;
        int r;

        if (!pol || !anchors || !arks || !resources)
                return -ENOMEM;
        if ((r = storm_array_add(arks, json_object_new_string(ark_path))) < 0)
                return r;
        if ((r = json_add(anchors, "amd_ark", TAKE_PTR(arks))) < 0 ||
            (r = json_add(anchors, "simulated", json_object_new_boolean(true))) < 0)
                return r;
        if ((r = storm_policy_snp(p, &snp)) < 0 || (r = storm_policy_tpm(p, &tpm)) < 0)
                return r;
        if ((r = storm_policy_resource(resources, "confnode/disk-key/*", "disk-key")) < 0 ||
            (r = storm_policy_resource(resources, "confnode/kubelet/join", "join-bundle")) < 0)
                return r;
        if ((r = json_add(pol, "version", json_object_new_int(1))) < 0 ||
            (r = json_add(pol, "anchors", TAKE_PTR(anchors))) < 0 ||
            (r = json_add(pol, "snp", TAKE_PTR(snp))) < 0 ||
            (r = json_add(pol, "tpm", TAKE_PTR(tpm))) < 0 ||
            (r = json_add(pol, "resources", TAKE_PTR(resources))) < 0)
                return r;
        *ret = TAKE_PTR(pol);
        return 0;
}
