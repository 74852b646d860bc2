#include "seedlora_gram.h"

#include <string.h>

#include "clones.h"

// Rows of the stack converted to double at a time: a block of 256 x R doubles stays in L2 while
// every tile of the Gram matrix reads it.
#define BLOCK 256

typedef double v4d __attribute__((vector_size(32)));

// Unaligned loads and adds of four doubles, as macros: a function taking or returning a
// 32-byte vector would change the calling convention of the baseline (SSE2) clone.
#define LOAD4(v, p) memcpy(&(v), (p), sizeof(v4d))
#define ADD4(p, v) do { v4d old_; memcpy(&old_, (p), sizeof old_); old_ += (v); memcpy((p), &old_, sizeof old_); } while (0)

// gram (width x width, padded) += S^T S for the n rows of the block `s` (each `width` doubles,
// width a multiple of 8). Each entry is summed over the block's rows in order, from zero, and
// then added to the running total: the blocked order BLAS uses too. Every product of two
// float-valued doubles is exact, so fused and separate multiply-adds give the same bits.
SEEDLORA_CLONES
static void block_gram(const double *restrict s, size_t n, size_t width, double *restrict gram) {
#pragma clang fp contract(fast)
    for (size_t i0 = 0; i0 < width; i0 += 4) {
        // Tiles of 4 rows x 8 columns that reach the upper triangle; the lower is mirrored later.
        for (size_t j0 = i0 & ~(size_t)7; j0 < width; j0 += 8) {
            v4d c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
            for (size_t k = 0; k < n; k++) {
                const double *row = s + k * width;
                v4d x0, x1;
                LOAD4(x0, row + j0);
                LOAD4(x1, row + j0 + 4);
                double b0 = row[i0], b1 = row[i0 + 1], b2 = row[i0 + 2], b3 = row[i0 + 3];
                c00 += b0 * x0; c01 += b0 * x1;
                c10 += b1 * x0; c11 += b1 * x1;
                c20 += b2 * x0; c21 += b2 * x1;
                c30 += b3 * x0; c31 += b3 * x1;
            }
            ADD4(gram + (i0 + 0) * width + j0, c00); ADD4(gram + (i0 + 0) * width + j0 + 4, c01);
            ADD4(gram + (i0 + 1) * width + j0, c10); ADD4(gram + (i0 + 1) * width + j0 + 4, c11);
            ADD4(gram + (i0 + 2) * width + j0, c20); ADD4(gram + (i0 + 2) * width + j0 + 4, c21);
            ADD4(gram + (i0 + 3) * width + j0, c30); ADD4(gram + (i0 + 3) * width + j0 + 4, c31);
        }
    }
}

static size_t total_rank(const seedlora_gram_part *parts, size_t count) {
    size_t total = 0;
    for (size_t p = 0; p < count; p++) total += parts[p].rank;
    return total;
}

// Adds the upper triangle of the padded accumulator into `gram` (total x total), both triangles.
static void store_symmetric(const double *acc, size_t width, size_t total, double *gram) {
    for (size_t i = 0; i < total; i++) {
        for (size_t j = i; j < total; j++) {
            double v = acc[i * width + j];
            gram[i * total + j] += v;
            if (j != i) gram[j * total + i] += v;
        }
    }
}

size_t seedlora_gram_scratch_count(size_t total) {
    size_t width = (total + 7) & ~(size_t)7;
    return BLOCK * width + width * width;
}

// The scratch's two parts: the converted block and the padded running Gram.
typedef struct {
    size_t total, width;
    double *block, *acc;
} workspace;

static workspace prepare(const seedlora_gram_part *parts, size_t count, double *scratch) {
    workspace w;
    w.total = total_rank(parts, count);
    w.width = (w.total + 7) & ~(size_t)7;
    w.block = scratch;
    w.acc = scratch + BLOCK * w.width;
    memset(scratch, 0, seedlora_gram_scratch_count(w.total) * sizeof(double));
    return w;
}

void seedlora_gram_of_columns(const seedlora_gram_part *parts, size_t count, size_t rows,
                              double *scratch, double *gram, double *colsum) {
    workspace w = prepare(parts, count, scratch);
    if (w.total == 0) return;
    for (size_t k0 = 0; k0 < rows; k0 += BLOCK) {
        size_t n = rows - k0 < BLOCK ? rows - k0 : BLOCK;
        for (size_t k = 0; k < n; k++) {
            double *out = w.block + k * w.width;
            size_t column = 0;
            for (size_t p = 0; p < count; p++) {
                const float *src = parts[p].data + (k0 + k) * parts[p].ld;
                for (size_t t = 0; t < parts[p].rank; t++) out[column + t] = (double)src[t];
                column += parts[p].rank;
            }
            // Each column's sum runs over the rows in order.
            for (size_t j = 0; j < w.total; j++) colsum[j] += out[j];
        }
        block_gram(w.block, n, w.width, w.acc);
    }
    store_symmetric(w.acc, w.width, w.total, gram);
}

void seedlora_gram_of_rows(const seedlora_gram_part *parts, size_t count, size_t cols,
                           double *scratch, double *gram, double *rowsum) {
    workspace w = prepare(parts, count, scratch);
    if (w.total == 0) return;
    // Each row's sum runs over its columns in order.
    for (size_t c0 = 0; c0 < cols; c0 += BLOCK) {
        size_t n = cols - c0 < BLOCK ? cols - c0 : BLOCK;
        size_t row = 0;
        for (size_t p = 0; p < count; p++) {
            for (size_t t = 0; t < parts[p].rank; t++, row++) {
                const float *src = parts[p].data + t * parts[p].ld + c0;
                double s = rowsum[row];
                for (size_t k = 0; k < n; k++) {
                    double v = (double)src[k];
                    w.block[k * w.width + row] = v;
                    s += v;
                }
                rowsum[row] = s;
            }
        }
        block_gram(w.block, n, w.width, w.acc);
    }
    store_symmetric(w.acc, w.width, w.total, gram);
}
