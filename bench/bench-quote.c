/* bench-quote: the agent's evidence step, timed. One iteration is what
 * `confnode collect` does per boot: a TPM quote (with the PCR read that goes
 * with it) plus reading, parsing and replaying the event log. Runs against
 * an swtpm it starts itself on a free loopback port (after measuring a
 * simulated boot into it with confnode-sim), or against --tcti. Prints
 * figures only; nothing here asserts a time. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "confnode/eventlog/eventlog.h"
#include "confnode/tpm/tpm-ak.h"
#include "confnode/tpm/tpm-context.h"
#include "confnode/tpm/tpm-quote.h"

extern char **environ;

#define BENCH_MIN_ITERATIONS 20
#define BENCH_EVENTLOG_MAX (16u * 1024 * 1024)

typedef struct Swtpm {
        pid_t pid;
        char dir[64];
        char tcti[96];
} Swtpm;

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void print_stats(const char *what, double *v, size_t n) {
        qsort(v, n, sizeof(v[0]), cmp_double);
        printf("  %-38s median %8.2f ms   min %8.2f   p90 %8.2f   max %8.2f\n", what,
               n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0],
               v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[n - 1]);
}

/* A loopback port nobody uses right now, with the next one free too (the
 * swtpm control channel). Someone may take it before swtpm binds; the
 * caller then tries again. */
static int free_port_pair(unsigned *ret) {
        for (int attempt = 0; attempt < 50; attempt++) {
                struct sockaddr_in a = {.sin_family = AF_INET,
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                socklen_t len = sizeof(a);
                int s1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s2;
                unsigned port = 0;

                if (s1 < 0)
                        return -errno;
                if (bind(s1, (struct sockaddr *)&a, sizeof(a)) < 0 ||
                    getsockname(s1, (struct sockaddr *)&a, &len) < 0) {
                        close(s1);
                        return -errno;
                }
                port = ntohs(a.sin_port);
                s2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                a.sin_port = htons((uint16_t)(port + 1));
                if (s2 >= 0 && port < 65535 && bind(s2, (struct sockaddr *)&a, sizeof(a)) == 0) {
                        close(s1);
                        close(s2);
                        *ret = port;
                        return 0;
                }
                close(s1);
                if (s2 >= 0)
                        close(s2);
        }
        return -EADDRINUSE;
}

static bool port_listening(unsigned port) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                                .sin_port = htons((uint16_t)port)};
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        if (s < 0)
                return false;
        ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(s);
        return ok;
}

static int run(char *const argv[]) {
        pid_t pid;
        int status, r;

        r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (r != 0)
                return -r;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path) < 0 ? -1 : 0;
}

static void swtpm_stop(Swtpm *t) {
        if (t->pid > 0) {
                (void)kill(t->pid, SIGTERM);
                (void)waitpid(t->pid, NULL, 0);
                t->pid = 0;
        }
        if (t->dir[0]) {
                (void)nftw(t->dir, unlink_cb, 8, FTW_DEPTH | FTW_PHYS);
                t->dir[0] = 0;
        }
}

static int swtpm_start(Swtpm *t) {
        strcpy(t->dir, "/tmp/bench-quote-XXXXXX");
        if (!mkdtemp(t->dir)) {
                t->dir[0] = 0;
                return -errno;
        }
        for (int attempt = 0; attempt < 10; attempt++) {
                char server[96], ctrl[96], state[128], logf[128];
                char *argv[] = {"swtpm",
                                "socket",
                                "--tpm2",
                                "--tpmstate",
                                state,
                                "--server",
                                server,
                                "--ctrl",
                                ctrl,
                                "--flags",
                                "startup-clear,not-need-init",
                                "--log",
                                logf,
                                NULL};
                unsigned port = 0;
                int r;

                r = free_port_pair(&port);
                if (r < 0)
                        return r;
                snprintf(server, sizeof(server), "type=tcp,port=%u,bindaddr=127.0.0.1", port);
                snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%u,bindaddr=127.0.0.1", port + 1);
                snprintf(state, sizeof(state), "dir=%s", t->dir);
                snprintf(logf, sizeof(logf), "file=%s/swtpm.log", t->dir);
                r = posix_spawnp(&t->pid, "swtpm", NULL, NULL, argv, environ);
                if (r != 0)
                        return -r;
                for (int i = 0; i < 100; i++) {
                        if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
                                t->pid = 0; /* lost the port race: another try */
                                break;
                        }
                        if (port_listening(port)) {
                                snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%u",
                                         port);
                                return 0;
                        }
                        usleep(50 * 1000);
                }
                if (t->pid > 0) {
                        (void)kill(t->pid, SIGTERM);
                        (void)waitpid(t->pid, NULL, 0);
                        t->pid = 0;
                }
        }
        return -EADDRINUSE;
}

static int eventlog_step(const char *path, const PcrSelection *sel, size_t *ret_size,
                         size_t *ret_events, size_t *ret_replayed) {
        _cleanup_(eventlog_freep) EventLog *log = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        ParseError err;
        size_t size;
        int r;

        r = read_full_file(path, BENCH_EVENTLOG_MAX, &data, &size);
        if (r < 0)
                return r;
        r = eventlog_parse(data, size, EVENTLOG_TCG, &err, &log);
        if (r < 0)
                return r;
        *ret_replayed = 0;
        for (size_t b = 0; b < sel->n_banks; b++) {
                EventLogBankValues v;

                r = eventlog_replay(log, sel->banks[b].alg, &v);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                (*ret_replayed)++;
        }
        *ret_size = size;
        *ret_events = log->n_events;
        return 0;
}

static void help(void) {
        printf("Usage: bench-quote [--tcti TCTI --eventlog FILE] [--iterations N] [--pcrs SEL] "
               "[--ak ALG]\n"
               "\n"
               "Times one quote + PCR read + event log read, parse and replay, N times (N >= %d),\n"
               "and prints the median. Without --tcti it starts its own swtpm on a free loopback\n"
               "port and measures a simulated boot into it with confnode-sim (--sim PATH);\n"
               "--eventlog then picks another log to time instead of that one.\n",
               BENCH_MIN_ITERATIONS);
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                {"tcti", required_argument, NULL, 't'},
                {"eventlog", required_argument, NULL, 'e'},
                {"iterations", required_argument, NULL, 'n'},
                {"pcrs", required_argument, NULL, 'p'},
                {"ak", required_argument, NULL, 'a'},
                {"sim", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *tcti = NULL, *eventlog = NULL, *pcrs = "sha256:0-9", *sim = CONFNODE_SIM_PATH;
        TpmAkAlgorithm alg = TPM_AK_RSA2048;
        _cleanup_(tpm_context_freep) TpmContext *tpm = NULL;
        _cleanup_(tpm_object_flush) TpmObject ak = TPM_OBJECT_NULL;
        _cleanup_free_ uint8_t *ak_pub = NULL;
        _cleanup_free_ double *total = NULL, *quote = NULL, *elog = NULL;
        Swtpm swtpm = {};
        char logpath[128], err[160];
        PcrSelection sel;
        size_t ak_pub_size, log_size = 0, log_events = 0, log_replayed = 0;
        long n = 50;
        double t0, t1, t2, ak_ms;
        int c, r, ret = 1;

        log_setup(LOG_TARGET_CONSOLE);
        while ((c = getopt_long(argc, argv, "t:e:n:p:a:s:h", opts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        tcti = optarg;
                        break;
                case 'e':
                        eventlog = optarg;
                        break;
                case 'n':
                        n = strtol(optarg, NULL, 10);
                        break;
                case 'p':
                        pcrs = optarg;
                        break;
                case 'a':
                        if (strcmp(optarg, "rsa2048") == 0)
                                alg = TPM_AK_RSA2048;
                        else if (strcmp(optarg, "ecc-p256") == 0)
                                alg = TPM_AK_ECC_P256;
                        else {
                                log_error("--ak must be rsa2048 or ecc-p256");
                                return 2;
                        }
                        break;
                case 's':
                        sim = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        }
        if (n < BENCH_MIN_ITERATIONS || n > 100000) {
                log_error("--iterations must be %d-100000", BENCH_MIN_ITERATIONS);
                return 2;
        }
        if (pcr_selection_parse(pcrs, &sel, err, sizeof(err)) < 0) {
                log_error("--pcrs: %s", err);
                return 2;
        }
        if (tcti && !eventlog) {
                log_error("--tcti needs --eventlog FILE (the log of that TPM's boot)");
                return 2;
        }
        total = calloc((size_t)n, sizeof(double));
        quote = calloc((size_t)n, sizeof(double));
        elog = calloc((size_t)n, sizeof(double));
        if (!total || !quote || !elog)
                return log_error_errno(ENOMEM, "Out of memory"), 1;

        if (!tcti) {
                r = swtpm_start(&swtpm);
                if (r < 0) {
                        log_error_errno(r, "Cannot start swtpm: %m");
                        goto finish;
                }
                tcti = swtpm.tcti;
                snprintf(logpath, sizeof(logpath), "%s/binary_bios_measurements", swtpm.dir);
                r = run((char *const[]){(char *)sim, "measure-boot", "--tcti", swtpm.tcti, "--out",
                                        logpath, NULL});
                if (r < 0) {
                        log_error_errno(r, "'%s measure-boot' failed: %m", sim);
                        goto finish;
                }
                /* --eventlog still wins: timing a bigger, real log. */
                if (!eventlog)
                        eventlog = logpath;
        }

        r = tpm_context_open(tcti, &tpm);
        if (r < 0) {
                log_error_errno(r, "Cannot open the TPM through '%s': %m", tcti);
                goto finish;
        }
        t0 = now_ms();
        r = tpm_ak_open(tpm, alg, 0, &ak, &ak_pub, &ak_pub_size);
        ak_ms = now_ms() - t0;
        if (r < 0) {
                log_error_errno(r, "Cannot create the AK: %m");
                goto finish;
        }

        for (long i = 0; i < n; i++) {
                _cleanup_(tpm_quote_freep) TpmQuote *q = NULL;
                uint8_t nonce[32];

                for (size_t k = 0; k < sizeof(nonce); k++)
                        nonce[k] = (uint8_t)(i + (long)k);
                t0 = now_ms();
                r = tpm_quote_take(tpm, &ak, ak_pub, ak_pub_size, &sel, nonce, sizeof(nonce), &q);
                t1 = now_ms();
                if (r < 0) {
                        log_error_errno(r, "Quote failed: %m");
                        goto finish;
                }
                r = eventlog_step(eventlog, &sel, &log_size, &log_events, &log_replayed);
                t2 = now_ms();
                if (r < 0) {
                        log_error_errno(r, "Event log '%s' failed: %m", eventlog);
                        goto finish;
                }
                quote[i] = t1 - t0;
                elog[i] = t2 - t1;
                total[i] = t2 - t0;
        }

        printf("bench-quote: %ld iterations against %s, %s AK, PCRs %s\n", n,
               swtpm.pid > 0 ? "its own swtpm" : tcti, tpm_ak_algorithm_to_string(alg), pcrs);
        printf("  event log: %zu bytes, %zu events, %zu of %zu selected banks replayed\n", log_size,
               log_events, log_replayed, sel.n_banks);
        printf("  %-38s %8.2f ms (once, not in the figures below)\n", "AK creation (CreatePrimary)",
               ak_ms);
        print_stats("quote + PCR read", quote, (size_t)n);
        print_stats("event log read + parse + replay", elog, (size_t)n);
        print_stats("total per collect", total, (size_t)n);
        ret = 0;
finish:
        tpm_object_flush(&ak);
        tpm_context_free(TAKE_PTR(tpm));
        swtpm_stop(&swtpm);
        return ret;
}
