/* bench-attest: the verifier's work on one attestation, in process, without
 * HTTP or TLS, so it can be measured and profiled on its own:
 *
 *   bench-attest [--sim DIR] [-n N] [--warmup W] [--eventlog FILE] [--peer-data DIR]
 *                [--save-body FILE]
 *
 * Per iteration, untimed: a fresh nonce (32 random bytes, base64, as the
 * verifier's session makes it), a fresh P-256 ephemeral key (the
 * tee-pubkey) and the Attestation body of the boot-storm platform
 * (bench/boot-storm-platform.c, built as the agent builds it). Then timed,
 * each phase summed on its own, as src/verifier/server.c's attest_decide()
 * and handle_resource() do it: kbs_attestation_parse, kbs_evidence_from_json,
 * jwk_to_pkey, appraisal_input_from_attestation, appraise, and two
 * releases (a disk key and a join bundle), each with jwe_encrypt to the
 * tee-pubkey. Every appraisal must accept (exit 1 otherwise, with the
 * reason). Phases are timed in thread CPU time (CLOCK_THREAD_CPUTIME_ID);
 * the rate is attestations per CPU-second of the timed loop (getrusage
 * around it: every body is built before it starts).
 *
 * Without --sim it runs `confnode-sim init` (the one this tree built) in a
 * temporary directory and removes it at exit. The policy is the one
 * `boot-storm policy` writes, built in memory with the sim's ARK as anchor;
 * the join bundle's cluster CA is the sim's ARK certificate too (any PEM
 * certificate does: the bundle only carries it). The timed work lives in
 * bench_attest_one(), so `perf report --children` under it shows the
 * verifier's share alone. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <malloc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "appraise.h"
#include "boot-storm.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/openssl-cleanup.h"
#include "confnode/basic/secret.h"
#include "confnode/crypto/jwe.h"
#include "confnode/crypto/jwk.h"
#include "confnode/kbs/kbs-evidence.h"
#include "confnode/kbs/kbs-proto.h"
#include "policy.h"
#include "release.h"

extern char **environ;

enum {
        PHASE_PARSE,
        PHASE_EVIDENCE,
        PHASE_JWK,
        PHASE_INPUT,
        PHASE_APPRAISE,
        PHASE_RELEASE,
        PHASE_JWE,
        _PHASE_MAX,
};

static const char *const phase_name[_PHASE_MAX] = {
        [PHASE_PARSE] = "kbs_attestation_parse",
        [PHASE_EVIDENCE] = "kbs_evidence_from_json",
        [PHASE_JWK] = "jwk_to_pkey",
        [PHASE_INPUT] = "appraisal_input_from_attestation",
        [PHASE_APPRAISE] = "appraise",
        [PHASE_RELEASE] = "release (disk key + join bundle)",
        [PHASE_JWE] = "jwe_encrypt (x2)",
};

typedef struct Bench {
        Appraiser *appraiser;
        Secret *master;
        ReleaseJoin *join;
        double phase_ns[_PHASE_MAX];
} Bench;

typedef struct BenchBody {
        char *nonce;
        char *body;
        size_t size;
} BenchBody;

static const char DISK_UUID[] = "0f6a4c2e-8d1b-4b7a-9c3e-5a2d7e6f1b40";

static uint64_t thread_ns(void) {
        struct timespec ts;

        (void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Over the whole timed loop: getrusage() is exact over a long span only. */
static double process_rusage_s(void) {
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return 0;
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* confnode-sim's chatter goes to log, shown only when it fails. */
static int sim_init(const char *dir, const char *log) {
        char *argv[] = {(char *)CONFNODE_SIM_PATH, (char *)"init", (char *)dir, NULL};
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int status, r;

        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        (void)posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log,
                                               O_WRONLY | O_CREAT | O_TRUNC, 0600);
        (void)posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
        r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "bench-attest: cannot run '%s': %s\n", argv[0], strerror(r));
                return -r;
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                _cleanup_free_ char *text = NULL;
                size_t size;

                fprintf(stderr, "bench-attest: '%s init %s' failed:\n", argv[0], dir);
                if (read_full_file(log, 65536, (uint8_t **)&text, &size) >= 0)
                        fwrite(text, 1, size, stderr);
                return -EIO;
        }
        return 0;
}

/* One resource as handle_resource() makes it: the plaintext, then the JWE
 * to the session's key. */
static int bench_release(Bench *b, EVP_PKEY *key, JwkAlg alg, bool join) {
        _cleanup_(secret_freep) Secret *plain = NULL;
        _cleanup_free_ char *jwe = NULL;
        uint8_t token_hash[RELEASE_TOKEN_HASH_SIZE];
        time_t expires;
        size_t jwe_size = 0;
        uint64_t t0, t1, t2;
        int r;

        t0 = thread_ns();
        if (join)
                r = release_join_bundle(b->join, time(NULL), &plain, token_hash, &expires);
        else
                r = release_disk_key(b->master, DISK_UUID, &plain);
        t1 = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: cannot make the %s: %s\n",
                        join ? "join bundle" : "disk key", strerror(-r));
                return r;
        }
        r = jwe_encrypt(key, alg, plain->data, plain->size, NULL, &jwe, &jwe_size);
        t2 = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: cannot encrypt the %s: %s\n",
                        join ? "join bundle" : "disk key", strerror(-r));
                return r;
        }
        b->phase_ns[PHASE_RELEASE] += (double)(t1 - t0);
        b->phase_ns[PHASE_JWE] += (double)(t2 - t1);
        return 0;
}

/* The timed part: what the verifier does for one node between reading the
 * Attestation body and handing out the two resources. */
static __attribute__((noinline)) int bench_attest_one(Bench *b, const char *nonce,
                                                      const char *body, size_t size) {
        _cleanup_(kbs_attestation_freep) KbsAttestation *att = NULL;
        _cleanup_(kbs_evidence_freep) KbsEvidence *ev = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        KbsProtoError perr = {};
        JwkError jerr = {};
        JwkAlg alg;
        AppraisalInput in = {};
        Appraisal ap = {};
        uint64_t t[6];
        char ebuf[300];
        int r;

        t[0] = thread_ns();
        r = kbs_attestation_parse(body, size, &att, &perr);
        t[1] = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: kbs_attestation_parse: %s\n",
                        kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
                return r;
        }
        if (att->legacy || !att->nonce || strcmp(att->nonce, nonce) != 0) {
                fprintf(stderr, "bench-attest: the Attestation does not carry this nonce\n");
                return -EBADMSG;
        }
        r = kbs_evidence_from_json(KBS_TEE_SNP, att->primary_evidence, att->additional_evidence,
                                   &ev, &perr);
        t[2] = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: kbs_evidence_from_json: %s\n",
                        kbs_proto_error_string(&perr, ebuf, sizeof(ebuf)));
                return r;
        }
        r = jwk_to_pkey(att->tee_pubkey, &key, &alg, &jerr);
        t[3] = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: jwk_to_pkey: %s%s%s\n", jerr.member ?: "",
                        jerr.member ? ": " : "", jerr.what ?: strerror(-r));
                return r;
        }
        r = appraisal_input_from_attestation(nonce, KBS_HASH_SHA384, att, ev, &in);
        t[4] = thread_ns();
        if (r < 0) {
                fprintf(stderr, "bench-attest: appraisal_input_from_attestation: %s\n",
                        strerror(-r));
                return r;
        }
        in.at = time(NULL);
        r = appraise(b->appraiser, &in, &ap);
        t[5] = thread_ns();
        if (r < 0 || !ap.accepted) {
                if (r < 0)
                        fprintf(stderr, "bench-attest: appraise: %s\n", strerror(-r));
                else
                        fprintf(stderr, "bench-attest: the appraisal rejected: %s: %s\n",
                                ap.reason ?: "appraisal.rejected", ap.detail);
                appraisal_done(&ap);
                return r < 0 ? r : -EPERM;
        }
        appraisal_done(&ap);
        for (unsigned i = 0; i < 5; i++)
                b->phase_ns[i] += (double)(t[i + 1] - t[i]);

        r = bench_release(b, key, alg, false);
        if (r < 0)
                return r;
        r = bench_release(b, key, alg, true);
        if (r < 0)
                return r;
        return 0;
}

/* Untimed: what the node sends for a fresh session. */
static int bench_body(const StormPlatform *p, char **ret_nonce, char **ret_body,
                      size_t *ret_size) {
        _cleanup_(ephemeral_key_freep) EphemeralKey *k = NULL;
        _cleanup_(json_object_putp) json_object *jwk = NULL;
        _cleanup_free_ char *nonce = NULL;
        int r;

        r = kbs_nonce_new(&nonce);
        if (r < 0)
                return r;
        r = ephemeral_key_new(EPHEMERAL_KEY_P256, &k);
        if (r < 0)
                return r;
        r = ephemeral_key_to_jwk(k, &jwk);
        if (r < 0)
                return r;
        r = storm_platform_attestation(p, KBS_HASH_SHA384, nonce, jwk, ret_body, ret_size);
        if (r < 0)
                return r;
        *ret_nonce = TAKE_PTR(nonce);
        return 0;
}

static int bench_setup(Bench *b, const StormPlatform *p, const char *sim, Policy **ret_policy) {
        _cleanup_(json_object_putp) json_object *pj = NULL;
        _cleanup_(policy_freep) Policy *pol = NULL;
        _cleanup_free_ char *ark = NULL;
        uint8_t master[32];
        char err[512];
        int r;

        if (asprintf(&ark, "%s/amd/ark.pem", sim) < 0)
                return -ENOMEM;
        r = storm_platform_policy(p, ark, &pj);
        if (r < 0) {
                fprintf(stderr, "bench-attest: cannot build the policy: %s\n", strerror(-r));
                return r;
        }
        r = policy_from_json(pj, "<bench-attest>", &pol, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bench-attest: the policy does not load: %s\n", err);
                return r;
        }
        r = appraiser_new(pol, &b->appraiser, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bench-attest: no appraiser: %s\n", err);
                return r;
        }
        if (RAND_bytes(master, sizeof(master)) != 1)
                return -EIO;
        r = secret_new_copy(master, sizeof(master), &b->master);
        memory_wipe(master, sizeof(master));
        if (r < 0)
                return r;
        r = release_join_new("https://127.0.0.1:6443", ark, 3600, &b->join, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bench-attest: no join bundle: %s\n", err);
                return r;
        }
        *ret_policy = TAKE_PTR(pol);
        return 0;
}

static void bench_done(Bench *b) {
        appraiser_free(b->appraiser);
        secret_free(b->master);
        release_join_free(b->join);
}

static void usage(FILE *f) {
        fprintf(f, "Usage: bench-attest [--sim DIR] [-n N] [--warmup W] [--eventlog FILE] "
                   "[--peer-data DIR]\n"
                   "                    [--save-body FILE]\n"
                   "The verifier's per-attestation work in process (parse, evidence, tee-pubkey,\n"
                   "binding, appraisal, two releases with JWE), mean per phase over N (default\n"
                   "200) after W (default 5) untimed ones. Without --sim, runs `confnode-sim\n"
                   "init` in a temporary directory. --save-body writes the first body.\n");
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"sim", required_argument, NULL, 's'},
                {"eventlog", required_argument, NULL, 'e'},
                {"peer-data", required_argument, NULL, 'p'},
                {"warmup", required_argument, NULL, 'w'},
                {"save-body", required_argument, NULL, 'b'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(storm_platform_freep) StormPlatform *platform = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        const char *sim = NULL, *eventlog = NULL, *peer = CONFNODE_PEER_DATA, *save = NULL;
        char tmp[] = "/tmp/bench-attest.XXXXXX", simdir[sizeof(tmp) + 8],
                                                 simlog[sizeof(tmp) + 16];
        unsigned long n = 200, warmup = 5;
        BenchBody *bodies = NULL;
        Bench b = {};
        double total = 0, t0 = 0, ru0 = 0, ru;
        bool made = false;
        int c, r, ret = 1;

        while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) >= 0) {
                char *end;

                switch (c) {
                case 's':
                        sim = optarg;
                        break;
                case 'e':
                        eventlog = optarg;
                        break;
                case 'p':
                        peer = optarg;
                        break;
                case 'b':
                        save = optarg;
                        break;
                case 'n':
                case 'w':
                        errno = 0;
                        *(c == 'n' ? &n : &warmup) = strtoul(optarg, &end, 10);
                        if (errno || *end || optarg[0] == '-' || (c == 'n' && n == 0)) {
                                fprintf(stderr, "bench-attest: bad count '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }
        /* As `confnode-verifier serve` sets its heap (cmd-serve.c): no trim
         * of a freed top per request, bodies from the arena, not mmap. */
        (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
        (void)mallopt(M_MMAP_THRESHOLD, 4 << 20);

        if (!sim) {
                if (!mkdtemp(tmp)) {
                        fprintf(stderr, "bench-attest: mkdtemp: %s\n", strerror(errno));
                        return 1;
                }
                made = true;
                snprintf(simdir, sizeof(simdir), "%s/sim", tmp);
                snprintf(simlog, sizeof(simlog), "%s/sim-init.log", tmp);
                if (sim_init(simdir, simlog) < 0)
                        goto out;
                sim = simdir;
        }
        r = storm_platform_load(sim, eventlog, peer, &platform);
        if (r < 0)
                goto out;
        r = bench_setup(&b, platform, sim, &policy);
        if (r < 0)
                goto out;

        /* All bodies first, so the timed loop (and a profile of it) holds
         * the verifier's work alone. */
        bodies = calloc(warmup + n, sizeof(*bodies));
        if (!bodies)
                goto out;
        for (unsigned long i = 0; i < warmup + n; i++) {
                r = bench_body(platform, &bodies[i].nonce, &bodies[i].body, &bodies[i].size);
                if (r < 0) {
                        fprintf(stderr, "bench-attest: cannot build an Attestation: %s\n",
                                strerror(-r));
                        goto out;
                }
        }
        if (save) {
                r = write_file_atomic(save, bodies[0].body, bodies[0].size, 0644);
                if (r < 0) {
                        fprintf(stderr, "bench-attest: cannot write '%s': %s\n", save,
                                strerror(-r));
                        goto out;
                }
        }
        printf("bench-attest: Attestation body %zu bytes, event log '%s' (%zu events), %lu "
               "iterations after %lu untimed\n",
               bodies[0].size, platform->eventlog_path, platform->eventlog_events, n, warmup);
        for (unsigned long i = 0; i < warmup + n; i++) {
                if (i == warmup) {
                        memset(b.phase_ns, 0, sizeof(b.phase_ns));
                        ru0 = process_rusage_s();
                }
                r = bench_attest_one(&b, bodies[i].nonce, bodies[i].body, bodies[i].size);
                if (r < 0)
                        goto out;
                free(bodies[i].body);
                bodies[i].body = NULL;
        }
        ru = process_rusage_s() - ru0;
        for (unsigned i = 0; i < _PHASE_MAX; i++) {
                double us = b.phase_ns[i] / 1e3 / (double)n;

                printf("  %-36s %9.1f us\n", phase_name[i], us);
                total += us;
                if (i <= PHASE_INPUT)
                        t0 += us;
        }
        printf("  %-36s %9.1f us (parse to binding: %.1f us)\n", "total per attestation", total,
               t0);
        printf("  attestations per CPU-second: %.0f (getrusage: %.3f s of CPU for %lu)\n",
               ru > 0 ? (double)n / ru : 0.0, ru, n);
        ret = 0;
out:
        if (bodies)
                for (unsigned long i = 0; i < warmup + n; i++) {
                        free(bodies[i].nonce);
                        free(bodies[i].body);
                }
        free(bodies);
        bench_done(&b);
        if (made)
                (void)nftw(tmp, unlink_cb, 8, FTW_DEPTH | FTW_PHYS);
        return ret;
}
