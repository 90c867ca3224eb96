/* `confnode-verifier serve`: the KBS server. Reads its keys and policy,
 * opens the state database, serves HTTPS until SIGTERM or SIGINT, and
 * reloads the policy on SIGHUP (a policy that fails to load is logged and
 * the running one kept). */

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "appraise.h"
#include "metrics.h"
#include "policy.h"
#include "release.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "verbs.h"
#include "confnode/basic/cleanup.h"
#include "confnode/basic/fileio.h"
#include "confnode/basic/log.h"
#include "confnode/basic/secret.h"

#define DEFAULT_STATE "/var/lib/confnode-verifier/state.db"
#define DEFAULT_NONCE_TTL 300u
#define DEFAULT_TOKEN_TTL 3600u
#define DEFAULT_MAX_SESSIONS 16384u
#define MAX_TLS_FILE (1024u * 1024)

typedef struct ServeArgs {
        const char *listen;
        const char *tls_cert;
        const char *tls_key;
        const char *policy;
        const char *master_secret;
        const char *api_server;
        const char *cluster_ca;
        const char *state;
        uint64_t nonce_ttl;
        uint64_t token_ttl;
        unsigned max_connections;
        size_t max_body;
        unsigned threads;
        size_t max_sessions;
} ServeArgs;

static void serve_help(void) {
        printf("Usage: confnode-verifier serve --tls-cert PEM --tls-key PEM --policy FILE\n"
               "                               --master-secret FILE [OPTIONS]\n"
               "\n"
               "Serves the Trustee KBS protocol 0.4.0 over HTTPS: POST /kbs/v0/auth,\n"
               "POST /kbs/v0/attest, GET /kbs/v0/resource/REPO/TYPE/TAG, plus GET /healthz\n"
               "and GET /metrics (Prometheus). SIGHUP reloads the policy; SIGTERM stops.\n"
               "\n"
               "Options:\n"
               "      --listen ADDR:PORT    Address to listen on, [ADDR6]:PORT for IPv6\n"
               "                            (default " SERVER_DEFAULT_LISTEN ")\n"
               "      --tls-cert PEM        Server certificate chain (required)\n"
               "      --tls-key PEM         Its private key (required)\n"
               "      --policy FILE         Appraisal and release policy, JSON (required)\n"
               "      --master-secret FILE  32-64 bytes of raw key, mode 0600 (required)\n"
               "      --api-server URL      Kubernetes API server for join bundles (https://)\n"
               "      --cluster-ca PEM      Cluster CA for join bundles\n"
               "      --state FILE          SQLite state database\n"
               "                            (default " DEFAULT_STATE ")\n"
               "      --nonce-ttl SECS      Session lifetime after auth and after attest\n"
               "                            (default 300; suffixes s, m, h)\n"
               "      --token-ttl SECS      Bootstrap token lifetime (default 3600)\n"
               "      --max-connections N   Open connections at most (default %u)\n"
               "      --max-body BYTES      Largest attest body (default %u; suffixes K, M)\n"
               "      --threads N           Worker threads (default: one per CPU)\n"
               "      --max-sessions N      Sessions kept in memory at most (default %u)\n"
               "  -h, --help                Show this help\n",
               SERVER_DEFAULT_MAX_CONNECTIONS, KBS_PROTO_MAX_ATTESTATION, DEFAULT_MAX_SESSIONS);
}

/* "300", "90s", "5m", "1h": seconds, at least 1. */
static int parse_seconds(const char *s, uint64_t *ret) {
        unsigned long long v, mult = 1;
        char *end;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        if (strcmp(end, "h") == 0)
                mult = 3600;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
                mult = 60;
        else if (strcmp(end, "s") != 0 && *end != '\0')
                return -EINVAL;
        if (v == 0 || v > UINT32_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

/* "4194304", "512K", "4M" (binary). */
static int parse_size(const char *s, size_t *ret) {
        unsigned long long v, mult = 1;
        char *end;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        if (strcmp(end, "K") == 0 || strcmp(end, "k") == 0 || strcmp(end, "KiB") == 0)
                mult = 1024;
        else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
                mult = 1024 * 1024;
        else if (*end != '\0')
                return -EINVAL;
        if (v == 0 || v > (1ull << 30) / mult)
                return -ERANGE;
        *ret = (size_t)(v * mult);
        return 0;
}

static int parse_count(const char *s, unsigned long long max, unsigned long long *ret) {
        unsigned long long v;
        char *end;

        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        if (v == 0 || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_args(int argc, char *argv[], ServeArgs *a) {
        enum {
                ARG_LISTEN = 0x100,
                ARG_TLS_CERT,
                ARG_TLS_KEY,
                ARG_POLICY,
                ARG_MASTER,
                ARG_API_SERVER,
                ARG_CLUSTER_CA,
                ARG_STATE,
                ARG_NONCE_TTL,
                ARG_TOKEN_TTL,
                ARG_MAX_CONNECTIONS,
                ARG_MAX_BODY,
                ARG_THREADS,
                ARG_MAX_SESSIONS,
        };
        static const struct option opts[] = {
                {"listen", required_argument, NULL, ARG_LISTEN},
                {"tls-cert", required_argument, NULL, ARG_TLS_CERT},
                {"tls-key", required_argument, NULL, ARG_TLS_KEY},
                {"policy", required_argument, NULL, ARG_POLICY},
                {"master-secret", required_argument, NULL, ARG_MASTER},
                {"api-server", required_argument, NULL, ARG_API_SERVER},
                {"cluster-ca", required_argument, NULL, ARG_CLUSTER_CA},
                {"state", required_argument, NULL, ARG_STATE},
                {"nonce-ttl", required_argument, NULL, ARG_NONCE_TTL},
                {"token-ttl", required_argument, NULL, ARG_TOKEN_TTL},
                {"max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS},
                {"max-body", required_argument, NULL, ARG_MAX_BODY},
                {"threads", required_argument, NULL, ARG_THREADS},
                {"max-sessions", required_argument, NULL, ARG_MAX_SESSIONS},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        unsigned long long n;
        long cpus;
        int c, r;

        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        *a = (ServeArgs){
                .listen = SERVER_DEFAULT_LISTEN,
                .state = DEFAULT_STATE,
                .nonce_ttl = DEFAULT_NONCE_TTL,
                .token_ttl = DEFAULT_TOKEN_TTL,
                .max_connections = SERVER_DEFAULT_MAX_CONNECTIONS,
                .max_body = KBS_PROTO_MAX_ATTESTATION,
                .threads = cpus > 0 && cpus < 256 ? (unsigned)cpus : 1,
                .max_sessions = DEFAULT_MAX_SESSIONS,
        };
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        serve_help();
                        return 1;
                case ARG_LISTEN:
                        a->listen = optarg;
                        break;
                case ARG_TLS_CERT:
                        a->tls_cert = optarg;
                        break;
                case ARG_TLS_KEY:
                        a->tls_key = optarg;
                        break;
                case ARG_POLICY:
                        a->policy = optarg;
                        break;
                case ARG_MASTER:
                        a->master_secret = optarg;
                        break;
                case ARG_API_SERVER:
                        a->api_server = optarg;
                        break;
                case ARG_CLUSTER_CA:
                        a->cluster_ca = optarg;
                        break;
                case ARG_STATE:
                        a->state = optarg;
                        break;
                case ARG_NONCE_TTL:
                        r = parse_seconds(optarg, &a->nonce_ttl);
                        if (r < 0)
                                return log_error_errno(r,
                                                       "--nonce-ttl '%s' is not 1 s or more (SECS, "
                                                       "or with s, m, h)",
                                                       optarg);
                        break;
                case ARG_TOKEN_TTL:
                        r = parse_seconds(optarg, &a->token_ttl);
                        if (r < 0)
                                return log_error_errno(r,
                                                       "--token-ttl '%s' is not 1 s or more (SECS, "
                                                       "or with s, m, h)",
                                                       optarg);
                        break;
                case ARG_MAX_CONNECTIONS:
                        r = parse_count(optarg, 1000000, &n);
                        if (r < 0)
                                return log_error_errno(r, "--max-connections '%s' is not 1-1000000",
                                                       optarg);
                        a->max_connections = (unsigned)n;
                        break;
                case ARG_MAX_BODY:
                        r = parse_size(optarg, &a->max_body);
                        if (r < 0)
                                return log_error_errno(r, "--max-body '%s' is not 1 byte to 1 GiB",
                                                       optarg);
                        break;
                case ARG_THREADS:
                        r = parse_count(optarg, 1024, &n);
                        if (r < 0)
                                return log_error_errno(r, "--threads '%s' is not 1-1024", optarg);
                        a->threads = (unsigned)n;
                        break;
                case ARG_MAX_SESSIONS:
                        r = parse_count(optarg, 10000000, &n);
                        if (r < 0)
                                return log_error_errno(r, "--max-sessions '%s' is not 1-10000000",
                                                       optarg);
                        a->max_sessions = (size_t)n;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(EINVAL, "serve takes no arguments, got '%s'", argv[optind]);
        if (!a->tls_cert || !a->tls_key)
                return log_error_errno(EINVAL,
                                       "--tls-cert and --tls-key are required: the verifier "
                                       "serves HTTPS only");
        if (!a->policy)
                return log_error_errno(EINVAL, "--policy is required");
        if (!a->master_secret)
                return log_error_errno(EINVAL, "--master-secret is required");
        if (!!a->api_server != !!a->cluster_ca)
                return log_error_errno(EINVAL, "--api-server and --cluster-ca go together (join "
                                               "bundles need both)");
        return 0;
}

/* The TLS key as PEM text in locked memory. */
static int read_tls_key(const char *path, Secret **ret) {
        _cleanup_free_ uint8_t *data = NULL;
        struct stat st;
        size_t size = 0;
        int r;

        if (stat(path, &st) >= 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
                log_warning("TLS key '%s' has mode %04o: group or others may read it", path,
                            (unsigned)(st.st_mode & 07777));
        r = read_full_file(path, MAX_TLS_FILE, &data, &size);
        if (r < 0)
                return r;
        if (size == 0 || memchr(data, '\0', size)) {
                memory_wipe(data, size);
                return -EBADMSG;
        }
        r = secret_new_copy(data, size, ret);
        memory_wipe(data, size);
        return r;
}

static int load_policy(const char *path, Policy **ret_policy, Appraiser **ret_appraiser, char *err,
                       size_t err_size) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(appraiser_freep) Appraiser *a = NULL;
        int r;

        r = policy_load(path, &p, err, err_size);
        if (r < 0)
                return r;
        r = appraiser_new(p, &a, err, err_size);
        if (r < 0)
                return r;
        *ret_appraiser = TAKE_PTR(a);
        *ret_policy = TAKE_PTR(p);
        return 0;
}

static void notify(const char *msg) {
        int r = sd_notify(0, msg);
        if (r < 0)
                log_debug_errno(r, "sd_notify('%s') failed, ignoring: %m", msg);
}

static void reload(Server *server, Metrics *metrics, const char *path) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(appraiser_freep) Appraiser *a = NULL;
        char err[512] = "", msg[64];
        struct timespec ts;
        int r;

        /* Type=notify-reload wants RELOADING=1 with the time. */
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
                 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
        notify(msg);
        r = load_policy(path, &p, &a, err, sizeof(err));
        if (r < 0) {
                metrics_reload(metrics, false);
                log_error_errno(r, "Policy reload failed, keeping the running policy: %s",
                                err[0] ? err : strerror(-r));
        } else {
                server_set_policy(server, TAKE_PTR(p), TAKE_PTR(a));
                metrics_reload(metrics, true);
                log_info("Policy reloaded from '%s'", path);
        }
        notify("READY=1\nSTATUS=Serving KBS over HTTPS");
}

static int serve(const ServeArgs *args) {
        _cleanup_(server_freep) Server *server = NULL;
        _cleanup_(store_closep) Store *store = NULL;
        _cleanup_(session_table_freep) SessionTable *sessions = NULL;
        _cleanup_(metrics_freep) Metrics *metrics = NULL;
        _cleanup_(release_join_freep) ReleaseJoin *join = NULL;
        _cleanup_(secret_freep) Secret *master = NULL, *tls_key = NULL;
        _cleanup_(policy_freep) Policy *policy = NULL;
        _cleanup_(appraiser_freep) Appraiser *appraiser = NULL;
        _cleanup_free_ uint8_t *tls_cert = NULL;
        char err[512] = "", status[160];
        size_t tls_cert_size = 0;
        const ServeArgs a = *args;
        sigset_t mask;
        int r, sig;

        /* Blocked before any thread exists (the state writer, the workers):
         * they all inherit the mask, so SIGHUP, SIGTERM and SIGINT reach only
         * sigtimedwait() below, never a thread whose default action would
         * end the process mid-request. One that arrives during start-up
         * waits until the server runs. SIGPIPE (a client gone mid-answer) is
         * not worth dying for. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        r = -pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot block signals: %m");
        (void)signal(SIGPIPE, SIG_IGN);

        /* Every request allocates and frees about 100 KiB (body, parsed
         * evidence) on the worker's malloc arena. glibc's default gives a
         * freed top of more than 128 KiB back with madvise(MADV_DONTNEED),
         * which costs a TLB shootdown on every core and a page fault per page
         * on the next request: in a boot storm that was 14 % of the server's
         * CPU. Keep up to 64 MiB per arena instead, and serve allocations of
         * up to 4 MiB (the largest body) from the arenas, not from mmap. */
        (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
        (void)mallopt(M_MMAP_THRESHOLD, 4 << 20);

        r = read_full_file(a.tls_cert, MAX_TLS_FILE, &tls_cert, &tls_cert_size);
        if (r < 0)
                return log_error_errno(r, "Cannot read --tls-cert '%s': %m", a.tls_cert);
        if (tls_cert_size == 0 || memchr(tls_cert, '\0', tls_cert_size) ||
            !memmem(tls_cert, tls_cert_size, "-----BEGIN CERTIFICATE-----", 27))
                return log_error_errno(EBADMSG, "--tls-cert '%s' holds no PEM certificate",
                                       a.tls_cert);
        {
                uint8_t *p = realloc(tls_cert, tls_cert_size + 1);
                if (!p)
                        return log_error_errno(ENOMEM, "Out of memory");
                tls_cert = p;
                tls_cert[tls_cert_size] = '\0';
        }
        r = read_tls_key(a.tls_key, &tls_key);
        if (r < 0)
                return log_error_errno(r, "Cannot read --tls-key '%s': %m", a.tls_key);

        r = release_master_load(a.master_secret, &master, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);
        if (a.api_server) {
                r = release_join_new(a.api_server, a.cluster_ca, a.token_ttl, &join, err,
                                     sizeof(err));
                if (r < 0)
                        return log_error_errno(r, "%s", err);
        }
        r = load_policy(a.policy, &policy, &appraiser, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "Cannot load the policy: %s",
                                       err[0] ? err : strerror(-r));
        r = store_open(a.state, STORE_DEFAULT_QUEUE, &store, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);
        r = session_table_new(a.max_sessions, a.nonce_ttl * 1000000u, &sessions);
        if (r < 0)
                return log_error_errno(r, "Cannot make the session table: %m");
        r = metrics_new(&metrics);
        if (r < 0)
                return log_error_errno(ENOMEM, "Out of memory");

        ServerConfig cfg = {
                .listen = a.listen,
                .tls_cert_pem = (const char *)tls_cert,
                .tls_key_pem = tls_key,
                .threads = a.threads,
                .max_connections = a.max_connections,
                .max_body = a.max_body,
                .sessions = sessions,
                .store = store,
                .metrics = metrics,
                .master = master,
                .join = join,
        };
        r = server_new(&cfg, TAKE_PTR(policy), TAKE_PTR(appraiser), &server);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the server: %m");
        secret_free(TAKE_PTR(tls_key));
        r = server_start(server, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);

        log_info("Serving KBS on https://%s (port %u), %u threads, policy '%s', state '%s', "
                 "join bundles %s",
                 a.listen, server_port(server), a.threads, a.policy, a.state,
                 join ? "on" : "off (no --api-server)");
        snprintf(status, sizeof(status), "READY=1\nSTATUS=Serving KBS over HTTPS on port %u",
                 server_port(server));
        notify(status);

        for (;;) {
                struct timespec tick = {.tv_sec = 1};

                sig = sigtimedwait(&mask, NULL, &tick);
                if (sig < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(errno, "sigtimedwait() failed, ignoring: %m");
                        (void)session_table_sweep(sessions, session_now());
                        continue;
                }
                if (sig == SIGHUP) {
                        reload(server, metrics, a.policy);
                        continue;
                }
                break;
        }
        notify("STOPPING=1\nSTATUS=Stopping");
        log_info("Stopping on %s", strsignal(sig));
        /* Workers first, so nothing is queued after the store's last commit. */
        server_free(TAKE_PTR(server));
        r = store_flush(store);
        if (r < 0)
                log_error_errno(r, "Some records could not be written to '%s': %m", a.state);
        return 0;
}

int verb_serve(int argc, char *argv[]) {
        ServeArgs a;
        int r;

        r = parse_args(argc, argv, &a);
        if (r != 0)
                return r > 0 ? EXIT_VERIFIED : EXIT_USAGE;
        r = serve(&a);
        return r < 0 ? EXIT_USAGE : EXIT_VERIFIED;
}
