#pragma once

/* The verifier's state in SQLite: one file in WAL mode with
 * synchronous=NORMAL, schema versioned by PRAGMA user_version.
 *
 *   nodes      one row per node: first and last seen, how many attestations
 *              and how many were accepted, the last reason
 *   decisions  every attestation decision: session (fingerprint) and when it
 *              was opened, node, tee, accepted, reason, detail, vtpm, the
 *              step list as JSON, duration
 *   tokens     every bootstrap token minted: its SHA-256 (never the token),
 *              node, minted, expires
 *   releases   every resource released: session, node, path, kind, size
 *
 * Sessions themselves live in memory (session.h); their creation time is
 * recorded in the decision rows.
 *
 * Writes come from many server threads. They are queued (copied) and one
 * writer thread commits whatever has queued up in one transaction, so a
 * boot storm costs one commit per batch rather than per row. A full queue
 * makes writers wait: records are never dropped. A caller that must not
 * answer before its record is committed (the server records a decision
 * before it answers, a release before it sends it) holds its answer until
 * store_is_committed() says its record's sequence number is written; its
 * thread goes on with other requests meanwhile, so the batches grow with
 * the load (group commit). store_flush() waits for everything queued. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confnode/basic/cleanup.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_DEFAULT_QUEUE 65536u
#define STORE_TOKEN_HASH_SIZE 32

typedef struct Store Store;

/* Opens (creating it 0600 if absent) and migrates the database, then
 * starts the writer. -EPROTO for a schema newer than ours or a file that
 * is not our database; err gets a sentence naming the file. */
int store_open(const char *path, size_t max_queue, Store **ret, char *err, size_t err_size);
/* Commits what is queued, stops the writer and closes the database. */
void store_close(Store *s);
DEFINE_CLEANUP(Store, store_close)

typedef struct StoreDecision {
        int64_t at;              /* Unix seconds */
        const char *session;     /* the session's fingerprint */
        int64_t session_created; /* Unix seconds of its /auth */
        const char *node;        /* NULL when the node could not be named */
        const char *node_kind;   /* how it was named: "claims", "chip_id", "tpm-ak", "tee-pubkey" */
        const char *tee;
        bool accepted;
        const char *reason; /* "ok" when accepted */
        const char *detail;
        const char *vtpm;  /* may be NULL */
        const char *steps; /* JSON array text; NULL means "[]" */
        int64_t duration_us;
} StoreDecision;

/* Each queues a copy and returns its sequence number (> 0) in ret_seq
 * (may be NULL); -ENOMEM, -ESHUTDOWN after store_close() began. A
 * decision with a node also updates its node row. */
int store_add_decision(Store *s, const StoreDecision *d, uint64_t *ret_seq);
int store_add_token(Store *s, const uint8_t hash[static STORE_TOKEN_HASH_SIZE], const char *node,
                    int64_t minted, int64_t expires, uint64_t *ret_seq);
int store_add_release(Store *s, int64_t at, const char *session, const char *node, const char *path,
                      const char *kind, uint64_t size, uint64_t *ret_seq);

/* Has the record with this sequence number (and every one before it) been
 * written: committed, or counted as failed and logged? Also true once the
 * writer is gone. Does not block. */
bool store_is_committed(Store *s, uint64_t seq);

/* fn(userdata) is called on the writer's thread after every batch is
 * committed (with the store's lock held: it must be quick and must not call
 * back into the store), until it is replaced; NULL stops it. Once this
 * returns, the previous hook is not running and will not run again. */
void store_set_commit_hook(Store *s, void (*fn)(void *userdata), void *userdata);

/* Waits until every record queued before the call is committed. Returns
 * the first write error since the last flush (and clears it), else 0. */
int store_flush(Store *s);

/* Counters of the writer, for /metrics and the bench. */
typedef struct StoreStats {
        uint64_t committed; /* records */
        uint64_t batches;   /* transactions */
        uint64_t errors;    /* records that failed to write */
        size_t queued;      /* waiting now */
} StoreStats;

void store_stats(Store *s, StoreStats *ret);

/* Reading back (tests, operators). */
int store_schema_version(Store *s);

typedef struct StoreNode {
        char id[128];
        char kind[32];
        char tee[32];
        int64_t first_seen;
        int64_t last_seen;
        uint64_t attestations;
        uint64_t accepted;
        char last_reason[64];
} StoreNode;

/* -ENOENT if there is no such node. */
int store_get_node(Store *s, const char *id, StoreNode *ret);

typedef enum StoreTable {
        STORE_NODES,
        STORE_DECISIONS,
        STORE_TOKENS,
        STORE_RELEASES,
        _STORE_TABLE_MAX,
        _STORE_TABLE_INVALID = -EINVAL,
} StoreTable;

int store_count(Store *s, StoreTable table, uint64_t *ret);
/* Decisions with this reason ("ok" for accepted ones). */
int store_count_reason(Store *s, const char *reason, uint64_t *ret);
/* The most recent decision of a session: its reason and steps JSON
 * (malloc()ed). -ENOENT if none. */
int store_last_decision(Store *s, const char *session, char **ret_reason, char **ret_steps);
/* -ENOENT if no token with this hash was minted. */
int store_find_token(Store *s, const uint8_t hash[static STORE_TOKEN_HASH_SIZE],
                     int64_t *ret_expires, char **ret_node);
