// Laying out the factors of a factored merge's result: plain copies and float scalings,
// vectorised (Swift compiled these loops to one scalar float at a time, with overflow checks).
#ifndef SEEDLORA_LAYOUT_H
#define SEEDLORA_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/// Writes the `count` row-major matrices `parts` (part i: `rows x ranks[i]`, contiguous) side by
/// side into the first columns of `out` (`rows x width`, row-major): `[B_1 .. B_n]`.
void seedlora_stack_columns(const float *const *parts, const size_t *ranks, size_t count, size_t rows,
                            float *out, size_t width);

/// out[i] = factor * in[i] in float, for i < n (`out` may be `in`).
void seedlora_scale(const float *in, float factor, float *out, size_t n);

/// bf16 bits of `n` floats: round to nearest, ties to even; a NaN stays a quiet NaN with its
/// sign (HalfPrecision.floatToBF16, value for value).
void seedlora_encode_bf16(const float *in, size_t n, uint16_t *out);

#endif
