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

/// Where one row of a magnitude-trimmed merge stands before its thresholds are known exactly.
/// Input i keeps the entries whose magnitude key is above `high[i]`, drops those below
/// `low[i]`, and provisionally keeps those inside `low[i] ... high[i]`.
typedef struct {
    const uint32_t *low;        // per input
    const uint32_t *high;       // per input
    size_t *above;              // per input: keys above high, accumulated
    uint32_t *const *inside;    // per input: keys inside the bracket, appended
    size_t inside_capacity;     // per input list
    size_t *inside_stored;      // per input: keys inside so far (may exceed the capacity)
    int64_t *deferred_index;    // flat indices of entries with any input inside its bracket
    float *deferred_values;     // their values, `count` per entry, input order
    size_t deferred_capacity;
    size_t deferred_stored;     // may exceed the capacity (then nothing more is stored)
} seedlora_bracket_state;

/// Trims one row of every input (`rows[i]`: `cols` values of input i) into `trimmed` (`count`
/// rows of `cols`, one after another) by the
/// brackets of `state`, and records the row's bracket statistics and undecided entries
/// (`row_base` is the flat index of the row's first entry). `flags` is scratch of `cols` bytes.
void seedlora_trim_rows_bracketed(const float *const *rows, size_t count, size_t cols, int64_t row_base,
                                  seedlora_bracket_state *state, float *trimmed, uint8_t *flags);

/// Whether any value is NaN or infinite.
int seedlora_has_nonfinite(const float *values, size_t n);

#endif
