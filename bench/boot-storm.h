#pragma once

/* bench/boot-storm: N simulated nodes doing the whole RCAR flow at once
 * against one `confnode-verifier serve` on loopback. The pieces:
 *   boot-storm-platform.c  the simulated node platform shared by every node:
 *                          SEV-SNP sim (VCEK), a software AK, a real event
 *                          log and the PCR values it replays to; evidence for
 *                          one session built exactly as the agent builds it
 *   boot-storm-client.c    the nodes as state machines over libcurl's multi
 *                          interface: auth, attest, two resources
 *   boot-storm-floor.c     `openssl speed` in the same run: the crypto floor
 *   boot-storm-proc.c      the verifier's CPU time and memory from /proc
 *   boot-storm.c           options, the policy writer, the report */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/json-util.h"
#include "confnode/crypto/ephemeral-key.h"
#include "confnode/kbs/kbs-proto.h"
#include "confnode/tpm/pcr-selection.h"
#include "confnode/tpm/tpm-pcr-values.h"
#include "sim-ca.h"
#include "sim-config.h"

/* ---- the simulated platform ---------------------------------------------- */

#define STORM_AK_PUBLIC_MAX 512

typedef struct StormPlatform {
        SimConfig config;
        SimCa *ca;
        uint8_t *cert_table; /* GHCB table: ARK, ASK, VCEK */
        size_t cert_table_size;

        /* The software AK: P-256, ECDSA-SHA256, restricted signing key. */
        EVP_PKEY *ak;
        uint8_t ak_public[STORM_AK_PUBLIC_MAX]; /* marshalled TPMT_PUBLIC */
        size_t ak_public_size;
        uint8_t ak_name[2 + 32]; /* nameAlg || SHA-256(TPMT_PUBLIC) */

        char *eventlog_path;
        uint8_t *eventlog;
        size_t eventlog_size;
        size_t eventlog_events;
        uint32_t eventlog_used; /* PCRs the log extends in the SHA-256 bank */
        TpmPcrValues pcrs;      /* SHA-256 PCR 0-23 as the log replays them */
        PcrSelection selection; /* what the quote covers: sha256:0-23 */
        uint8_t pcr_digest[32];
} StormPlatform;

void storm_platform_free(StormPlatform *p);
DEFINE_CLEANUP(StormPlatform, storm_platform_free)

/* Loads the simulated platform made by `confnode-sim init SIM_DIR`, makes a
 * fresh AK and replays the event log: eventlog_path, or when NULL the
 * largest *.bin under peer_dir/eventlog that parses as a TCG log with a
 * SHA-256 bank. Errors are printed. */
int storm_platform_load(const char *sim_dir, const char *eventlog_path, const char *peer_dir,
                        StormPlatform **ret);

/* The evidence of one node for one session, as the agent makes it with
 * protocol 0.4.0's two-stage binding: the TPM quote over
 * H({nonce, tee-pubkey}), the additional_evidence string holding it, then
 * the SNP report over H({additional-evidence, nonce, tee-pubkey}). ret is
 * the Attestation body to POST. */
int storm_platform_attestation(const StormPlatform *p, KbsHashAlg alg, const char *nonce,
                               json_object *tee_pubkey, char **ret, size_t *ret_size);

/* A policy that accepts this platform (see /work/briefs, docs/policy.md):
 * the sim ARK as anchor with "simulated": true, the SNP measurement and TCB
 * of sim.conf, vtpm "bound" with the replayed PCR values, and the disk-key
 * and join-bundle resources for tee snp. ark_path is written as given
 * (relative to the policy file's directory). */
int storm_platform_policy(const StormPlatform *p, const char *ark_path, json_object **ret);

/* ---- the client ----------------------------------------------------------- */

typedef struct StormOptions {
        const char *url; /* https://127.0.0.1:PORT */
        const char *cacert;
        unsigned threads;         /* client threads, each with its own multi handle */
        unsigned max_connections; /* over all threads */
        long timeout_s;           /* per request */
        bool verbose;
} StormOptions;

/* What failed, and how often. */
#define STORM_MAX_FAILURE_KINDS 32

typedef struct StormFailure {
        char what[256]; /* "attest: HTTP 401 AttestationError: snp.measurement" */
        char example[512];
        size_t count;
} StormFailure;

typedef struct StormResult {
        size_t n;
        size_t succeeded;
        size_t failed;
        double wall_s;
        double *latency_ms; /* of the nodes that succeeded, sorted */
        size_t n_latency;
        StormFailure failures[STORM_MAX_FAILURE_KINDS];
        size_t n_failures;
        size_t failures_other; /* failures whose kind did not fit the table */
        size_t requests;
        size_t connections; /* TCP connections the client opened */
        double client_cpu_s;
        long client_maxrss_kib; /* the client's peak RSS so far */
} StormResult;

void storm_result_done(StormResult *r);
/* Runs n nodes at once. 0 when the storm ran (look at ret->failed), < 0
 * when it could not run at all. */
int storm_run(const StormPlatform *p, const StormOptions *o, size_t n, StormResult *ret);

/* ---- the crypto floor ----------------------------------------------------- */

typedef struct StormFloor {
        double p384_verify; /* per second */
        double p256_verify;
        double rsa4096_verify;
        double ecdh_p256;
        double cached; /* attestations/s with a cached AMD chain */
        double cold;   /* ... verifying ARK, ASK, VCEK each time */
        bool elapsed;  /* rates per wall second (-elapsed), else per CPU second */
        double wall_s; /* how long openssl speed ran */
        double cpu_s;  /* and the CPU time it got */
        char command[256];
} StormFloor;

/* Runs `openssl speed` (with -elapsed if elapsed) and computes the floor.
 * -ENODATA when a figure is missing from its output. */
int storm_floor_measure(bool elapsed, StormFloor *ret);
/* The cached-chain floor between two measurements: the mean of their
 * costs per attestation, as attestations/s. */
double storm_floor_between(const StormFloor *a, const StormFloor *b);

/* ---- the verifier process ------------------------------------------------- */

typedef struct StormProc {
        double cpu_s; /* utime + stime of every thread so far */
        double user_s;
        double sys_s;
        long rss_kib; /* VmRSS */
        long hwm_kib; /* VmHWM: peak RSS since start */
        long threads;
} StormProc;

int storm_proc_read(pid_t pid, StormProc *ret);
