#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* Status codes the server answers with; anything else counts as "other". */
static const unsigned http_codes[] = {200, 400, 401, 404, 405, 413, 500, 503};
#define N_HTTP (ELEMENTSOF(http_codes) + 1)

static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

static const char *const result_names[_METRICS_RESULT_MAX] = {
        [METRICS_ACCEPTED] = "accepted",
        [METRICS_REJECTED] = "rejected",
        [METRICS_ERROR] = "error",
};

static const char *const resource_names[_METRICS_RESOURCE_MAX] = {
        [METRICS_RESOURCE_RELEASED] = "released",
        [METRICS_RESOURCE_UNAUTHENTICATED] = "unauthenticated",
        [METRICS_RESOURCE_DENIED] = "denied",
        [METRICS_RESOURCE_UNKNOWN] = "unknown",
        [METRICS_RESOURCE_ERROR] = "error",
};

/* The names of policy.h's ResourceKind, kept here so metrics need only the
 * enum. */
static const char *const kind_names[_RESOURCE_KIND_MAX] = {
        [RESOURCE_DISK_KEY] = "disk-key",
        [RESOURCE_JOIN_BUNDLE] = "join-bundle",
};

struct Metrics {
        atomic_uint_fast64_t auth[2]; /* refused, ok */
        atomic_uint_fast64_t attest[_KBS_TEE_MAX + 1][_METRICS_RESULT_MAX];
        atomic_uint_fast64_t latency[METRICS_LATENCY_BUCKETS + 1]; /* per bucket, not cumulative */
        atomic_uint_fast64_t latency_sum_usec;
        atomic_uint_fast64_t resources[_METRICS_RESOURCE_MAX];
        atomic_uint_fast64_t releases[_RESOURCE_KIND_MAX];
        atomic_uint_fast64_t http[N_HTTP];
        atomic_uint_fast64_t reloads[2]; /* failed, ok */
        atomic_uint_fast64_t refused;
};

int metrics_new(Metrics **ret) {
        Metrics *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        *ret = m;
        return 0;
}

void metrics_free(Metrics *m) {
        free(m);
}

static void inc(atomic_uint_fast64_t *c) {
        atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *c) {
        return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_auth(Metrics *m, bool ok) {
        inc(&m->auth[ok]);
}

void metrics_attestation(Metrics *m, KbsTee tee, MetricsResult result, uint64_t duration_usec) {
        size_t t = tee >= 0 && tee < _KBS_TEE_MAX ? (size_t)tee : _KBS_TEE_MAX;
        size_t b = 0;

        if (result < 0 || result >= _METRICS_RESULT_MAX)
                result = METRICS_ERROR;
        inc(&m->attest[t][result]);
        while (b < METRICS_LATENCY_BUCKETS && (double)duration_usec / 1e6 > latency_bounds[b])
                b++;
        inc(&m->latency[b]);
        atomic_fetch_add_explicit(&m->latency_sum_usec, duration_usec, memory_order_relaxed);
}

void metrics_resource(Metrics *m, MetricsResource result) {
        if (result >= 0 && result < _METRICS_RESOURCE_MAX)
                inc(&m->resources[result]);
}

void metrics_release(Metrics *m, ResourceKind kind) {
        if (kind >= 0 && kind < _RESOURCE_KIND_MAX)
                inc(&m->releases[kind]);
}

void metrics_http_response(Metrics *m, unsigned status) {
        size_t i;

        for (i = 0; i < ELEMENTSOF(http_codes); i++)
                if (http_codes[i] == status)
                        break;
        inc(&m->http[i]);
}

void metrics_reload(Metrics *m, bool ok) {
        inc(&m->reloads[ok]);
}

void metrics_connection_refused(Metrics *m) {
        inc(&m->refused);
}

static void header(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_render(Metrics *m, const MetricsGauges *g, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        uint64_t cumulative = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        header(f, "confnode_auth_total", "counter", "KBS auth requests answered.");
        fprintf(f, "confnode_auth_total{result=\"ok\"} %" PRIu64 "\n", get(&m->auth[1]));
        fprintf(f, "confnode_auth_total{result=\"refused\"} %" PRIu64 "\n", get(&m->auth[0]));

        header(f, "confnode_attestations_total", "counter",
               "Attestation decisions by TEE and result.");
        for (size_t t = 0; t <= _KBS_TEE_MAX; t++)
                for (size_t r = 0; r < _METRICS_RESULT_MAX; r++) {
                        uint64_t v = get(&m->attest[t][r]);
                        const char *tee = t < _KBS_TEE_MAX ? kbs_tee_to_string((KbsTee)t) : "other";
                        /* Every series of the TEEs we appraise, zeros included;
                         * others only once they occur. */
                        bool ours = t == KBS_TEE_SNP || t == KBS_TEE_TDX ||
                                    t == KBS_TEE_AZ_SNP_VTPM || t == KBS_TEE_AZ_TDX_VTPM ||
                                    t == KBS_TEE_TPM;
                        if (v == 0 && !ours)
                                continue;
                        fprintf(f,
                                "confnode_attestations_total{tee=\"%s\",result=\"%s\"} %" PRIu64
                                "\n",
                                tee, result_names[r], v);
                }

        header(f, "confnode_attestation_duration_seconds", "histogram",
               "Time to handle one KBS attest request, appraisal included.");
        for (size_t b = 0; b <= METRICS_LATENCY_BUCKETS; b++) {
                cumulative += get(&m->latency[b]);
                if (b < METRICS_LATENCY_BUCKETS)
                        fprintf(f,
                                "confnode_attestation_duration_seconds_bucket{le=\"%g\"} %" PRIu64
                                "\n",
                                latency_bounds[b], cumulative);
                else
                        fprintf(f,
                                "confnode_attestation_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64
                                "\n",
                                cumulative);
        }
        fprintf(f, "confnode_attestation_duration_seconds_sum %.6f\n",
                (double)get(&m->latency_sum_usec) / 1e6);
        fprintf(f, "confnode_attestation_duration_seconds_count %" PRIu64 "\n", cumulative);

        header(f, "confnode_resources_total", "counter", "KBS resource requests by result.");
        for (size_t r = 0; r < _METRICS_RESOURCE_MAX; r++)
                fprintf(f, "confnode_resources_total{result=\"%s\"} %" PRIu64 "\n",
                        resource_names[r], get(&m->resources[r]));

        header(f, "confnode_releases_total", "counter", "Resources released by kind.");
        for (size_t k = 0; k < _RESOURCE_KIND_MAX; k++)
                fprintf(f, "confnode_releases_total{kind=\"%s\"} %" PRIu64 "\n", kind_names[k],
                        get(&m->releases[k]));

        header(f, "confnode_http_responses_total", "counter", "HTTP responses by status code.");
        for (size_t i = 0; i < N_HTTP; i++) {
                uint64_t v = get(&m->http[i]);
                if (i < ELEMENTSOF(http_codes))
                        fprintf(f, "confnode_http_responses_total{code=\"%u\"} %" PRIu64 "\n",
                                http_codes[i], v);
                else
                        fprintf(f, "confnode_http_responses_total{code=\"other\"} %" PRIu64 "\n",
                                v);
        }

        header(f, "confnode_policy_reloads_total", "counter", "Policy reloads (SIGHUP) by result.");
        fprintf(f, "confnode_policy_reloads_total{result=\"ok\"} %" PRIu64 "\n",
                get(&m->reloads[1]));
        fprintf(f, "confnode_policy_reloads_total{result=\"failed\"} %" PRIu64 "\n",
                get(&m->reloads[0]));

        header(f, "confnode_connections_refused_total", "counter",
               "Connections closed at accept because --max-connections were open.");
        fprintf(f, "confnode_connections_refused_total %" PRIu64 "\n", get(&m->refused));

        if (g) {
                header(f, "confnode_connections", "gauge", "HTTPS connections open.");
                fprintf(f, "confnode_connections %u\n", g->connections);
                header(f, "confnode_sessions", "gauge", "KBS sessions in memory by state.");
                for (SessionState s = 0; s < _SESSION_STATE_MAX; s++)
                        fprintf(f, "confnode_sessions{state=\"%s\"} %zu\n",
                                session_state_to_string(s), g->sessions[s]);
                if (g->have_store) {
                        header(f, "confnode_store_records_total", "counter",
                               "Records committed to the state database.");
                        fprintf(f, "confnode_store_records_total %" PRIu64 "\n",
                                g->store.committed);
                        header(f, "confnode_store_batches_total", "counter",
                               "Transactions committed to the state database.");
                        fprintf(f, "confnode_store_batches_total %" PRIu64 "\n", g->store.batches);
                        header(f, "confnode_store_errors_total", "counter",
                               "Records that could not be written to the state database.");
                        fprintf(f, "confnode_store_errors_total %" PRIu64 "\n", g->store.errors);
                        header(f, "confnode_store_queue", "gauge",
                               "Records waiting for the state database writer.");
                        fprintf(f, "confnode_store_queue %zu\n", g->store.queued);
                }
        }

        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}
