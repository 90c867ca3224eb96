/* bench-tdx: what a TDX quote costs the verifier. For each quote (the TDX
 * quotes of the peer set at the times their sources pin, or the files
 * given) it times, N times each, the parse, a full verification with the
 * PCK chain checked cold (the cache off: PEM decoding and X.509 path
 * validation every time) and with the chain from the cache, and prints the
 * medians next to the machine's ECDSA P-256 verify rate, which it measures
 * in the same run with `openssl speed -seconds 1 ecdsap256`. A cached
 * verification does two ECDSA verifies (QE report, quote), a cold one two
 * more for the chain; that is the floor. Asserts nothing.
 *
 *   bench-tdx [-n RUNS] [--at RFC3339] [FILE...]
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "confnode/basic/fileio.h"
#include "confnode/crypto/cert-load.h"
#include "confnode/crypto/cert-time.h"
#include "confnode/evidence/tdx-quote.h"
#include "confnode/evidence/tdx-verify.h"

#define BENCH_TDX_MAX_FILE (1024u * 1024)
#define BENCH_TDX_WARMUP 10
#define BENCH_TDX_AT_DEFAULT 1770080400 /* 2026-02-03T01:00:00Z */

static double bench_tdx_now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int bench_tdx_cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double bench_tdx_median(double *v, size_t n) {
        qsort(v, n, sizeof(*v), bench_tdx_cmp);
        return v[n / 2];
}

/* `openssl speed -seconds 1 ecdsap256`, its "256 bits ecdsa (nistp256)"
 * line: sign/s and verify/s are the last two numbers. */
static int bench_tdx_openssl_speed(double *ret_sign, double *ret_verify) {
        char line[512];
        FILE *p;
        int r = -ENOENT;

        p = popen("openssl speed -seconds 1 ecdsap256 2>/dev/null", "r");
        if (!p)
                return -errno;
        while (fgets(line, sizeof(line), p)) {
                char *nist = strstr(line, "(nistp256)");
                double a, b, sign, verify;

                if (!nist)
                        continue;
                if (sscanf(nist, "(nistp256) %lfs %lfs %lf %lf", &a, &b, &sign, &verify) == 4) {
                        *ret_sign = sign;
                        *ret_verify = verify;
                        r = 0;
                }
        }
        if (pclose(p) != 0 && r == 0)
                r = -EIO;
        return r;
}

typedef struct BenchTdxQuote {
        const char *path;
        time_t at;
        const char *label; /* as printed; path when NULL */
} BenchTdxQuote;

static int bench_tdx_file(TdxVerifier *cold, TdxVerifier *cached, const BenchTdxQuote *bq,
                          size_t runs, double verify_us) {
        _cleanup_free_ double *parse = calloc(runs, sizeof(double)),
                              *vcold = calloc(runs, sizeof(double)),
                              *vcached = calloc(runs, sizeof(double));
        _cleanup_free_ uint8_t *data = NULL;
        double mp, mc, mh;
        TdxVerdict v;
        size_t size;
        int r;

        if (!parse || !vcold || !vcached)
                return -ENOMEM;
        r = read_full_file(bq->path, BENCH_TDX_MAX_FILE, &data, &size);
        if (r < 0) {
                fprintf(stderr, "Cannot read '%s': %s\n", bq->path, strerror(-r));
                return r;
        }
        r = tdx_verify_quote(cold, data, size, bq->at, &v);
        if (r < 0) {
                fprintf(stderr, "'%s' does not verify: %s: %s\n", bq->path, v.reason ?: "?",
                        v.detail);
                return r;
        }
        for (size_t i = 0; i < BENCH_TDX_WARMUP + runs; i++) {
                double t0, t1, t2, t3;
                TdxQuote q;
                ParseError err;

                t0 = bench_tdx_now_us();
                r = tdx_quote_parse(data, size, &q, &err);
                t1 = bench_tdx_now_us();
                if (r >= 0)
                        r = tdx_verify_quote(cold, data, size, bq->at, &v);
                t2 = bench_tdx_now_us();
                if (r >= 0)
                        r = tdx_verify_quote(cached, data, size, bq->at, &v);
                t3 = bench_tdx_now_us();
                if (r < 0) {
                        fprintf(stderr, "Run %zu on '%s' failed: %s\n", i, bq->path, strerror(-r));
                        return r;
                }
                if (i < BENCH_TDX_WARMUP)
                        continue;
                parse[i - BENCH_TDX_WARMUP] = t1 - t0;
                vcold[i - BENCH_TDX_WARMUP] = t2 - t1;
                vcached[i - BENCH_TDX_WARMUP] = t3 - t2;
        }
        if (!v.chain_cached) {
                fprintf(stderr, "'%s': the chain was not taken from the cache\n", bq->path);
                return -EIO;
        }
        mp = bench_tdx_median(parse, runs);
        mc = bench_tdx_median(vcold, runs);
        mh = bench_tdx_median(vcached, runs);
        printf("%-32s %9.1f %12.1f %12.1f %10.0f %10.0f", bq->label ?: bq->path, mp, mc, mh,
               1e6 / mc, 1e6 / mh);
        if (verify_us > 0)
                printf(" %9.2fx %9.2fx", mc / (4 * verify_us), mh / (2 * verify_us));
        printf("\n");
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"runs", required_argument, NULL, 'n'},
                {"at", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        static const BenchTdxQuote peers[] = {
                {"tdx/gtg-quote-v4.dat", 1688173200, NULL}, /* 2023-07-01T01:00Z */
                {"tdx/gtg-quote-v5.dat", BENCH_TDX_AT_DEFAULT, NULL},
                {"tdx/trustee-quote-v4.dat", BENCH_TDX_AT_DEFAULT, NULL},
                {"tdx/trustee-quote-6.dat", BENCH_TDX_AT_DEFAULT, NULL},
                {"tdx/trustee-sgx-quote-v3.dat", BENCH_TDX_AT_DEFAULT, NULL},
                {"azure/aztdx-td-quote.bin", BENCH_TDX_AT_DEFAULT, NULL},
                {"eventlog/gtg-ccel-quote.dat", BENCH_TDX_AT_DEFAULT, NULL},
        };
        _cleanup_(cert_load_stack_freep) STACK_OF(X509) *roots = sk_X509_new_null();
        _cleanup_(tdx_verify_freep) TdxVerifier *cold = NULL, *cached = NULL;
        double sign = 0, verify = 0, verify_us = 0;
        time_t at = BENCH_TDX_AT_DEFAULT;
        bool at_set = false;
        X509 *intel = NULL;
        size_t runs = 200;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "n:a:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'n': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);

                        if (*end != 0 || v < 10 || v > 1000000) {
                                fprintf(stderr, "-n wants 10 to 1000000 runs\n");
                                return 2;
                        }
                        runs = v;
                        break;
                }
                case 'a':
                        if (cert_time_parse_rfc3339(optarg, &at) < 0) {
                                fprintf(stderr, "--at '%s' is not an RFC 3339 time\n", optarg);
                                return 2;
                        }
                        at_set = true;
                        break;
                case 'h':
                        printf("Usage: bench-tdx [-n RUNS] [--at RFC3339] [FILE...]\n");
                        return 0;
                default:
                        return 2;
                }
        }

        if (!roots || tdx_verify_intel_root(&intel) < 0 || sk_X509_push(roots, intel) <= 0 ||
            tdx_verify_new(roots, NULL, &cold) < 0 || tdx_verify_new(roots, NULL, &cached) < 0) {
                fprintf(stderr, "Cannot set up the verifiers\n");
                return 1;
        }
        tdx_verify_set_cache(cold, false);

        if (bench_tdx_openssl_speed(&sign, &verify) >= 0 && verify > 0) {
                verify_us = 1e6 / verify;
                printf("openssl speed -seconds 1 ecdsap256: %.0f sign/s, %.0f verify/s "
                       "(%.1f us per verify)\n",
                       sign, verify, verify_us);
        } else
                printf("openssl speed -seconds 1 ecdsap256: not available\n");
        printf("%zu runs per quote, medians in microseconds; floor = ECDSA verifies needed "
               "(cold 4, cached 2)\n",
               runs);
        printf("%-32s %9s %12s %12s %10s %10s %10s %10s\n", "quote", "parse", "verify cold",
               "verify cache", "cold/s", "cached/s", "cold/floor", "cache/floor");

        if (optind < argc) {
                for (int i = optind; i < argc; i++) {
                        BenchTdxQuote q = {argv[i], at_set ? at : time(NULL), NULL};

                        if (bench_tdx_file(cold, cached, &q, runs, verify_us) < 0)
                                r = 1;
                }
                return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(peers); i++) {
                char path[4096];
                BenchTdxQuote q = peers[i];

                snprintf(path, sizeof(path), "%s/%s", CONFNODE_PEER_DATA, peers[i].path);
                q.path = path;
                q.label = peers[i].path;
                if (at_set)
                        q.at = at;
                if (bench_tdx_file(cold, cached, &q, runs, verify_us) < 0)
                        r = 1;
        }
        return r;
}
