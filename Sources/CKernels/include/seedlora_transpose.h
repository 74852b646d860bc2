// Transposing copies between row-major and column-major layouts (LAPACK reads column-major), in
// cache-sized tiles: a plain double loop writes one element per cache line on one side.
#ifndef SEEDLORA_TRANSPOSE_H
#define SEEDLORA_TRANSPOSE_H

#include <stddef.h>

/// dst[j * rows + i] = src[i * cols + j] for the row-major rows x cols matrix `src`.
void seedlora_transpose_f64(const double *src, size_t rows, size_t cols, double *dst);

/// The same, converting Float32 to Float64.
void seedlora_transpose_f32_to_f64(const float *src, size_t rows, size_t cols, double *dst);

/// The same, rounding Float64 to Float32.
void seedlora_transpose_f64_to_f32(const double *src, size_t rows, size_t cols, float *dst);

#endif
