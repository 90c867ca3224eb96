#pragma once

/* How long the agent waits before it tries its verifiers again. A pure
 * function, so the schedule can be tested without a clock:
 *
 *   base  = min(max, initial * 2^attempt)
 *   delay = base/2 + jitter * base/2          (jitter uniform in [0, 1))
 *
 * "Equal jitter": a fleet that lost its verifier at the same moment does
 * not come back in lockstep, yet each delay is at least half its base, so
 * consecutive delays still grow (attempt k lies in [b/2, b), attempt k+1 in
 * [b, 2b)) until the cap. A server's Retry-After is a floor on the delay,
 * itself capped so that a hostile or confused server cannot park a
 * booting node for a day. */

#include <stdint.h>

/* The most a Retry-After header may make us wait. */
#define KBS_BACKOFF_RETRY_AFTER_MAX_MS (600u * 1000u)

typedef struct KbsBackoff {
        uint64_t initial_ms; /* the base of the first retry (attempt 0) */
        uint64_t max_ms;     /* the cap on the base */
} KbsBackoff;

/* The delay before retry number attempt (0 for the first retry). jitter
 * is a uniformly random 32-bit value from the caller's source;
 * retry_after_ms is the server's Retry-After, 0 for none. */
uint64_t kbs_backoff_delay(const KbsBackoff *b, unsigned attempt, uint32_t jitter,
                           uint64_t retry_after_ms);
