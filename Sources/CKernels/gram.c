#include "seedlora_gram.h"

#include <string.h>

#include "clones.h"

// Rows of the stack converted to double at a time. The block is stored as panels of 8 columns
// (each panel BLOCK rows x 8 doubles, contiguous), so a tile of the Gram matrix reads two
// sequential 16 KiB streams that stay in L1, instead of 32 and 64 bytes out of every row of a
// block that only fits L2.
#define BLOCK 256
#define PANEL 8

typedef double v4d __attribute__((vector_size(32)));

// Unaligned loads and adds of four doubles, as macros: a function taking or returning a
// 32-byte vector would change the calling convention of the baseline (SSE2) clone.
#define LOAD4(v, p) memcpy(&(v), (p), sizeof(v4d))
#define ADD4(p, v) do { v4d old_; memcpy(&old_, (p), sizeof old_); old_ += (v); memcpy((p), &old_, sizeof old_); } while (0)

// Where entry (k, j) of the block lives.
static inline size_t at(size_t k, size_t j) { return (j / PANEL) * (BLOCK * PANEL) + k * PANEL + (j % PANEL); }

// gram (width x width, padded) += S^T S for the n rows of the block `s` (width a multiple of 8,
// stored in panels). Each entry is summed over the block's rows in order, from zero, and then
// added to the running total: the blocked order BLAS uses too. Every product of two float-valued
// doubles is exact, so fused and separate multiply-adds give the same bits.
SEEDLORA_CLONES
static void block_gram(const double *restrict s, size_t n, size_t width, double *restrict gram) {
#pragma clang fp contract(fast)
    for (size_t i0 = 0; i0 < width; i0 += 4) {
        const double *bi = s + at(0, i0);
        // Tiles of 4 rows x 8 columns that reach the upper triangle; the lower is mirrored later.
        for (size_t j0 = i0 & ~(size_t)7; j0 < width; j0 += 8) {
            const double *xj = s + at(0, j0);
            v4d c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
            for (size_t k = 0; k < n; k++) {
                v4d x0, x1;
                LOAD4(x0, xj + k * PANEL);
                LOAD4(x1, xj + k * PANEL + 4);
                const double *b = bi + k * PANEL;
                double b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
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

// The scratch's two parts: the converted block and the padded running Gram. Both start at
// zero; the padding columns of the block are never written, so they stay zero.
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

// Where the stack's columns (or rows) `first ..< first + lanes` (lanes <= 8) start, and the
// distance between their consecutive entries, walking the parts. `across` is true for columns of
// the B stack (an entry's neighbour in the next row is `ld` away), false for rows of the A stack.
static size_t panel_lanes(const seedlora_gram_part *parts, size_t count, size_t first, int across,
                          const float **start, size_t *step) {
    size_t lanes = 0, offset = 0;
    for (size_t p = 0; p < count && lanes < PANEL; p++) {
        for (size_t t = 0; t < parts[p].rank && lanes < PANEL; t++) {
            if (offset + t < first) continue;
            start[lanes] = across ? parts[p].data + t : parts[p].data + t * parts[p].ld;
            step[lanes] = across ? parts[p].ld : 1;
            lanes++;
        }
        offset += parts[p].rank;
    }
    return lanes;
}

typedef float v4f __attribute__((vector_size(16)));

// Converts entries `k0 ..< k0 + n` of a panel's lanes into the block's panel, adding each to its
// lane's running sum in order. Eight lanes that are one part's adjacent columns (the usual case:
// ranks that are multiples of 8) go as two vectors per row; anything else lane by lane.
SEEDLORA_CLONES
static void convert_panel(const float **start, const size_t *step, size_t lanes, int across, size_t k0, size_t n,
                          double *restrict dst, double *restrict sums) {
    int adjacent = across && lanes == PANEL;
    for (size_t c = 1; adjacent && c < PANEL; c++) adjacent = start[c] == start[0] + c && step[c] == step[0];
    if (adjacent) {
        const float *src = start[0] + k0 * step[0];
        size_t ld = step[0];
        v4d s0, s1;
        LOAD4(s0, sums);
        LOAD4(s1, sums + 4);
        for (size_t k = 0; k < n; k++) {
            v4f f0, f1;
            memcpy(&f0, src + k * ld, sizeof f0);
            memcpy(&f1, src + k * ld + 4, sizeof f1);
            v4d d0 = __builtin_convertvector(f0, v4d), d1 = __builtin_convertvector(f1, v4d);
            memcpy(dst + k * PANEL, &d0, sizeof d0);
            memcpy(dst + k * PANEL + 4, &d1, sizeof d1);
            s0 += d0;
            s1 += d1;
        }
        memcpy(sums, &s0, sizeof s0);
        memcpy(sums + 4, &s1, sizeof s1);
        return;
    }
    if (lanes == PANEL) {
        // Eight independent running sums, where one lane at a time waits on each add.
        double s[PANEL];
        for (size_t c = 0; c < PANEL; c++) s[c] = sums[c];
        for (size_t k = 0; k < n; k++) {
            double *d = dst + k * PANEL;
            for (size_t c = 0; c < PANEL; c++) {
                double v = (double)start[c][(k0 + k) * step[c]];
                d[c] = v;
                s[c] += v;
            }
        }
        for (size_t c = 0; c < PANEL; c++) sums[c] = s[c];
        return;
    }
    for (size_t c = 0; c < lanes; c++) {
        double s = sums[c];
        for (size_t k = 0; k < n; k++) {
            double v = (double)start[c][(k0 + k) * step[c]];
            dst[k * PANEL + c] = v;
            s += v;
        }
        sums[c] = s;
    }
}

// Either stack, `length` rows of B (across) or columns of A, a block at a time: each panel
// converted (its sums running in order), the block's Gram added, and the total stored.
static void gram_of_stack(const seedlora_gram_part *parts, size_t count, size_t length, int across,
                          double *scratch, double *gram, double *sums) {
    workspace w = prepare(parts, count, scratch);
    if (w.total == 0) return;
    for (size_t k0 = 0; k0 < length; k0 += BLOCK) {
        size_t n = length - k0 < BLOCK ? length - k0 : BLOCK;
        for (size_t first = 0; first < w.total; first += PANEL) {
            const float *start[PANEL];
            size_t step[PANEL];
            size_t lanes = panel_lanes(parts, count, first, across, start, step);
            convert_panel(start, step, lanes, across, k0, n, w.block + at(0, first), sums + first);
        }
        block_gram(w.block, n, w.width, w.acc);
    }
    store_symmetric(w.acc, w.width, w.total, gram);
}

void seedlora_gram_of_columns(const seedlora_gram_part *parts, size_t count, size_t rows,
                              double *scratch, double *gram, double *colsum) {
    gram_of_stack(parts, count, rows, 1, scratch, gram, colsum);
}

void seedlora_gram_of_rows(const seedlora_gram_part *parts, size_t count, size_t cols,
                           double *scratch, double *gram, double *rowsum) {
    gram_of_stack(parts, count, cols, 0, scratch, gram, rowsum);
}
