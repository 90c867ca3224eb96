/* bench-snp: what the verifier spends on one SEV-SNP report. For every
 * report of the peer set, with its VCEK (or VLEK) and AMD chain at the
 * time its source pins:
 *   cold    read the certificate files, parse the report, verify the chain
 *           (ARK self-signature, ARK → ASK, ASK → VCEK: three RSA-4096
 *           PSS verifications) and the report (one ECDSA P-384);
 *   cached  parse the report and verify it with a chain verified once.
 * Median of N runs each, next to `openssl speed -seconds 1 ecdsap384
 * rsa4096`, run here in the same process group, so the figures can be set
 * against the crypto floor: cold ≈ 3 RSA-4096 verify + 1 ECDSA P-384
 * verify, cached ≈ 1 ECDSA P-384 verify. Then one P-384/SHA-384
 * verification of a report-sized message by each path: OpenSSL's
 * EVP_DigestVerify, ours without a key table (ecdsa_p384_verify_sha384)
 * and with one (SHA-384 + p384_key_verify, what a cached VCEK uses), and
 * the key table's build. Asserts nothing.
 *
 *   bench-snp [-n RUNS] [-p PEER_DATA]
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/crypto/ecdsa-p384.h"
#include "confnode/crypto/p384.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/snp-report.h"
#include "confnode/evidence/snp-verify.h"

#define BENCH_SNP_WARMUP 5

static const struct {
        const char *report, *key, *chain, *at;
} bench_snp_set[] = {
        {"snp/gsg-report.bin", "snp/gsg-vcek.der", "snp/milan-ask-ark.pem", "2022-09-24T01:00:00Z"},
        {"snp/trustee-report.bin", "snp/trustee-vcek.der", "snp/milan-ask-ark.pem",
         "2025-06-01T00:00:00Z"},
        {"snp/trustee-vlek-report.bin", "snp/trustee-vlek.der", "snp/milan-asvk-ark.pem",
         "2025-06-01T00:00:00Z"},
        {"snp/az-milan-report.bin", "snp/az-milan-vcek-chain.pem", "snp/milan-ask-ark.pem",
         "2025-06-01T00:00:00Z"},
        {"snp/az-genoa-report.bin", "snp/az-genoa-vcek.pem", "snp/genoa-ask-ark.pem",
         "2025-06-01T00:00:00Z"},
        {"snp/oak-genoa-report.bin", "snp/oak-genoa-vcek.der", "snp/genoa-ask-ark.pem",
         "2025-09-01T00:00:00Z"},
        {"snp/oak-turin-report.bin", "snp/oak-turin-vcek.der", "snp/turin-ask-ark.pem",
         "2025-09-01T00:00:00Z"},
        {"snp/oak-milan-oc-report.bin", "snp/oak-milan-oc-vcek.der", "snp/milan-ask-ark.pem",
         "2025-09-01T00:00:00Z"},
};

static double bench_snp_now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int bench_snp_cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static double bench_snp_median(double *v, size_t n) {
        qsort(v, n, sizeof(*v), bench_snp_cmp);
        return v[n / 2];
}

/* The ARK of a chain: the one self-signed certificate in it. */
static int bench_snp_trusted(STACK_OF(X509) *chain, STACK_OF(X509) **ret) {
        STACK_OF(X509) *t = sk_X509_new_null();

        if (!t)
                return -ENOMEM;
        for (int i = 0; i < sk_X509_num(chain); i++) {
                X509 *c = sk_X509_value(chain, i);

                if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) != 0)
                        continue;
                if (X509_up_ref(c) != 1 || sk_X509_push(t, c) <= 0) {
                        cert_load_stack_free(t);
                        return -ENOMEM;
                }
        }
        *ret = t;
        return 0;
}

/* One cold verification: files to verdict. */
static int bench_snp_cold(const char *key, const char *chain, const uint8_t *data, size_t size,
                          const time_t *at) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null(),
                                                        *trusted = NULL;
        SnpVerdict v;
        int r;

        if (!certs)
                return -ENOMEM;
        r = cert_load_file(key, certs);
        if (r >= 0)
                r = cert_load_file(chain, certs);
        if (r >= 0)
                r = bench_snp_trusted(certs, &trusted);
        if (r < 0)
                return r;
        return snp_verify(data, size, certs, trusted, at, &v);
}

static int bench_snp_cached(const SnpEndorsement *e, const uint8_t *data, size_t size) {
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        SnpVerdict v;
        int r;

        r = snp_report_parse(data, size, &rep, NULL);
        if (r < 0)
                return r;
        return snp_verify_report(rep, e, &v);
}

static int bench_snp_one(const char *peer, size_t i, unsigned runs, double *ret_cold,
                         double *ret_cached) {
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null(),
                                                        *trusted = NULL;
        _cleanup_(snp_endorsement_freep) SnpEndorsement *e = NULL;
        _cleanup_(snp_report_freep) SnpReport *rep = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ double *cold = calloc(runs, sizeof(double)),
                              *cached = calloc(runs, sizeof(double));
        char report[4096], key[4096], chain[4096];
        SnpVerdict v;
        size_t size;
        time_t at;
        int r;

        if (!certs || !cold || !cached)
                return -ENOMEM;
        snprintf(report, sizeof(report), "%s/%s", peer, bench_snp_set[i].report);
        snprintf(key, sizeof(key), "%s/%s", peer, bench_snp_set[i].key);
        snprintf(chain, sizeof(chain), "%s/%s", peer, bench_snp_set[i].chain);
        r = cert_time_parse_rfc3339(bench_snp_set[i].at, &at);
        if (r < 0)
                return r;
        r = read_full_file(report, 64 * 1024, &data, &size);
        if (r < 0)
                return r;

        for (unsigned k = 0; k < BENCH_SNP_WARMUP + runs; k++) {
                double t0 = bench_snp_now_us();

                r = bench_snp_cold(key, chain, data, size, &at);
                if (r < 0)
                        return r;
                if (k >= BENCH_SNP_WARMUP)
                        cold[k - BENCH_SNP_WARMUP] = bench_snp_now_us() - t0;
        }

        r = cert_load_file(key, certs);
        if (r >= 0)
                r = cert_load_file(chain, certs);
        if (r >= 0)
                r = bench_snp_trusted(certs, &trusted);
        if (r >= 0)
                r = snp_report_parse(data, size, &rep, NULL);
        if (r >= 0)
                r = snp_verify_chain(rep, certs, trusted, &at, &e, &v);
        /* As the verifier's cache has it from a chip's second report on. */
        if (r >= 0)
                r = snp_endorsement_add_table(e);
        if (r < 0)
                return r;
        for (unsigned k = 0; k < BENCH_SNP_WARMUP + runs; k++) {
                double t0 = bench_snp_now_us();

                r = bench_snp_cached(e, data, size);
                if (r < 0)
                        return r;
                if (k >= BENCH_SNP_WARMUP)
                        cached[k - BENCH_SNP_WARMUP] = bench_snp_now_us() - t0;
        }
        *ret_cold = bench_snp_median(cold, runs);
        *ret_cached = bench_snp_median(cached, runs);
        return 0;
}

/* The P-384 paths on one key and message, median of runs each. */
static int bench_snp_p384(unsigned runs) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = EVP_EC_gen("P-384");
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
        _cleanup_(p384_key_freep) P384Key *k = NULL;
        _cleanup_free_ double *t = calloc(BENCH_SNP_WARMUP + runs, sizeof(double));
        static const char *const names[] = {"OpenSSL EVP_DigestVerify", "ours, no key table",
                                            "ours, key table", "key table build"};
        uint8_t msg[SNP_REPORT_SIGNED_SIZE], der[128], point[P384_POINT_SIZE], r[48], s[48],
                digest[48];
        const uint8_t *p = der;
        size_t der_size = sizeof(der), n = 0;
        const BIGNUM *br, *bs;

        if (!key || !ctx || !t || RAND_bytes(msg, sizeof(msg)) != 1 ||
            EVP_DigestSignInit_ex(ctx, NULL, "SHA384", NULL, NULL, key, NULL) != 1 ||
            EVP_DigestSign(ctx, der, &der_size, msg, sizeof(msg)) != 1 ||
            !(sig = d2i_ECDSA_SIG(NULL, &p, (long) der_size)) ||
            EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                            sizeof(point), &n) != 1)
                return -EIO;
        ECDSA_SIG_get0(sig, &br, &bs);
        if (BN_bn2binpad(br, r, 48) != 48 || BN_bn2binpad(bs, s, 48) != 48 ||
            p384_key_new(point, &k) < 0)
                return -EIO;

        printf("P-384/SHA-384 verify of %zu bytes, median of %u runs:\n", sizeof(msg), runs);
        for (size_t m = 0; m < ELEMENTSOF(names); m++) {
                for (unsigned i = 0; i < BENCH_SNP_WARMUP + runs; i++) {
                        double t0 = bench_snp_now_us();
                        int ok = 1;

                        switch (m) {
                        case 0:
                                ok = EVP_DigestVerifyInit_ex(ctx, NULL, "SHA384", NULL, NULL, key,
                                                             NULL) == 1 &&
                                     EVP_DigestVerify(ctx, der, der_size, msg, sizeof(msg)) == 1;
                                break;
                        case 1:
                                ok = ecdsa_p384_verify_sha384(key, msg, sizeof(msg), r, 48, s,
                                                              48) == 0;
                                break;
                        case 2:
                                ok = EVP_Digest(msg, sizeof(msg), digest, NULL,
                                                evp_fetch_md(EVP_FETCH_SHA384), NULL) == 1 &&
                                     p384_key_verify(k, digest, r, s) == 0;
                                break;
                        default: {
                                P384Key *k2 = NULL;

                                ok = p384_key_new(point, &k2) == 0;
                                p384_key_free(k2);
                                break;
                        }
                        }
                        if (!ok)
                                return -EKEYREJECTED;
                        t[i] = bench_snp_now_us() - t0;
                }
                printf("  %-30s %11.1f us\n", names[m],
                       bench_snp_median(t + BENCH_SNP_WARMUP, runs));
        }
        return 0;
}

/* Microseconds per verification from a line of `openssl speed`: after the
 * algorithm's name come sign and verify seconds, then sign/s and
 * verify/s; the rate is the precise figure ("0.0007s" is not). */
static double bench_snp_speed_verify_us(const char *line, const char *after) {
        const char *p = strstr(line, after);
        double sign, verify, signs, verifies;

        if (!p)
                return -1;
        if (sscanf(p + strlen(after), " %lfs %lfs %lf %lf", &sign, &verify, &signs, &verifies) !=
                    4 ||
            verifies <= 0)
                return -1;
        return 1e6 / verifies;
}

static void bench_snp_openssl_speed(double *ret_rsa_us, double *ret_ecdsa_us) {
        char line[512];
        FILE *f;

        *ret_rsa_us = *ret_ecdsa_us = -1;
        f = popen("openssl speed -seconds 1 ecdsap384 rsa4096 2>/dev/null", "r");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                double v;

                if (strncmp(line, "rsa 4096 bits", 13) == 0 &&
                    (v = bench_snp_speed_verify_us(line, "rsa 4096 bits")) > 0)
                        *ret_rsa_us = v;
                if ((v = bench_snp_speed_verify_us(line, "ecdsa (nistp384)")) > 0)
                        *ret_ecdsa_us = v;
        }
        (void) pclose(f);
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"runs", required_argument, NULL, 'n'},
                {"peer-data", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *peer = getenv("PEER_DATA") ?: CONFNODE_PEER_DATA;
        double cold_sum = 0, cached_sum = 0, rsa_us, ecdsa_us;
        unsigned runs = 200;
        int o;

        while ((o = getopt_long(argc, argv, "n:p:h", opts, NULL)) >= 0) {
                switch (o) {
                case 'n':
                        runs = (unsigned) strtoul(optarg, NULL, 10);
                        if (runs == 0 || runs > 1000000) {
                                fprintf(stderr, "-n wants 1-1000000 runs\n");
                                return 2;
                        }
                        break;
                case 'p':
                        peer = optarg;
                        break;
                case 'h':
                        printf("Usage: bench-snp [-n RUNS] [-p PEER_DATA]\n");
                        return 0;
                default:
                        return 2;
                }
        }

        printf("SEV-SNP report verification, median of %u runs (after %d warm-up), peer data %s\n",
               runs, BENCH_SNP_WARMUP, peer);
        printf("  %-30s %14s %14s\n", "report", "cold chain", "cached chain");
        for (size_t i = 0; i < ELEMENTSOF(bench_snp_set); i++) {
                double cold, cached;
                int r = bench_snp_one(peer, i, runs, &cold, &cached);

                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", bench_snp_set[i].report, strerror(-r));
                        return 1;
                }
                printf("  %-30s %11.1f us %11.1f us\n", bench_snp_set[i].report + 4, cold, cached);
                cold_sum += cold;
                cached_sum += cached;
        }
        printf("  %-30s %11.1f us %11.1f us   (%.0f / %.0f reports/s)\n", "mean",
               cold_sum / ELEMENTSOF(bench_snp_set), cached_sum / ELEMENTSOF(bench_snp_set),
               1e6 * ELEMENTSOF(bench_snp_set) / cold_sum,
               1e6 * ELEMENTSOF(bench_snp_set) / cached_sum);

        o = bench_snp_p384(runs);
        if (o < 0) {
                fprintf(stderr, "P-384 paths: %s\n", strerror(-o));
                return 1;
        }

        bench_snp_openssl_speed(&rsa_us, &ecdsa_us);
        if (rsa_us <= 0 || ecdsa_us <= 0) {
                printf("openssl speed: no figures (is the openssl command installed?)\n");
                return 0;
        }
        printf("openssl speed -seconds 1 ecdsap384 rsa4096 (same run):\n");
        printf("  RSA-4096 verify %9.1f us   ECDSA P-384 verify %9.1f us\n", rsa_us, ecdsa_us);
        printf("  floor: cold = 3 RSA + 1 ECDSA = %.1f us, cached = 1 ECDSA = %.1f us\n",
               3 * rsa_us + ecdsa_us, ecdsa_us);
        return 0;
}
