// Gram matrices of stacked LoRA factors, accumulated in double straight from the float factors
// (no double copy of the factors, no BLAS call per chunk): the core of `FactorGram`.
#ifndef SEEDLORA_GRAM_H
#define SEEDLORA_GRAM_H

#include <stddef.h>

/// One factor of a stack: `rank` rows or columns of float values, `ld` apart.
typedef struct {
    const float *data;
    size_t rank;
    size_t ld;
} seedlora_gram_part;

/// Doubles of scratch the two functions below need for a stack of total rank `total`.
size_t seedlora_gram_scratch_count(size_t total);

/// The stack of `B` factors: part i is `rows x rank_i` (row-major, leading dimension `ld_i`),
/// and row k of the stack `X` (rows x R, R = sum of ranks) is the parts' rows k side by side.
/// Adds `X^T X` to `gram` (R x R, row-major, both triangles) and each column's sum, over rows in
/// order, to `colsum`.
void seedlora_gram_of_columns(const seedlora_gram_part *parts, size_t count, size_t rows,
                              double *scratch, double *gram, double *colsum);

/// The stack of `A` factors: part i is `rank_i x cols` (row-major, leading dimension `ld_i`),
/// stacked as `Y = [A_1; ...; A_n]` (R x cols). Adds `Y Y^T` to `gram` (R x R, both triangles)
/// and each row's sum, over its columns in order, to `rowsum`.
void seedlora_gram_of_rows(const seedlora_gram_part *parts, size_t count, size_t cols,
                           double *scratch, double *gram, double *rowsum);

#endif
