#include "confnode/kbs/kbs-backoff.h"

#include <stdint.h>

uint64_t kbs_backoff_delay(const KbsBackoff *b, unsigned attempt, uint32_t jitter,
                           uint64_t retry_after_ms) {
        uint64_t base = b->initial_ms, half, delay;

        if (base > b->max_ms)
                base = b->max_ms;
        /* Doubling saturates at the cap; 64 doublings overflow any base. */
        for (unsigned i = 0; i < attempt && base < b->max_ms; i++)
                base = base > b->max_ms / 2 ? b->max_ms : base * 2;

        half = base / 2;
        /* (base - half) < 2^63 and jitter < 2^32: compute the product in
         * two halves so that it cannot overflow 64 bits. */
        delay = half + ((base - half) >> 32) * jitter +
                (((base - half) & UINT32_MAX) * jitter >> 32);

        if (retry_after_ms > KBS_BACKOFF_RETRY_AFTER_MAX_MS)
                retry_after_ms = KBS_BACKOFF_RETRY_AFTER_MAX_MS;
        return delay > retry_after_ms ? delay : retry_after_ms;
}
