/* bench-eventlog: how long the agent and the verifier spend on an event log.
 * Parses and replays (every bank) the largest TCG log of the peer set, or the
 * files given, N times each and prints the median and spread. Asserts
 * nothing: figures depend on the machine.
 *
 *   bench-eventlog [-n RUNS] [FILE...]
 */

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/json-util.h"
#include "confnode/basic/reader.h"
#include "confnode/eventlog/eventlog-json.h"
#include "confnode/eventlog/eventlog.h"

#define BENCH_EVENTLOG_MAX_FILE (64u * 1024 * 1024)
#define BENCH_EVENTLOG_WARMUP 20

typedef struct BenchEventlogSample {
        double parse, replay, both, inspect; /* microseconds */
} BenchEventlogSample;

static double bench_eventlog_now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int bench_eventlog_cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Sorts v and prints its median with the 10th and 90th percentiles. */
static void bench_eventlog_print(const char *what, double *v, size_t n, size_t bytes) {
        double median;

        qsort(v, n, sizeof(*v), bench_eventlog_cmp);
        median = v[n / 2];
        printf("  %-22s median %9.1f us   p10 %9.1f us   p90 %9.1f us   min %9.1f us", what, median,
               v[n / 10], v[n * 9 / 10], v[0]);
        if (bytes > 0 && median > 0)
                printf("   %7.1f MB/s", (double) bytes / median);
        printf("\n");
}

/* One run: parse, replay every bank, then the full `confnode inspect` path. */
static int bench_eventlog_once(const uint8_t *data, size_t size, BenchEventlogSample *ret) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_(json_object_putp) json_object *out = NULL;
        double t0, t1, t2, t3;
        ParseError err;
        int r;

        t0 = bench_eventlog_now_us();
        r = eventlog_parse(data, size, EVENTLOG_TCG, &err, &log);
        if (r < 0)
                return r;
        t1 = bench_eventlog_now_us();
        for (size_t b = 0; b < log->n_banks; b++) {
                EventLogBankValues v;

                r = eventlog_replay(log, log->banks[b], &v);
                if (r < 0)
                        return r;
        }
        t2 = bench_eventlog_now_us();
        r = eventlog_inspect_tcg(data, size, &out, &err);
        if (r < 0)
                return r;
        t3 = bench_eventlog_now_us();

        *ret = (BenchEventlogSample){
                .parse = t1 - t0, .replay = t2 - t1, .both = t2 - t0, .inspect = t3 - t2
        };
        return 0;
}

static int bench_eventlog_file(const char *path, size_t runs) {
        _cleanup_free_ double *parse = NULL, *replay = NULL, *both = NULL, *inspect = NULL;
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        char buf[256];
        int r;

        r = read_full_file(path, BENCH_EVENTLOG_MAX_FILE, &data, &size);
        if (r < 0) {
                fprintf(stderr, "Cannot read '%s': %s\n", path, strerror(-r));
                return r;
        }
        r = eventlog_parse(data, size, EVENTLOG_TCG, &err, &log);
        if (r < 0) {
                fprintf(stderr, "'%s' is not a TCG event log: %s\n", path,
                        parse_error_string(&err, buf, sizeof(buf)));
                return r;
        }

        parse = calloc(runs, sizeof(double));
        replay = calloc(runs, sizeof(double));
        both = calloc(runs, sizeof(double));
        inspect = calloc(runs, sizeof(double));
        if (!parse || !replay || !both || !inspect)
                return -ENOMEM;

        for (size_t i = 0; i < BENCH_EVENTLOG_WARMUP + runs; i++) {
                BenchEventlogSample s = {};

                r = bench_eventlog_once(data, size, &s);
                if (r < 0) {
                        fprintf(stderr, "Run %zu on '%s' failed: %s\n", i, path, strerror(-r));
                        return r;
                }
                if (i < BENCH_EVENTLOG_WARMUP)
                        continue;
                parse[i - BENCH_EVENTLOG_WARMUP] = s.parse;
                replay[i - BENCH_EVENTLOG_WARMUP] = s.replay;
                both[i - BENCH_EVENTLOG_WARMUP] = s.both;
                inspect[i - BENCH_EVENTLOG_WARMUP] = s.inspect;
        }

        printf("%s: %zu bytes, %zu events, %zu banks (%s), %zu runs\n", path, size, log->n_events,
               log->n_banks, log->crypto_agile ? "crypto-agile" : "sha1", runs);
        bench_eventlog_print("parse", parse, runs, size);
        bench_eventlog_print("replay (all banks)", replay, runs, 0);
        bench_eventlog_print("parse + replay", both, runs, size);
        bench_eventlog_print("inspect JSON", inspect, runs, 0);
        return 0;
}

/* The largest TCG log of the peer set: eventlog/{ga,gtt,t2t}-*.bin and the
 * logs saved with TPM quotes (the CCEL files are TDX logs, not measured here). */
static int bench_eventlog_largest(const char *peer, char *ret, size_t ret_size) {
        static const struct {
                const char *dir, *pattern;
        } sets[] = {
                { "eventlog", "ga-*.bin" },
                { "eventlog", "gtt-*.bin" },
                { "eventlog", "t2t-*.bin" },
                { "tpm-quote", "*eventlog*.bin" },
        };
        size_t best = 0;

        for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                char dir[4096];
                struct dirent *de;
                DIR *d;

                snprintf(dir, sizeof(dir), "%s/%s", peer, sets[s].dir);
                d = opendir(dir);
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        _cleanup_free_ uint8_t *data = NULL;
                        char path[8192];
                        size_t size;

                        if (fnmatch(sets[s].pattern, de->d_name, 0) != 0)
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                        if (read_full_file(path, BENCH_EVENTLOG_MAX_FILE, &data, &size) < 0 ||
                            size <= best)
                                continue;
                        best = size;
                        snprintf(ret, ret_size, "%s", path);
                }
                closedir(d);
        }
        return best > 0 ? 0 : -ENOENT;
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                { "runs", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        size_t runs = 1000;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'n': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);

                        if (*end != 0 || v < 10 || v > 10000000) {
                                fprintf(stderr, "--runs wants a number from 10 to 10000000\n");
                                return 2;
                        }
                        runs = v;
                        break;
                }
                case 'h':
                        printf("Usage: bench-eventlog [-n RUNS] [FILE...]\n"
                               "Without FILE: the largest TCG log under $PEER_DATA (default %s).\n",
                               CONFNODE_PEER_DATA);
                        return 0;
                default:
                        return 2;
                }
        }

        if (optind == argc) {
                const char *peer = getenv("PEER_DATA") ?: CONFNODE_PEER_DATA;
                char path[8192];

                if (bench_eventlog_largest(peer, path, sizeof(path)) < 0) {
                        fprintf(stderr, "No TCG event log found under '%s'\n", peer);
                        return 1;
                }
                return bench_eventlog_file(path, runs) < 0 ? 1 : 0;
        }
        for (int i = optind; i < argc; i++)
                if (bench_eventlog_file(argv[i], runs) < 0)
                        r = 1;
        return r;
}
