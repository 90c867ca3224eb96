#pragma once

/* Little-endian stores into buffers the simulators fill: reports, quotes
 * and tables they write, never input they read. */

#include <stddef.h>
#include <stdint.h>

static inline void sim_put_u16le(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static inline void sim_put_u32le(uint8_t *p, uint32_t v) {
        for (size_t i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static inline void sim_put_u64le(uint8_t *p, uint64_t v) {
        for (size_t i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}
