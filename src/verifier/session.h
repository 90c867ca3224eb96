#pragma once

/* KBS sessions of `confnode-verifier serve`, in memory.
 *
 * POST /kbs/v0/auth opens a session: a random 128-bit id (the
 * kbs-session-id cookie, base64url) and a fresh nonce. The nonce is single
 * use: exactly one POST /kbs/v0/attest may claim it. After a rejection the
 * session is dead (it stays in the table until it expires, so a second
 * attempt is told "nonce.reused" rather than "session.unknown"). An
 * accepted session becomes attested: it holds the tee-pubkey, the TEE and
 * the node id, and hands out a random 256-bit bearer token; resources may
 * be fetched with the cookie or the token until the session expires. Every
 * session expires ttl after it was opened, and again ttl after it was
 * attested.
 *
 * Neither the session id nor the token is kept: the table indexes
 * SHA-256 of each, so a memory dump of the server names no live
 * credential, and lookups compare digests rather than the peer's bytes.
 *
 * The table is bounded (max_sessions) and thread-safe. Times are
 * microseconds of a monotonic clock (session_now()), passed in so tests
 * control them. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "confnode/basic/cleanup.h"
#include "confnode/crypto/jwk.h"
#include "confnode/kbs/kbs-proto.h"

#define SESSION_ID_BYTES 16
#define SESSION_ID_STRING_MAX 24 /* 22 base64url characters and a NUL */
#define SESSION_TOKEN_BYTES 32
#define SESSION_NONCE_MAX 48 /* 44 characters of standard base64 and a NUL */
#define SESSION_NODE_MAX 96
#define SESSION_FINGERPRINT_MAX 9 /* 8 hex characters and a NUL */
/* A cookie or token longer than this was not made here; it is not hashed. */
#define SESSION_CREDENTIAL_MAX 128

typedef enum SessionState {
        SESSION_AUTHED,   /* challenge sent, nonce unused */
        SESSION_CLAIMED,  /* one /attest holds the nonce and is appraising */
        SESSION_ATTESTED, /* accepted: resources may be fetched */
        SESSION_DEAD,     /* rejected: nothing more to do but expire */
        _SESSION_STATE_MAX,
        _SESSION_STATE_INVALID = -EINVAL,
} SessionState;

const char *session_state_to_string(SessionState s); /* "authed", "claimed", … */

typedef struct SessionTable SessionTable;

/* The monotonic clock the table runs on (CLOCK_BOOTTIME, microseconds). */
uint64_t session_now(void);

/* max_sessions >= 1, ttl_usec >= 1. -EINVAL, -ENOMEM. */
int session_table_new(size_t max_sessions, uint64_t ttl_usec, SessionTable **ret);
void session_table_free(SessionTable *t);
DEFINE_CLEANUP(SessionTable, session_table_free)

uint64_t session_table_ttl(const SessionTable *t);
size_t session_table_max(const SessionTable *t);
/* Sessions in the table, all of them or (state >= 0) in one state. */
size_t session_table_count(SessionTable *t, SessionState state);
/* Drops every session that expired at least SESSION_EXPIRED_KEEP or ttl
 * (whichever is longer) before now; returns how many were dropped. A
 * session expired more recently is kept, so a client that comes back late
 * is told "expired" rather than "unknown"; a lookup drops it, and so does
 * a full table. */
#define SESSION_EXPIRED_KEEP (60u * 1000000u)
size_t session_table_sweep(SessionTable *t, uint64_t now);

/* A session as /auth and /attest see it. */
typedef struct SessionInfo {
        char id[SESSION_ID_STRING_MAX]; /* filled by session_new() only */
        char nonce[SESSION_NONCE_MAX];
        /* First 4 bytes of SHA-256(id) in hex: names the session in logs
         * and records without giving it away. */
        char fingerprint[SESSION_FINGERPRINT_MAX];
        KbsTee tee;
        KbsHashAlg hash_alg;
        uint64_t created; /* session_now() at /auth */
        uint64_t expires;
} SessionInfo;

/* Opens a session with a fresh id and nonce. A full table is swept first;
 * -EBUSY if it is still full. */
int session_new(SessionTable *t, KbsTee tee, KbsHashAlg alg, uint64_t now, SessionInfo *ret);

/* Claims the session's nonce for one attestation: AUTHED -> CLAIMED.
 * -ENOENT no such session (or id not one we could have made), -ETIMEDOUT
 * expired (the session is dropped), -EALREADY its nonce was claimed
 * before (by an attestation running, accepted or rejected). */
int session_claim(SessionTable *t, const char *id, uint64_t now, SessionInfo *ret);

/* The claimed attestation was accepted: CLAIMED -> ATTESTED. Takes a
 * reference on key, records the node id, mints the bearer token (returned
 * in ret_token, base64url; the caller sends it, then wipes and frees it)
 * and moves the expiry to now + ttl. -ENOENT if the session is gone (it
 * expired while appraising), -ESTALE if it is not CLAIMED. */
int session_attest(SessionTable *t, const char *id, EVP_PKEY *key, JwkAlg alg, const char *node,
                   uint64_t now, char **ret_token);

/* The claimed attestation was rejected: the session is dead. */
void session_reject(SessionTable *t, const char *id);

/* What an attested session allows: encrypting resources to its key. */
typedef struct SessionGrant {
        EVP_PKEY *key; /* a reference of our own: session_grant_done() drops it */
        JwkAlg alg;
        KbsTee tee;
        char node[SESSION_NODE_MAX];
        char fingerprint[SESSION_FINGERPRINT_MAX];
} SessionGrant;

void session_grant_done(SessionGrant *g);

/* By kbs-session-id cookie: -ENOENT unknown, -ETIMEDOUT expired, -EACCES
 * not attested. */
int session_grant_by_cookie(SessionTable *t, const char *id, uint64_t now, SessionGrant *ret);
/* By bearer token: -ENOENT unknown, -ETIMEDOUT expired. */
int session_grant_by_token(SessionTable *t, const char *token, uint64_t now, SessionGrant *ret);
