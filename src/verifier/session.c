#include "session.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "confnode/basic/base64url.h"
#include "confnode/basic/evp-fetch.h"
#include "confnode/basic/hex.h"
#include "confnode/basic/secret.h"

#define DIGEST_SIZE 32

typedef struct Session {
        uint8_t id_hash[DIGEST_SIZE];
        uint8_t token_hash[DIGEST_SIZE]; /* meaningful when ATTESTED */
        SessionState state;
        SessionInfo info; /* info.id is left empty: the table keeps no id */
        EVP_PKEY *key;
        JwkAlg alg;
        char node[SESSION_NODE_MAX];
        struct Session *next_by_id;
        struct Session *next_by_token;
} Session;

struct SessionTable {
        pthread_mutex_t lock;
        size_t max;
        uint64_t ttl;
        size_t count;
        size_t by_state[_SESSION_STATE_MAX];
        size_t n_buckets; /* a power of two */
        Session **by_id;
        Session **by_token;
};

static const char *const state_names[_SESSION_STATE_MAX] = {
        [SESSION_AUTHED] = "authed",
        [SESSION_CLAIMED] = "claimed",
        [SESSION_ATTESTED] = "attested",
        [SESSION_DEAD] = "dead",
};

const char *session_state_to_string(SessionState s) {
        if (s < 0 || s >= _SESSION_STATE_MAX)
                return NULL;
        return state_names[s];
}

uint64_t session_now(void) {
        struct timespec ts;

        /* BOOTTIME keeps counting while the host is suspended, so a session
         * cannot outlive its TTL across a suspend. */
        if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
                (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* SHA-256 of a credential string as the peer sent it. */
static int credential_hash(const char *s, uint8_t ret[static DIGEST_SIZE]) {
        size_t n;
        unsigned len = 0;

        if (!s)
                return -ENOENT;
        n = strnlen(s, SESSION_CREDENTIAL_MAX + 1);
        if (n == 0 || n > SESSION_CREDENTIAL_MAX)
                return -ENOENT;
        if (EVP_Digest(s, n, ret, &len, evp_fetch_sha256(), NULL) != 1 || len != DIGEST_SIZE)
                return -EIO;
        return 0;
}

static size_t bucket_of(const SessionTable *t, const uint8_t hash[static DIGEST_SIZE]) {
        uint64_t v;

        /* The hash is of a random credential: its first bytes are uniform. */
        memcpy(&v, hash, sizeof(v));
        return (size_t)(v & (t->n_buckets - 1));
}

int session_table_new(size_t max_sessions, uint64_t ttl_usec, SessionTable **ret) {
        SessionTable *t;
        size_t n = 16;

        if (max_sessions == 0 || ttl_usec == 0 || max_sessions > (SIZE_MAX / 4) / sizeof(Session *))
                return -EINVAL;
        while (n < max_sessions)
                n <<= 1;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->by_id = calloc(n, sizeof(Session *));
        t->by_token = calloc(n, sizeof(Session *));
        if (!t->by_id || !t->by_token) {
                free(t->by_id);
                free(t->by_token);
                free(t);
                return -ENOMEM;
        }
        pthread_mutex_init(&t->lock, NULL);
        t->max = max_sessions;
        t->ttl = ttl_usec;
        t->n_buckets = n;
        *ret = t;
        return 0;
}

static void session_free(Session *s) {
        EVP_PKEY_free(s->key);
        memory_wipe(s, sizeof(*s));
        free(s);
}

void session_table_free(SessionTable *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_buckets; i++)
                for (Session *s = t->by_id[i], *next; s; s = next) {
                        next = s->next_by_id;
                        session_free(s);
                }
        free(t->by_id);
        free(t->by_token);
        pthread_mutex_destroy(&t->lock);
        free(t);
}

uint64_t session_table_ttl(const SessionTable *t) {
        return t->ttl;
}

size_t session_table_max(const SessionTable *t) {
        return t->max;
}

size_t session_table_count(SessionTable *t, SessionState state) {
        size_t n;

        pthread_mutex_lock(&t->lock);
        n = state >= 0 && state < _SESSION_STATE_MAX ? t->by_state[state] : t->count;
        pthread_mutex_unlock(&t->lock);
        return n;
}

static void set_state(SessionTable *t, Session *s, SessionState state) {
        t->by_state[s->state]--;
        s->state = state;
        t->by_state[state]++;
}

static Session *find_by_id(SessionTable *t, const uint8_t hash[static DIGEST_SIZE]) {
        for (Session *s = t->by_id[bucket_of(t, hash)]; s; s = s->next_by_id)
                if (CRYPTO_memcmp(s->id_hash, hash, DIGEST_SIZE) == 0)
                        return s;
        return NULL;
}

static Session *find_by_token(SessionTable *t, const uint8_t hash[static DIGEST_SIZE]) {
        for (Session *s = t->by_token[bucket_of(t, hash)]; s; s = s->next_by_token)
                if (CRYPTO_memcmp(s->token_hash, hash, DIGEST_SIZE) == 0)
                        return s;
        return NULL;
}

/* Unlinks s from both indexes and frees it. */
static void drop(SessionTable *t, Session *s) {
        Session **p;

        for (p = &t->by_id[bucket_of(t, s->id_hash)]; *p; p = &(*p)->next_by_id)
                if (*p == s) {
                        *p = s->next_by_id;
                        break;
                }
        if (s->state == SESSION_ATTESTED)
                for (p = &t->by_token[bucket_of(t, s->token_hash)]; *p; p = &(*p)->next_by_token)
                        if (*p == s) {
                                *p = s->next_by_token;
                                break;
                        }
        t->by_state[s->state]--;
        t->count--;
        session_free(s);
}

static size_t sweep_locked(SessionTable *t, uint64_t now, bool dead_too) {
        size_t dropped = 0;

        for (size_t i = 0; i < t->n_buckets; i++)
                for (Session *s = t->by_id[i], *next; s; s = next) {
                        next = s->next_by_id;
                        if (s->info.expires <= now || (dead_too && s->state == SESSION_DEAD)) {
                                drop(t, s);
                                dropped++;
                        }
                }
        return dropped;
}

size_t session_table_sweep(SessionTable *t, uint64_t now) {
        size_t n;

        uint64_t keep = t->ttl > SESSION_EXPIRED_KEEP ? t->ttl : SESSION_EXPIRED_KEEP;

        pthread_mutex_lock(&t->lock);
        n = now > keep ? sweep_locked(t, now - keep, false) : 0;
        pthread_mutex_unlock(&t->lock);
        return n;
}

static void fingerprint_of(const uint8_t hash[static DIGEST_SIZE],
                           char ret[static SESSION_FINGERPRINT_MAX]) {
        hex_encode_to(hash, 4, ret);
}

int session_new(SessionTable *t, KbsTee tee, KbsHashAlg alg, uint64_t now, SessionInfo *ret) {
        uint8_t raw[SESSION_ID_BYTES];
        _cleanup_free_ char *id = NULL, *nonce = NULL;
        Session *s;
        size_t b;
        int r;

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        id = base64url_encode(raw, sizeof(raw));
        memory_wipe(raw, sizeof(raw));
        if (!id)
                return -ENOMEM;
        r = kbs_nonce_new(&nonce);
        if (r < 0)
                return r;
        if (strlen(id) >= SESSION_ID_STRING_MAX || strlen(nonce) >= SESSION_NONCE_MAX)
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = credential_hash(id, s->id_hash);
        if (r < 0) {
                free(s);
                return r;
        }
        s->state = SESSION_AUTHED;
        s->info.tee = tee;
        s->info.hash_alg = alg;
        s->info.created = now;
        s->info.expires = now + t->ttl;
        strcpy(s->info.nonce, nonce);
        fingerprint_of(s->id_hash, s->info.fingerprint);

        pthread_mutex_lock(&t->lock);
        if (t->count >= t->max)
                (void)sweep_locked(t, now, false);
        /* Dead sessions are kept only to answer "nonce.reused"; room for a
         * live one matters more. */
        if (t->count >= t->max)
                (void)sweep_locked(t, now, true);
        if (t->count >= t->max) {
                pthread_mutex_unlock(&t->lock);
                session_free(s);
                memory_wipe(id, strlen(id));
                return -EBUSY;
        }
        b = bucket_of(t, s->id_hash);
        s->next_by_id = t->by_id[b];
        t->by_id[b] = s;
        t->count++;
        t->by_state[SESSION_AUTHED]++;
        *ret = s->info;
        pthread_mutex_unlock(&t->lock);

        strcpy(ret->id, id);
        memory_wipe(id, strlen(id));
        return 0;
}

/* The session for id, dropping it if it expired. Called with the lock. */
static int lookup_live(SessionTable *t, const char *id, uint64_t now, Session **ret) {
        uint8_t h[DIGEST_SIZE];
        Session *s;
        int r;

        r = credential_hash(id, h);
        if (r < 0)
                return r;
        s = find_by_id(t, h);
        if (!s)
                return -ENOENT;
        if (s->info.expires <= now) {
                drop(t, s);
                return -ETIMEDOUT;
        }
        *ret = s;
        return 0;
}

int session_claim(SessionTable *t, const char *id, uint64_t now, SessionInfo *ret) {
        Session *s;
        int r;

        pthread_mutex_lock(&t->lock);
        r = lookup_live(t, id, now, &s);
        if (r >= 0 && s->state != SESSION_AUTHED)
                r = -EALREADY;
        if (r >= 0) {
                set_state(t, s, SESSION_CLAIMED);
                *ret = s->info;
        }
        pthread_mutex_unlock(&t->lock);
        return r;
}

int session_attest(SessionTable *t, const char *id, EVP_PKEY *key, JwkAlg alg, const char *node,
                   uint64_t now, char **ret_token) {
        uint8_t raw[SESSION_TOKEN_BYTES], h[DIGEST_SIZE];
        _cleanup_free_ char *token = NULL;
        Session *s;
        size_t b;
        int r;

        if (!key || !ret_token)
                return -EINVAL;
        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        token = base64url_encode(raw, sizeof(raw));
        memory_wipe(raw, sizeof(raw));
        if (!token)
                return -ENOMEM;
        r = credential_hash(token, h);
        if (r < 0)
                goto fail;

        pthread_mutex_lock(&t->lock);
        r = lookup_live(t, id, now, &s);
        if (r == -ETIMEDOUT)
                r = -ENOENT;
        if (r >= 0 && s->state != SESSION_CLAIMED)
                r = -ESTALE;
        if (r >= 0) {
                if (EVP_PKEY_up_ref(key) != 1) {
                        r = -EIO;
                } else {
                        s->key = key;
                        s->alg = alg;
                        snprintf(s->node, sizeof(s->node), "%s", node ? node : "");
                        memcpy(s->token_hash, h, DIGEST_SIZE);
                        b = bucket_of(t, h);
                        s->next_by_token = t->by_token[b];
                        t->by_token[b] = s;
                        s->info.expires = now + t->ttl;
                        set_state(t, s, SESSION_ATTESTED);
                }
        }
        pthread_mutex_unlock(&t->lock);
        if (r < 0)
                goto fail;
        *ret_token = TAKE_PTR(token);
        return 0;
fail:
        memory_wipe(token, strlen(token));
        return r;
}

void session_reject(SessionTable *t, const char *id) {
        uint8_t h[DIGEST_SIZE];
        Session *s;

        if (credential_hash(id, h) < 0)
                return;
        pthread_mutex_lock(&t->lock);
        s = find_by_id(t, h);
        if (s && s->state != SESSION_DEAD) {
                if (s->state == SESSION_ATTESTED) {
                        /* Not reached by the server (only a claimed session is
                         * rejected), but a dead session must hold no key. */
                        Session **p;
                        for (p = &t->by_token[bucket_of(t, s->token_hash)]; *p;
                             p = &(*p)->next_by_token)
                                if (*p == s) {
                                        *p = s->next_by_token;
                                        break;
                                }
                }
                EVP_PKEY_free(TAKE_PTR(s->key));
                set_state(t, s, SESSION_DEAD);
        }
        pthread_mutex_unlock(&t->lock);
}

void session_grant_done(SessionGrant *g) {
        if (!g)
                return;
        EVP_PKEY_free(g->key);
        *g = (SessionGrant){};
}

static int grant_locked(Session *s, SessionGrant *ret) {
        if (EVP_PKEY_up_ref(s->key) != 1)
                return -EIO;
        *ret = (SessionGrant){
                .key = s->key,
                .alg = s->alg,
                .tee = s->info.tee,
        };
        strcpy(ret->node, s->node);
        strcpy(ret->fingerprint, s->info.fingerprint);
        return 0;
}

int session_grant_by_cookie(SessionTable *t, const char *id, uint64_t now, SessionGrant *ret) {
        Session *s;
        int r;

        pthread_mutex_lock(&t->lock);
        r = lookup_live(t, id, now, &s);
        if (r >= 0 && s->state != SESSION_ATTESTED)
                r = -EACCES;
        if (r >= 0)
                r = grant_locked(s, ret);
        pthread_mutex_unlock(&t->lock);
        return r;
}

int session_grant_by_token(SessionTable *t, const char *token, uint64_t now, SessionGrant *ret) {
        uint8_t h[DIGEST_SIZE];
        Session *s;
        int r;

        r = credential_hash(token, h);
        if (r < 0)
                return r;
        pthread_mutex_lock(&t->lock);
        s = find_by_token(t, h);
        if (!s)
                r = -ENOENT;
        else if (s->info.expires <= now) {
                drop(t, s);
                r = -ETIMEDOUT;
        } else
                r = grant_locked(s, ret);
        pthread_mutex_unlock(&t->lock);
        return r;
}
