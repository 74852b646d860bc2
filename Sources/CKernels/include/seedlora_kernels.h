// Hot loops of the dense merge path, in C so that clang vectorises them and compiles a clone
// per instruction set (AVX-512, AVX2, baseline) chosen at load time: Swift compiles for the
// x86-64 baseline (SSE2) only. The arithmetic is the Swift code's, operation for operation,
// with floating-point contraction off, so results are bit-identical on every clone.
#ifndef SEEDLORA_KERNELS_H
#define SEEDLORA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// TIES sign election and disjoint mean of one row. `inputs` holds `count` rows of `cols`
/// floats one after another; `weights` has `count` entries. With `weighted` (mergekit) the
/// statistic and the agreement use w_i x_i and the divisor is the agreeing weight (1 when 0);
/// otherwise (PEFT) the statistic uses x_i and the divisor is max(1, agreeing count). `total`
/// elects by sum, else by count of signs; without `normalize` the divisor is 1. All in double.
void seedlora_consensus_row(const float *inputs, size_t count, size_t cols, const double *weights,
                            int weighted, int total, int normalize, float *out);

/// Counts the magnitude keys (bit pattern of |x|) above `high` and stores those in
/// `low ... high` into `inside` (at most `capacity`; `*stored` is how many there were, which
/// may exceed `capacity`: then only the first `capacity` are stored). Returns the count above.
size_t seedlora_bracket_keys(const float *values, size_t n, uint32_t low, uint32_t high,
                             uint32_t *inside, size_t capacity, size_t *stored);

/// Whether any value is NaN or infinite.
int seedlora_has_nonfinite(const float *values, size_t n);

#endif
