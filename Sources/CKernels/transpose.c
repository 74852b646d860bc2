#include "seedlora_transpose.h"

// 32 x 32 tiles: 8 KiB of doubles per side, in L1 while the tile is copied.
#define TILE 32

#define TRANSPOSE_BODY(src, rows, cols, dst, convert)                                          \
    for (size_t i0 = 0; i0 < (rows); i0 += TILE) {                                             \
        size_t i1 = i0 + TILE < (rows) ? i0 + TILE : (rows);                                   \
        for (size_t j0 = 0; j0 < (cols); j0 += TILE) {                                         \
            size_t j1 = j0 + TILE < (cols) ? j0 + TILE : (cols);                               \
            for (size_t j = j0; j < j1; j++)                                                   \
                for (size_t i = i0; i < i1; i++) (dst)[j * (rows) + i] = convert((src)[i * (cols) + j]); \
        }                                                                                      \
    }

#define AS_DOUBLE(x) ((double)(x))
#define AS_FLOAT(x) ((float)(x))
#define SAME(x) (x)

void seedlora_transpose_f64(const double *src, size_t rows, size_t cols, double *dst) {
    TRANSPOSE_BODY(src, rows, cols, dst, SAME)
}

void seedlora_transpose_f32_to_f64(const float *src, size_t rows, size_t cols, double *dst) {
    TRANSPOSE_BODY(src, rows, cols, dst, AS_DOUBLE)
}

void seedlora_transpose_f64_to_f32(const double *src, size_t rows, size_t cols, float *dst) {
    TRANSPOSE_BODY(src, rows, cols, dst, AS_FLOAT)
}
