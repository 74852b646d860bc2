#include "seedlora_layout.h"

#include <string.h>

#pragma clang fp contract(off)

#include "clones.h"

SEEDLORA_CLONES
void seedlora_stack_columns(const float *const *parts, const size_t *ranks, size_t count, size_t rows,
                            float *out, size_t width) {
    // Row by row, so `out` is written in order; a rank is a few to a few dozen floats, too short
    // for a memcpy call per piece.
    for (size_t i = 0; i < rows; i++) {
        float *o = out + i * width;
        for (size_t p = 0; p < count; p++) {
            size_t r = ranks[p];
            const float *src = parts[p] + i * r;
            for (size_t t = 0; t < r; t++) o[t] = src[t];
            o += r;
        }
    }
}

SEEDLORA_CLONES
void seedlora_scale(const float *in, float factor, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = factor * in[i];
}

SEEDLORA_CLONES
void seedlora_encode_bf16(const float *in, size_t n, uint16_t *out) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &in[i], sizeof bits);
        uint32_t nan = (bits & 0x7FFFFFFFu) > 0x7F800000u;
        uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
        uint32_t quiet = (bits >> 16) | 0x0040u;
        out[i] = (uint16_t)(nan ? quiet : rounded);
    }
}
