/* Making and loading the simulated AMD and Intel certificate hierarchies.
 * The shapes follow the vendors' certificates (extensions, key types,
 * signature schemes, validity), because the verifier must treat them as
 * it treats real ones; only the roots differ. OpenSSL 3 EVP and X509 APIs
 * only. */

#include "sim-ca.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "sim-der.h"
#include "confnode/basic/openssl-cleanup.h"

#define SIM_CA_RSA_BITS 4096
/* AMD signs with RSASSA-PSS, SHA-384, MGF1 with SHA-384, 48-byte salt. */
#define SIM_CA_PSS_SALT 48
#define SIM_CA_MAX_EXTS 16

#define SIM_OID_AMD "1.3.6.1.4.1.3704.1."
#define SIM_OID_SGX "1.2.840.113741.1.13.1"


typedef enum SimCaFile {
        SIM_CA_ARK,
        SIM_CA_ASK,
        SIM_CA_VCEK,
        SIM_CA_INTEL_ROOT,
        SIM_CA_INTEL_PLATFORM,
        SIM_CA_PCK,
        SIM_CA_ATTESTATION,
        _SIM_CA_FILE_MAX,
        _SIM_CA_FILE_INVALID = -EINVAL,
} SimCaFile;

/* Certificate and key file of each member; the attestation key has no
 * certificate. */
static const struct {
        const char *cert;
        const char *key;
} sim_ca_files[_SIM_CA_FILE_MAX] = {
        [SIM_CA_ARK] = {"amd/ark.pem", "private/amd-ark.key"},
        [SIM_CA_ASK] = {"amd/ask.pem", "private/amd-ask.key"},
        [SIM_CA_VCEK] = {"amd/vcek.pem", "private/amd-vcek.key"},
        [SIM_CA_INTEL_ROOT] = {"intel/root-ca.pem", "private/intel-root-ca.key"},
        [SIM_CA_INTEL_PLATFORM] = {"intel/platform-ca.pem", "private/intel-platform-ca.key"},
        [SIM_CA_PCK] = {"intel/pck.pem", "private/intel-pck.key"},
        [SIM_CA_ATTESTATION] = {NULL, "private/intel-attestation.key"},
};

#define SIM_CA_PCK_CHAIN "intel/pck-chain.pem"

void sim_ca_free(SimCa *ca) {
        if (!ca)
                return;
        X509_free(ca->ark);
        X509_free(ca->ask);
        X509_free(ca->vcek);
        EVP_PKEY_free(ca->vcek_key);
        X509_free(ca->intel_root);
        X509_free(ca->intel_platform_ca);
        X509_free(ca->pck);
        EVP_PKEY_free(ca->pck_key);
        EVP_PKEY_free(ca->attestation_key);
        free(ca->pck_chain_pem);
        free(ca);
}

/* OpenSSL failures carry no errno; what failed is logged at debug level
 * and the caller sees -EIO (or -ENOMEM where that is all it can be). */
static int sim_ca_openssl_error(const char *what) {
        unsigned long e = ERR_get_error();
        char buf[256] = "";

        if (e)
                ERR_error_string_n(e, buf, sizeof(buf));
        ERR_clear_error();
        return log_debug_errno(EIO, "%s failed: %s", what, buf[0] ? buf : "no OpenSSL error");
}

typedef struct SimCert {
        const char *cn;
        const char *ou;
        const char *o;
        EVP_PKEY *key;        /* the subject's key */
        X509 *issuer;         /* NULL: self-signed */
        EVP_PKEY *issuer_key; /* the key that signs */
        bool pss;             /* RSA-PSS with SHA-384 (AMD); else ECDSA with SHA-256 */
        int days;
        const char *basic_constraints; /* NULL: none, as AMD's VCEK */
        const char *key_usage;
        bool key_ids;
        X509_EXTENSION *exts[SIM_CA_MAX_EXTS];
        size_t n_exts;
} SimCert;

static void sim_ca_cert_done(SimCert *c) {
        for (size_t i = 0; i < c->n_exts; i++)
                X509_EXTENSION_free(c->exts[i]);
        c->n_exts = 0;
}

/* AMD and Intel order their names differently; both are kept. */
static int sim_ca_name(const SimCert *c, bool amd, X509_NAME **ret) {
        _cleanup_(X509_NAME_freep) X509_NAME *n = X509_NAME_new();
        const char *fields[][2] = {
                {"OU", c->ou}, {"C", "US"}, {"L", "Santa Clara"},
                {"ST", "CA"},  {"O", c->o}, {"CN", c->cn},
        };
        static const size_t intel_order[] = {5, 0, 4, 2, 3, 1};

        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                size_t k = amd ? i : intel_order[i];

                if (X509_NAME_add_entry_by_txt(n, fields[k][0], MBSTRING_ASC,
                                               (const unsigned char *)fields[k][1], -1, -1, 0) != 1)
                        return sim_ca_openssl_error("X509_NAME_add_entry_by_txt");
        }
        *ret = TAKE_PTR(n);
        return 0;
}

static int sim_ca_add_conf_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
        _cleanup_(X509_EXTENSION_freep) X509_EXTENSION *ext = NULL;
        X509V3_CTX ctx;

        X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!ext || X509_add_ext(cert, ext, -1) != 1)
                return sim_ca_openssl_error("X509V3_EXT_conf_nid");
        return 0;
}

/* An extension whose value is the DER in d (non-critical). */
static int sim_ca_ext(const char *oid, const uint8_t *der, size_t size, SimCert *c) {
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        _cleanup_(ASN1_OCTET_STRING_freep) ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
        X509_EXTENSION *ext;

        if (c->n_exts >= SIM_CA_MAX_EXTS)
                return -E2BIG;
        if (!obj || !value || size > INT32_MAX || ASN1_OCTET_STRING_set(value, der, (int)size) != 1)
                return -ENOMEM;
        ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, value);
        if (!ext)
                return -ENOMEM;
        c->exts[c->n_exts++] = ext;
        return 0;
}

static int sim_ca_ext_der(const char *oid, const SimDer *d, SimCert *c) {
        if (sim_der_failed(d))
                return -ENOMEM;
        return sim_ca_ext(oid, d->data, d->size, c);
}

static int sim_ca_sign(X509 *cert, const SimCert *c) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        if (!md)
                return -ENOMEM;
        if (!c->pss) {
                if (X509_sign(cert, c->issuer_key, EVP_sha256()) <= 0)
                        return sim_ca_openssl_error("X509_sign");
                return 0;
        }
        if (EVP_DigestSignInit_ex(md, &pctx, "SHA384", NULL, NULL, c->issuer_key, NULL) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, SIM_CA_PSS_SALT) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA384", NULL) != 1)
                return sim_ca_openssl_error("RSA-PSS signing setup");
        if (X509_sign_ctx(cert, md) <= 0)
                return sim_ca_openssl_error("X509_sign_ctx");
        return 0;
}

static int sim_ca_serial(X509 *cert) {
        _cleanup_(BN_freep) BIGNUM *bn = BN_new();
        uint8_t b[16];

        if (!bn)
                return -ENOMEM;
        if (RAND_bytes(b, sizeof(b)) != 1)
                return sim_ca_openssl_error("RAND_bytes");
        b[0] &= 0x7f; /* positive */
        b[0] |= 0x01; /* and with no leading zero byte */
        if (!BN_bin2bn(b, sizeof(b), bn) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
                return -ENOMEM;
        return 0;
}

static int sim_ca_issue(SimCert *c, bool amd, X509 **ret) {
        _cleanup_(X509_freep) X509 *cert = X509_new();
        _cleanup_(X509_NAME_freep) X509_NAME *subject = NULL;
        X509 *issuer;
        int r;

        if (!cert)
                return -ENOMEM;
        r = sim_ca_name(c, amd, &subject);
        if (r < 0)
                return r;
        if (X509_set_version(cert, X509_VERSION_3) != 1 ||
            X509_set_subject_name(cert, subject) != 1 ||
            X509_set_issuer_name(cert, c->issuer ? X509_get_subject_name(c->issuer) : subject) !=
                    1 ||
            X509_set_pubkey(cert, c->key) != 1)
                return sim_ca_openssl_error("X509 setup");
        r = sim_ca_serial(cert);
        if (r < 0)
                return r;
        /* A day back, so a verifier whose clock lags a little still takes
         * a hierarchy made a moment ago. */
        if (!X509_gmtime_adj(X509_getm_notBefore(cert), -86400) ||
            !X509_time_adj_ex(X509_getm_notAfter(cert), c->days, 0, NULL))
                return sim_ca_openssl_error("X509 validity");

        issuer = c->issuer ?: cert;
        if (c->key_ids) {
                r = sim_ca_add_conf_ext(cert, issuer, NID_subject_key_identifier, "hash");
                if (r >= 0)
                        r = sim_ca_add_conf_ext(cert, issuer, NID_authority_key_identifier,
                                                "keyid:always");
                if (r < 0)
                        return r;
        }
        if (c->basic_constraints) {
                r = sim_ca_add_conf_ext(cert, issuer, NID_basic_constraints, c->basic_constraints);
                if (r < 0)
                        return r;
        }
        if (c->key_usage) {
                r = sim_ca_add_conf_ext(cert, issuer, NID_key_usage, c->key_usage);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_exts; i++)
                if (X509_add_ext(cert, c->exts[i], -1) != 1)
                        return sim_ca_openssl_error("X509_add_ext");
        r = sim_ca_sign(cert, c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cert);
        return 0;
}

static int sim_ca_keygen(bool rsa, const char *curve, EVP_PKEY **ret) {
        EVP_PKEY *k = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)SIM_CA_RSA_BITS)
                          : EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

        if (!k)
                return sim_ca_openssl_error(rsa ? "RSA key generation" : "EC key generation");
        *ret = k;
        return 0;
}

static int sim_ca_path(const char *dir, const char *name, char **ret) {
        if (asprintf(ret, "%s/%s", dir, name) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int sim_ca_write_bio(const char *dir, const char *name, BIO *bio, mode_t mode) {
        _cleanup_free_ char *path = NULL;
        BUF_MEM *mem = NULL;
        int r;

        r = sim_ca_path(dir, name, &path);
        if (r < 0)
                return r;
        BIO_get_mem_ptr(bio, &mem);
        if (!mem)
                return -ENOMEM;
        r = write_file_atomic(path, mem->data, mem->length, mode);
        if (r < 0)
                return log_debug_errno(r, "Cannot write '%s': %m", path);
        return 0;
}

static int sim_ca_write_key(const char *dir, SimCaFile f, EVP_PKEY *key) {
        /* Secure memory (wiped on free) for the PEM text of the key. */
        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_secmem());

        if (!bio)
                return -ENOMEM;
        if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
                return sim_ca_openssl_error("PEM_write_bio_PrivateKey");
        return sim_ca_write_bio(dir, sim_ca_files[f].key, bio, 0600);
}

static int sim_ca_write_certs(const char *dir, const char *name, X509 *const *certs, size_t n) {
        _cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());

        if (!bio)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (PEM_write_bio_X509(bio, certs[i]) != 1)
                        return sim_ca_openssl_error("PEM_write_bio_X509");
        return sim_ca_write_bio(dir, name, bio, 0644);
}

static int sim_ca_store(const char *dir, SimCaFile f, X509 *cert, EVP_PKEY *key) {
        int r = sim_ca_write_key(dir, f, key);

        if (r < 0 || !cert)
                return r;
        return sim_ca_write_certs(dir, sim_ca_files[f].cert, &cert, 1);
}

static int sim_ca_mkdirs(const char *dir) {
        static const struct {
                const char *name;
                mode_t mode;
        } dirs[] = {{"amd", 0755}, {"intel", 0755}, {"private", 0700}};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = NULL;
                int r = sim_ca_path(dir, dirs[i].name, &path);

                if (r < 0)
                        return r;
                if (mkdir(path, dirs[i].mode) < 0 && errno != EEXIST)
                        return log_debug_errno(errno, "Cannot create '%s': %m", path);
                /* A directory left from before keeps our mode too. */
                if (chmod(path, dirs[i].mode) < 0)
                        return log_debug_errno(errno, "Cannot set the mode of '%s': %m", path);
        }
        return 0;
}

/* The VCEK's AMD extensions, as KDS issues them: structVersion, the
 * productName, every SPL (the reserved ones zero), the hwID as the bare
 * chip ID bytes. */
static int sim_ca_vcek_exts(const SimSnp *s, SimCert *c) {
        const struct {
                const char *oid;
                int value;
        } spls[] = {
                {SIM_OID_AMD "3.1", s->tcb_bootloader},
                {SIM_OID_AMD "3.2", s->tcb_tee},
                {SIM_OID_AMD "3.4", 0},
                {SIM_OID_AMD "3.5", 0},
                {SIM_OID_AMD "3.6", 0},
                {SIM_OID_AMD "3.7", 0},
                {SIM_OID_AMD "3.3", s->tcb_snp},
                {SIM_OID_AMD "3.8", s->tcb_microcode},
                {SIM_OID_AMD "3.9", s->generation == SNP_GENERATION_TURIN ? s->tcb_fmc : -1},
        };
        /* Turin's hwID is the 8-byte chip ID; the report zero-extends it. */
        size_t hwid = s->generation == SNP_GENERATION_TURIN ? 8 : SNP_CHIP_ID_SIZE;
        int r;

        {
                _cleanup_(sim_der_done) SimDer v = {};

                sim_der_integer(&v, 0);
                r = sim_ca_ext_der(SIM_OID_AMD "1", &v, c);
                if (r < 0)
                        return r;
        }
        {
                _cleanup_(sim_der_done) SimDer v = {};

                sim_der_ia5(&v, sim_config_product(s->generation));
                r = sim_ca_ext_der(SIM_OID_AMD "2", &v, c);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(spls); i++) {
                _cleanup_(sim_der_done) SimDer v = {};

                if (spls[i].value < 0)
                        continue;
                sim_der_integer(&v, (uint64_t)spls[i].value);
                r = sim_ca_ext_der(spls[i].oid, &v, c);
                if (r < 0)
                        return r;
        }
        return sim_ca_ext(SIM_OID_AMD "4", s->chip_id, hwid, c);
}

/* SEQUENCE { OID, value }, the shape of every SGX extension member. */
static void sim_ca_sgx_pair(SimDer *out, const char *oid, const SimDer *value) {
        _cleanup_(sim_der_done) SimDer e = {};

        sim_der_oid(&e, oid);
        sim_der_append(&e, value);
        sim_der_sequence(out, &e);
}

/* Intel's SGX extension (1.2.840.113741.1.13.1) of a PCK certificate: the
 * PPID, the TCB (16 component SVNs, the PCE SVN, the CPU SVN), the PCE-ID,
 * the FMSPC and the SGX type, each a SEQUENCE of its OID and value. */
static int sim_ca_sgx_ext(const SimTdx *t, SimCert *c) {
        _cleanup_(sim_der_done) SimDer all = {}, members = {}, tcb = {}, v = {};
        char oid[64];

        sim_der_octets(&v, t->ppid, sizeof(t->ppid));
        sim_ca_sgx_pair(&members, SIM_OID_SGX ".1", &v);

        for (unsigned i = 1; i <= 18; i++) {
                _cleanup_(sim_der_done) SimDer value = {};

                if (i <= 16)
                        sim_der_integer(&value, t->cpu_svn[i - 1]);
                else if (i == 17)
                        sim_der_integer(&value, t->pce_svn);
                else
                        sim_der_octets(&value, t->cpu_svn, sizeof(t->cpu_svn));
                snprintf(oid, sizeof(oid), SIM_OID_SGX ".2.%u", i);
                sim_ca_sgx_pair(&tcb, oid, &value);
        }
        sim_der_done(&v);
        sim_der_sequence(&v, &tcb);
        sim_ca_sgx_pair(&members, SIM_OID_SGX ".2", &v);

        sim_der_done(&v);
        sim_der_octets(&v, t->pce_id, sizeof(t->pce_id));
        sim_ca_sgx_pair(&members, SIM_OID_SGX ".3", &v);
        sim_der_done(&v);
        sim_der_octets(&v, t->fmspc, sizeof(t->fmspc));
        sim_ca_sgx_pair(&members, SIM_OID_SGX ".4", &v);
        sim_der_done(&v);
        sim_der_enumerated(&v, 0); /* standard (not scalable) SGX */
        sim_ca_sgx_pair(&members, SIM_OID_SGX ".5", &v);

        sim_der_sequence(&all, &members);
        return sim_ca_ext_der(SIM_OID_SGX, &all, c);
}

typedef struct SimCaKeys {
        EVP_PKEY *k[_SIM_CA_FILE_MAX];
        X509 *cert[_SIM_CA_FILE_MAX];
} SimCaKeys;

static void sim_ca_keys_done(SimCaKeys *k) {
        for (size_t i = 0; i < _SIM_CA_FILE_MAX; i++) {
                EVP_PKEY_free(k->k[i]);
                X509_free(k->cert[i]);
        }
}

/* Who issues what, with which extensions: AMD's and Intel's shapes. */
typedef struct SimCaSpec {
        SimCaFile file;
        SimCaFile issuer; /* the file itself: self-signed */
        const char *cn;
        bool product; /* the AMD product follows the common name */
        int days;
        const char *basic_constraints;
        const char *key_usage;
        bool key_ids;
} SimCaSpec;

static const SimCaSpec sim_ca_specs[] = {
        {SIM_CA_ARK, SIM_CA_ARK, "SIMULATED-ARK-", true, 25 * 365, "critical,CA:TRUE",
         "critical,keyCertSign,cRLSign", true},
        {SIM_CA_ASK, SIM_CA_ARK, "SIMULATED-SEV-", true, 25 * 365, "critical,CA:TRUE,pathlen:0",
         "critical,keyCertSign", true},
        /* AMD's VCEKs carry no basic constraints, key usage or key IDs. */
        {SIM_CA_VCEK, SIM_CA_ASK, "SIMULATED-SEV-VCEK", false, 7 * 365, NULL, NULL, false},
        {SIM_CA_INTEL_ROOT, SIM_CA_INTEL_ROOT, "SIMULATED Intel SGX Root CA", false, 30 * 365,
         "critical,CA:TRUE,pathlen:1", "critical,keyCertSign,cRLSign", true},
        {SIM_CA_INTEL_PLATFORM, SIM_CA_INTEL_ROOT, "SIMULATED Intel SGX PCK Platform CA", false,
         20 * 365, "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", true},
        {SIM_CA_PCK, SIM_CA_INTEL_PLATFORM, "SIMULATED Intel SGX PCK Certificate", false, 7 * 365,
         "critical,CA:FALSE", "critical,digitalSignature,nonRepudiation", true},
};

static bool sim_ca_is_amd(SimCaFile f) {
        return f <= SIM_CA_VCEK;
}

static int sim_ca_issue_spec(const SimCaSpec *spec, const SimConfig *config, SimCaKeys *k) {
        bool amd = sim_ca_is_amd(spec->file);
        char cn[96];
        _cleanup_(sim_ca_cert_done) SimCert c = {
                .cn = cn,
                .ou = amd ? "SIMULATED Engineering" : "SIMULATED",
                .o = amd ? "Advanced Micro Devices" : "Intel Corporation",
                .key = k->k[spec->file],
                .issuer = spec->issuer == spec->file ? NULL : k->cert[spec->issuer],
                .issuer_key = k->k[spec->issuer],
                .pss = amd, /* AMD: RSA-PSS with SHA-384; Intel: ECDSA with SHA-256 */
                .days = spec->days,
                .basic_constraints = spec->basic_constraints,
                .key_usage = spec->key_usage,
                .key_ids = spec->key_ids,
        };
        int r = 0;

        snprintf(cn, sizeof(cn), "%s%s", spec->cn,
                 spec->product ? sim_config_product(config->snp.generation) : "");
        if (spec->file == SIM_CA_VCEK)
                r = sim_ca_vcek_exts(&config->snp, &c);
        else if (spec->file == SIM_CA_PCK)
                r = sim_ca_sgx_ext(&config->tdx, &c);
        if (r < 0)
                return r;
        return sim_ca_issue(&c, amd, &k->cert[spec->file]);
}

int sim_ca_create(const char *dir, const SimConfig *c) {
        _cleanup_(sim_ca_keys_done) SimCaKeys k = {};
        X509 *chain[3];
        int r;

        r = sim_ca_mkdirs(dir);
        if (r < 0)
                return r;
        /* AMD's roots are RSA-4096, the VCEK ECDSA P-384; Intel's every
         * key ECDSA P-256. */
        for (SimCaFile f = 0; f < _SIM_CA_FILE_MAX; f++) {
                r = sim_ca_keygen(f == SIM_CA_ARK || f == SIM_CA_ASK,
                                  f == SIM_CA_VCEK ? "P-384" : "P-256", &k.k[f]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(sim_ca_specs); i++) {
                r = sim_ca_issue_spec(&sim_ca_specs[i], c, &k);
                if (r < 0)
                        return r;
        }
        for (SimCaFile f = 0; f < _SIM_CA_FILE_MAX; f++) {
                r = sim_ca_store(dir, f, k.cert[f], k.k[f]);
                if (r < 0)
                        return r;
        }
        chain[0] = k.cert[SIM_CA_PCK];
        chain[1] = k.cert[SIM_CA_INTEL_PLATFORM];
        chain[2] = k.cert[SIM_CA_INTEL_ROOT];
        return sim_ca_write_certs(dir, SIM_CA_PCK_CHAIN, chain, ELEMENTSOF(chain));
}

/* A certificate (want_key false) or a private key from a PEM file. */
static int sim_ca_read_pem(const char *dir, const char *name, bool want_key, void **ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(BIO_freep) BIO *bio = NULL;
        void *v;
        int r;

        r = sim_ca_path(dir, name, &path);
        if (r < 0)
                return r;
        bio = BIO_new_file(path, "r");
        if (!bio) {
                ERR_clear_error();
                return log_debug_errno(errno ?: ENOENT, "Cannot open '%s': %m", path);
        }
        v = want_key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                     : (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!v)
                return sim_ca_openssl_error(path);
        *ret = v;
        return 0;
}

static int sim_ca_read_cert(const char *dir, SimCaFile f, X509 **ret) {
        void *v;
        int r = sim_ca_read_pem(dir, sim_ca_files[f].cert, false, &v);

        if (r >= 0)
                *ret = v;
        return r;
}

static int sim_ca_read_key(const char *dir, SimCaFile f, EVP_PKEY **ret) {
        void *v;
        int r = sim_ca_read_pem(dir, sim_ca_files[f].key, true, &v);

        if (r >= 0)
                *ret = v;
        return r;
}

int sim_ca_load(const char *dir, SimCa **ret) {
        _cleanup_(sim_ca_freep) SimCa *ca = calloc(1, sizeof(SimCa));
        _cleanup_free_ char *chain = NULL;
        uint8_t *data = NULL;
        size_t size;
        int r;

        if (!ca)
                return -ENOMEM;
        if ((r = sim_ca_read_cert(dir, SIM_CA_ARK, &ca->ark)) < 0 ||
            (r = sim_ca_read_cert(dir, SIM_CA_ASK, &ca->ask)) < 0 ||
            (r = sim_ca_read_cert(dir, SIM_CA_VCEK, &ca->vcek)) < 0 ||
            (r = sim_ca_read_key(dir, SIM_CA_VCEK, &ca->vcek_key)) < 0 ||
            (r = sim_ca_read_cert(dir, SIM_CA_INTEL_ROOT, &ca->intel_root)) < 0 ||
            (r = sim_ca_read_cert(dir, SIM_CA_INTEL_PLATFORM, &ca->intel_platform_ca)) < 0 ||
            (r = sim_ca_read_cert(dir, SIM_CA_PCK, &ca->pck)) < 0 ||
            (r = sim_ca_read_key(dir, SIM_CA_PCK, &ca->pck_key)) < 0 ||
            (r = sim_ca_read_key(dir, SIM_CA_ATTESTATION, &ca->attestation_key)) < 0)
                return r;
        r = sim_ca_path(dir, SIM_CA_PCK_CHAIN, &chain);
        if (r < 0)
                return r;
        r = read_full_file(chain, 64 * 1024, &data, &size);
        if (r < 0)
                return log_debug_errno(r, "Cannot read '%s': %m", chain);
        ca->pck_chain_pem = (char *)data;
        ca->pck_chain_pem_size = size;
        *ret = TAKE_PTR(ca);
        return 0;
}
