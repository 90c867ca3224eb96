/* boot-storm: N concurrent simulated nodes doing the full RCAR flow (auth,
 * attest with SEV-SNP + vTPM evidence, disk key, join bundle) against one
 * `confnode-verifier serve` on loopback. bench/boot-storm.sh sets up the
 * platform, PKI, policy and verifier and calls this; see bench/README.md.
 *
 *   boot-storm policy --sim DIR --ark PATH --out FILE [--eventlog FILE] [--peer-data DIR]
 *   boot-storm run --url URL --cacert FILE --sim DIR [--verifier-pid PID]
 *                  [--eventlog FILE] [--peer-data DIR] [--threads N] [--connections N]
 *                  [--timeout S] [--warmup N] [--settle MS] [--floor-elapsed] N...
 *
 * Figures, per N:
 *   wall attestations/s     N / wall seconds of the storm. The client (its
 *                           signing: one ECDSA P-384 SNP report, one P-256
 *                           quote, two ECDH per node) and the verifier share
 *                           the machine, so this is not the verifier's rate.
 *   per-core attestations/s N / the verifier's CPU seconds (utime + stime
 *                           from /proc/PID/stat over the storm): what one
 *                           core of verifier sustains. The 70 % target is
 *                           about this figure / the crypto floor.
 *   floor                   `openssl speed`'s cost of one attestation's
 *                           unavoidable cryptography (boot-storm-floor.c),
 *                           measured before and after each storm and
 *                           averaged: the host's speed drifts.
 *   latency                 per node, from its /auth request being queued to
 *                           its last resource reply; p50 and p99.
 *   rss                     the verifier's VmHWM (peak RSS since it started)
 *                           after the storm; VmRSS is printed too.
 * Asserts nothing on time; exits 1 if any attestation failed. */

#include "boot-storm.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "confnode/basic/fileio.h"

#define STORM_MAX_RUNS 16

typedef struct StormRunFigures {
        size_t n;
        size_t succeeded;
        double wall_rate;
        double verifier_cpu_s;
        double per_core_rate;
        double p50_ms;
        double p99_ms;
        double rss_mib;
        double floor; /* cached-chain attestations/s, around this storm */
        bool have_verifier;
} StormRunFigures;

/* Nearest-rank percentile of sorted v. */
static double storm_percentile(const double *v, size_t n, double pct) {
        size_t rank;

        if (n == 0)
                return NAN;
        rank = (size_t)ceil(pct / 100.0 * (double)n);
        if (rank < 1)
                rank = 1;
        return v[rank - 1];
}

static void storm_raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int storm_policy_main(const char *sim, const char *eventlog, const char *peer,
                             const char *ark, const char *out) {
        _cleanup_(storm_platform_freep) StormPlatform *p = NULL;
        _cleanup_(json_object_putp) json_object *pol = NULL;
        const char *text;
        int r;

        if (!sim || !ark || !out) {
                fprintf(stderr, "boot-storm policy needs --sim DIR, --ark PATH and --out FILE\n");
                return 2;
        }
        r = storm_platform_load(sim, eventlog, peer, &p);
        if (r < 0)
                return 1;
        r = storm_platform_policy(p, ark, &pol);
        if (r < 0) {
                fprintf(stderr, "boot-storm: cannot build the policy: %s\n", strerror(-r));
                return 1;
        }
        text = json_object_to_json_string_ext(pol, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return 1;
        r = write_file_atomic(out, text, strlen(text), 0644);
        if (r < 0) {
                fprintf(stderr, "boot-storm: cannot write '%s': %s\n", out, strerror(-r));
                return 1;
        }
        printf("policy for the simulated platform in '%s' written to '%s' (event log '%s', "
               "%zu events)\n",
               sim, out, p->eventlog_path, p->eventlog_events);
        return 0;
}

static void storm_print_failures(const StormResult *res) {
        for (size_t i = 0; i < res->n_failures; i++)
                printf("    %6zu x %s\n             e.g. %s\n", res->failures[i].count,
                       res->failures[i].what, res->failures[i].example);
        if (res->failures_other > 0)
                printf("    %6zu x other kinds\n", res->failures_other);
}

/* One storm of n nodes, with the verifier's CPU time and memory around it. */
static int storm_one(const StormPlatform *p, const StormOptions *o, size_t n, pid_t verifier,
                     unsigned settle_ms, StormRunFigures *ret) {
        _cleanup_(storm_result_done) StormResult res = {};
        StormProc before = {}, after = {};
        StormRunFigures f = {.n = n};
        int r;

        if (verifier > 0) {
                r = storm_proc_read(verifier, &before);
                if (r < 0) {
                        fprintf(stderr, "boot-storm: cannot read /proc/%d: %s\n", (int)verifier,
                                strerror(-r));
                        return r;
                }
        }
        printf("\n== N=%zu: %zu nodes at once, %u client thread(s), at most %u connections\n", n, n,
               o->threads, o->max_connections);
        fflush(stdout);
        r = storm_run(p, o, n, &res);
        if (r < 0) {
                fprintf(stderr, "boot-storm: the storm of %zu could not run: %s\n", n,
                        strerror(-r));
                return r;
        }
        /* Let work the verifier queued (batched state writes) finish before
         * its CPU time is read; the wall figures stop at the last reply. */
        if (settle_ms > 0)
                (void)nanosleep(&(struct timespec){.tv_sec = settle_ms / 1000,
                                                   .tv_nsec = (long)(settle_ms % 1000) * 1000000},
                                NULL);
        if (verifier > 0) {
                r = storm_proc_read(verifier, &after);
                if (r < 0) {
                        fprintf(stderr, "boot-storm: cannot read /proc/%d after the storm: %s\n",
                                (int)verifier, strerror(-r));
                        return r;
                }
                f.have_verifier = true;
        }

        f.succeeded = res.succeeded;
        f.wall_rate = res.wall_s > 0 ? (double)res.succeeded / res.wall_s : 0;
        f.p50_ms = storm_percentile(res.latency_ms, res.n_latency, 50);
        f.p99_ms = storm_percentile(res.latency_ms, res.n_latency, 99);
        printf("  attestations: %zu of %zu succeeded, %zu failed (%zu requests, %zu TCP "
               "connections opened)\n",
               res.succeeded, n, res.failed, res.requests, res.connections);
        if (res.failed > 0)
                storm_print_failures(&res);
        printf("  wall:     %.3f s -> %.1f attestations/s (client and verifier on the same "
               "machine)\n",
               res.wall_s, f.wall_rate);
        printf("  latency:  /auth queued -> last resource reply: p50 %.1f ms, p99 %.1f ms, max "
               "%.1f ms\n",
               f.p50_ms, f.p99_ms, res.n_latency ? res.latency_ms[res.n_latency - 1] : (double)NAN);
        printf("  client:   %.2f CPU s (%.2f ms per node: evidence, JWE decryption, TLS); peak "
               "RSS %.1f MiB\n",
               res.client_cpu_s, n ? 1e3 * res.client_cpu_s / (double)n : 0,
               (double)res.client_maxrss_kib / 1024.0);
        if (f.have_verifier) {
                f.verifier_cpu_s = after.cpu_s - before.cpu_s;
                f.per_core_rate = f.verifier_cpu_s > 0 ? (double)res.succeeded / f.verifier_cpu_s
                                                       : (double)NAN;
                f.rss_mib = (double)after.hwm_kib / 1024.0;
                printf("  verifier: %.2f CPU s (user %.2f, sys %.2f; %ld threads; clock tick "
                       "%ld/s) -> %.1f attestations per verifier CPU-second (per core)\n",
                       f.verifier_cpu_s, after.user_s - before.user_s, after.sys_s - before.sys_s,
                       after.threads, sysconf(_SC_CLK_TCK), f.per_core_rate);
                printf("            RSS %.1f MiB now, peak (VmHWM) %.1f MiB\n",
                       (double)after.rss_kib / 1024.0, f.rss_mib);
        }
        fflush(stdout);
        *ret = f;
        return 0;
}

static void storm_usage(FILE *f) {
        fprintf(f,
                "Usage: boot-storm policy --sim DIR --ark PATH --out FILE [--eventlog FILE]\n"
                "                         [--peer-data DIR]\n"
                "       boot-storm run --url URL --cacert FILE --sim DIR [--verifier-pid PID]\n"
                "                      [--eventlog FILE] [--peer-data DIR] [--threads N]\n"
                "                      [--connections N] [--timeout S] [--warmup N]\n"
                "                      [--settle MS] [--floor-elapsed] N...\n"
                "\n"
                "policy writes a verifier policy that accepts the simulated platform in DIR.\n"
                "run measures the crypto floor with 'openssl speed', then runs one storm of N\n"
                "simulated nodes at once per N against the verifier at URL (full RCAR flow:\n"
                "auth, attest, disk key, join bundle), and prints per N the wall rate, the\n"
                "verifier's per-core rate (N / its CPU seconds, read from /proc/PID), latency\n"
                "p50/p99 and the verifier's RSS. Exit 1 if any attestation failed.\n"
                "\n"
                "  --threads N       client threads (default 2)\n"
                "  --connections N   TCP connections at most, over all threads (default 256)\n"
                "  --timeout S       per request once sent (default 120)\n"
                "  --warmup N        nodes run first and not counted (default 16)\n"
                "  --settle MS       wait after a storm before reading the verifier's CPU time\n"
                "                    (default 500)\n"
                "  --floor-elapsed   openssl speed -elapsed: rates per wall second, not per CPU\n"
                "                    second (only right on an otherwise idle machine)\n");
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"url", required_argument, NULL, 'u'},
                {"cacert", required_argument, NULL, 'c'},
                {"sim", required_argument, NULL, 's'},
                {"verifier-pid", required_argument, NULL, 'p'},
                {"eventlog", required_argument, NULL, 'e'},
                {"peer-data", required_argument, NULL, 'P'},
                {"threads", required_argument, NULL, 't'},
                {"connections", required_argument, NULL, 'C'},
                {"timeout", required_argument, NULL, 'T'},
                {"warmup", required_argument, NULL, 'w'},
                {"settle", required_argument, NULL, 'S'},
                {"ark", required_argument, NULL, 'a'},
                {"out", required_argument, NULL, 'o'},
                {"floor-elapsed", no_argument, NULL, 'E'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(storm_platform_freep) StormPlatform *platform = NULL;
        StormOptions o = {.threads = 2, .max_connections = 256, .timeout_s = 120};
        const char *sim = NULL, *eventlog = NULL, *ark = NULL, *out = NULL;
        const char *peer = getenv("PEER_DATA") ?: CONFNODE_PEER_DATA;
        StormRunFigures figures[STORM_MAX_RUNS];
        size_t ns[STORM_MAX_RUNS], n_runs = 0, warmup = 16, total_failed = 0;
        unsigned long settle_ms = 500;
        bool floor_elapsed = false;
        pid_t verifier = 0;
        StormFloor floor, before;
        const char *verb;
        int opt, r;

        if (argc < 2) {
                storm_usage(stderr);
                return 2;
        }
        verb = argv[1];
        if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
                storm_usage(stdout);
                return 0;
        }
        optind = 2;
        while ((opt = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                char *end = NULL;
                unsigned long v = 0;

                if (opt != 'u' && opt != 'c' && opt != 's' && opt != 'e' && opt != 'P' &&
                    opt != 'a' && opt != 'o' && opt != 'E' && opt != 'h' && opt != '?') {
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || *end || end == optarg || v > 100000000 ||
                            (v == 0 && opt != 'w' && opt != 'S')) {
                                fprintf(stderr, "boot-storm: '%s' is not a positive number\n",
                                        optarg);
                                return 2;
                        }
                }
                switch (opt) {
                case 'u':
                        o.url = optarg;
                        break;
                case 'c':
                        o.cacert = optarg;
                        break;
                case 's':
                        sim = optarg;
                        break;
                case 'p':
                        verifier = (pid_t)v;
                        break;
                case 'e':
                        eventlog = optarg;
                        break;
                case 'P':
                        peer = optarg;
                        break;
                case 't':
                        o.threads = (unsigned)(v > 64 ? 64 : v);
                        break;
                case 'C':
                        o.max_connections = (unsigned)(v > 65536 ? 65536 : v);
                        break;
                case 'T':
                        o.timeout_s = (long)v;
                        break;
                case 'w':
                        warmup = v;
                        break;
                case 'S':
                        settle_ms = v;
                        break;
                case 'a':
                        ark = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 'E':
                        floor_elapsed = true;
                        break;
                case 'h':
                        storm_usage(stdout);
                        return 0;
                default:
                        return 2;
                }
        }
        if (strcmp(verb, "policy") == 0)
                return storm_policy_main(sim, eventlog, peer, ark, out);
        if (strcmp(verb, "run") != 0) {
                fprintf(stderr, "boot-storm: unknown verb '%s' (policy or run)\n", verb);
                return 2;
        }
        if (!o.url || !o.cacert || !sim || optind >= argc) {
                fprintf(stderr, "boot-storm run needs --url, --cacert, --sim and at least one N\n");
                return 2;
        }
        for (; optind < argc; optind++) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(argv[optind], &end, 10);
                if (errno || *end || end == argv[optind] || v == 0 || v > 1000000) {
                        fprintf(stderr, "boot-storm: N '%s' is not 1-1000000\n", argv[optind]);
                        return 2;
                }
                if (n_runs == STORM_MAX_RUNS) {
                        fprintf(stderr, "boot-storm: at most %d values of N\n", STORM_MAX_RUNS);
                        return 2;
                }
                ns[n_runs++] = v;
        }
        if (o.threads > o.max_connections)
                o.threads = o.max_connections;

        storm_raise_nofile();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "boot-storm: curl_global_init failed\n");
                return 1;
        }
        r = storm_platform_load(sim, eventlog, peer, &platform);
        if (r < 0)
                return 1;
        printf("boot-storm: verifier %s", o.url);
        if (verifier > 0)
                printf(" (PID %d)", (int)verifier);
        printf(", simulated SEV-SNP platform '%s' (%s, measurement %02x%02x%02x%02x…)\n", sim,
               sim_config_product(platform->config.snp.generation),
               platform->config.snp.measurement[0], platform->config.snp.measurement[1],
               platform->config.snp.measurement[2], platform->config.snp.measurement[3]);
        printf("  evidence per node: SNP report (ECDSA P-384 by the simulated VCEK, ARK/ASK/VCEK "
               "table) + vTPM quote\n"
               "  (ECDSA P-256 AK, sha256:0-23) with event log '%s' (%zu bytes, %zu events) in "
               "additional_evidence\n",
               platform->eventlog_path, platform->eventlog_size, platform->eventlog_events);

        r = storm_floor_measure(floor_elapsed, &floor);
        if (r < 0) {
                fprintf(stderr, "boot-storm: no floor: openssl speed gave no figures (%s)\n",
                        strerror(-r));
                return 1;
        }
        printf("\ncrypto floor, measured now with '%s' (%s):\n", floor.command,
               floor.elapsed ? "operations per wall second" : "operations per CPU second");
        printf("  ECDSA P-384 verify %9.1f/s   ECDSA P-256 verify %9.1f/s\n", floor.p384_verify,
               floor.p256_verify);
        printf("  ECDH P-256         %9.1f/s   RSA-4096 verify    %9.1f/s\n", floor.ecdh_p256,
               floor.rsa4096_verify);
        printf("  one attestation, cached AMD chain = 1 P-384 verify (SNP report) + 1 P-256 "
               "verify (TPM quote)\n"
               "    + 2 ECDH P-256 (one JWE per resource, 2 resources) -> floor %.1f/s per core\n",
               floor.cached);
        printf("  cold chain adds 3 RSA-4096 PSS verify (ARK, ASK, VCEK) -> %.1f/s per core\n",
               floor.cold);
        printf("  The verifier caches the verified chain per VCEK, so the ratios below are "
               "against the cached-chain floor.\n");
        printf("  openssl speed ran %.1f s and got %.1f CPU s (%.0f%% of a core)%s\n", floor.wall_s,
               floor.cpu_s, floor.wall_s > 0 ? 100.0 * floor.cpu_s / floor.wall_s : 0.0,
               !floor.elapsed ? ""
               : floor.wall_s > 0 && floor.cpu_s < 0.9 * floor.wall_s
                       ? ": the machine was busy, so with -elapsed the floor is understated and "
                         "the ratios overstated"
                       : "");

        if (warmup > 0) {
                StormRunFigures f;

                printf("\nwarm-up (not counted): connections, TLS, the verifier's chain cache");
                r = storm_one(platform, &o, warmup, verifier, 0, &f);
                if (r < 0)
                        return 1;
                if (f.succeeded < warmup)
                        total_failed += warmup - f.succeeded;
        }
        /* The host's speed drifts (a shared VM: the floor has measured
         * anywhere from 1,000 to 1,550/s within minutes), so each storm gets
         * the floor measured just before it and just after it, averaged per
         * attestation: what one core could do while the storm ran. */
        before = floor;
        for (size_t i = 0; i < n_runs; i++) {
                StormFloor after;
                StormRunFigures *f = &figures[i];

                r = storm_one(platform, &o, ns[i], verifier, (unsigned)settle_ms, f);
                if (r < 0)
                        return 1;
                total_failed += ns[i] - f->succeeded;
                r = storm_floor_measure(floor_elapsed, &after);
                if (r < 0) {
                        fprintf(stderr, "boot-storm: no floor after N=%zu: %s\n", ns[i],
                                strerror(-r));
                        return 1;
                }
                f->floor = storm_floor_between(&before, &after);
                printf("  floor:    %.1f/s before the storm, %.1f/s after it -> %.1f/s for this "
                       "storm (P-384 verify %.0f/s -> %.0f/s)\n",
                       before.cached, after.cached, f->floor, before.p384_verify,
                       after.p384_verify);
                if (f->have_verifier)
                        printf("            the verifier's per-core rate is %.0f%% of it\n",
                               100.0 * f->per_core_rate / f->floor);
                fflush(stdout);
                before = after;
        }

        printf("\n");
        for (size_t i = 0; i < n_runs; i++)
                if (figures[i].succeeded < figures[i].n)
                        printf("N=%zu: %zu of %zu attestations FAILED (see above)\n", figures[i].n,
                               figures[i].n - figures[i].succeeded, figures[i].n);
        printf("attestations/s below = per core of verifier = N / verifier CPU seconds; ratio = "
               "that / the cached-chain floor around that storm (target >= 0.70)\n");
        printf("wall attestations/s (client and verifier share the machine):");
        for (size_t i = 0; i < n_runs; i++)
                printf(" N=%zu %.1f/s%s", figures[i].n, figures[i].wall_rate,
                       i + 1 < n_runs ? "," : "\n");
        for (size_t i = 0; i < n_runs; i++) {
                const StormRunFigures *f = &figures[i];

                printf("boot-storm N=%zu: %.1f attestations/s, floor %.1f/s, ratio %.2f, p99 "
                       "%.1f ms, rss %.1f MiB\n",
                       f->n, f->have_verifier ? f->per_core_rate : (double)NAN, f->floor,
                       f->have_verifier ? f->per_core_rate / f->floor : (double)NAN, f->p99_ms,
                       f->have_verifier ? f->rss_mib : (double)NAN);
        }
        curl_global_cleanup();
        return total_failed > 0 ? 1 : 0;
}
