#pragma once

/* Prometheus metrics of `confnode-verifier serve`, served at /metrics in
 * the text exposition format (version 0.0.4). Counters are lock-free
 * atomics, so every worker thread counts without contention:
 *
 *   confnode_auth_total{result}              ok | refused
 *   confnode_attestations_total{tee,result}  accepted | rejected | error
 *   confnode_attestation_duration_seconds    histogram of /attest handling
 *   confnode_resources_total{result}         released | unauthenticated | denied |
 *                                            unknown | error
 *   confnode_releases_total{kind}            disk-key | join-bundle
 *   confnode_http_responses_total{code}      per status code
 *   confnode_policy_reloads_total{result}    ok | failed
 *   confnode_connections_refused_total       closed at accept: --max-connections open
 * and, read at scrape time:
 *   confnode_sessions{state}                 authed | claimed | attested | dead
 *   confnode_connections                     HTTPS connections open
 *   confnode_store_records_total, confnode_store_batches_total,
 *   confnode_store_errors_total, confnode_store_queue
 *                                            the SQLite writer (store.h) */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "session.h"
#include "store.h"
#include "confnode/basic/cleanup.h"
#include "confnode/kbs/kbs-proto.h"

typedef enum MetricsResult {
        METRICS_ACCEPTED,
        METRICS_REJECTED,
        METRICS_ERROR,
        _METRICS_RESULT_MAX,
} MetricsResult;

typedef enum MetricsResource {
        METRICS_RESOURCE_RELEASED,
        METRICS_RESOURCE_UNAUTHENTICATED,
        METRICS_RESOURCE_DENIED,
        METRICS_RESOURCE_UNKNOWN,
        METRICS_RESOURCE_ERROR,
        _METRICS_RESOURCE_MAX,
} MetricsResource;

/* Upper bounds of the latency histogram, in seconds. */
#define METRICS_LATENCY_BUCKETS 14

typedef struct Metrics Metrics;

int metrics_new(Metrics **ret);
void metrics_free(Metrics *m);
DEFINE_CLEANUP(Metrics, metrics_free)

void metrics_auth(Metrics *m, bool ok);
/* tee out of range counts under tee="other". */
void metrics_attestation(Metrics *m, KbsTee tee, MetricsResult result, uint64_t duration_usec);
void metrics_resource(Metrics *m, MetricsResource result);
void metrics_release(Metrics *m, ResourceKind kind);
void metrics_http_response(Metrics *m, unsigned status);
void metrics_reload(Metrics *m, bool ok);
void metrics_connection_refused(Metrics *m);

/* What is read at scrape time rather than counted. */
typedef struct MetricsGauges {
        size_t sessions[_SESSION_STATE_MAX];
        unsigned connections;
        bool have_store;
        StoreStats store;
} MetricsGauges;

/* The exposition text, NUL-terminated, malloc()ed. */
int metrics_render(Metrics *m, const MetricsGauges *g, char **ret, size_t *ret_size);
