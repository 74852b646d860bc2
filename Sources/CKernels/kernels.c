#include "seedlora_kernels.h"

#include <string.h>

// No fused multiply-add: every product is rounded before it is added, as in the Swift code.
#pragma clang fp contract(off)

#include "clones.h"

// Columns per chunk: the four double scratch rows (8 KiB) stay in L1 across the input passes.
#define CHUNK 256

static inline uint32_t magnitude_key(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits & 0x7FFFFFFFu;
}

SEEDLORA_CLONES
void seedlora_consensus_row(const float *restrict inputs, size_t count, size_t cols, const double *restrict weights,
                            int weighted, int total, int normalize, float *restrict out) {
    double tally[CHUNK], elected[CHUNK], sum[CHUNK], agreeing[CHUNK];
    for (size_t c0 = 0; c0 < cols; c0 += CHUNK) {
        size_t n = cols - c0 < CHUNK ? cols - c0 : CHUNK;
        for (size_t j = 0; j < n; j++) tally[j] = 0;
        for (size_t i = 0; i < count; i++) {
            const float *restrict x = inputs + i * cols + c0;
            double w = weighted ? weights[i] : 1.0;
            if (total) {
                for (size_t j = 0; j < n; j++) tally[j] += w * (double)x[j];
            } else {
                for (size_t j = 0; j < n; j++) {
                    double y = w * (double)x[j];
                    tally[j] += y > 0 ? 1.0 : (y < 0 ? -1.0 : 0.0);
                }
            }
        }
        for (size_t j = 0; j < n; j++) {
            elected[j] = tally[j] >= 0 ? 1.0 : -1.0;
            sum[j] = 0;
            agreeing[j] = 0;
        }
        for (size_t i = 0; i < count; i++) {
            const float *restrict x = inputs + i * cols + c0;
            double w = weights[i], vote = weighted ? w : 1.0, share = weighted ? w : 1.0;
            for (size_t j = 0; j < n; j++) {
                double v = (double)x[j];
                int agrees = vote * v * elected[j] > 0;   // false for 0 and NaN
                sum[j] += agrees ? w * v : 0.0;
                agreeing[j] += agrees ? share : 0.0;
            }
        }
        float *restrict o = out + c0;
        if (normalize && weighted) {
            for (size_t j = 0; j < n; j++) o[j] = (float)(sum[j] / (agreeing[j] == 0 ? 1.0 : agreeing[j]));
        } else if (normalize) {
            for (size_t j = 0; j < n; j++) o[j] = (float)(sum[j] / (agreeing[j] < 1.0 ? 1.0 : agreeing[j]));
        } else {
            for (size_t j = 0; j < n; j++) o[j] = (float)sum[j];
        }
    }
}

SEEDLORA_CLONES
size_t seedlora_bracket_keys(const float *restrict values, size_t n, uint32_t low, uint32_t high,
                             uint32_t *restrict inside, size_t capacity, size_t *stored) {
    const uint32_t width = high - low;
    size_t above = 0, kept = *stored;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32_t counted = 0, hit = 0;
        for (size_t j = 0; j < 16; j++) {
            uint32_t key = magnitude_key(values[i + j]);
            counted += key > high;
            hit |= (uint32_t)(key - low) <= width;
        }
        above += counted;
        if (hit) {
            for (size_t j = 0; j < 16; j++) {
                uint32_t key = magnitude_key(values[i + j]);
                if ((uint32_t)(key - low) <= width) {
                    if (kept < capacity) inside[kept] = key;
                    kept++;
                }
            }
        }
    }
    for (; i < n; i++) {
        uint32_t key = magnitude_key(values[i]);
        above += key > high;
        if ((uint32_t)(key - low) <= width) {
            if (kept < capacity) inside[kept] = key;
            kept++;
        }
    }
    *stored = kept;
    return above;
}

SEEDLORA_CLONES
void seedlora_trim_rows_bracketed(const float *const *rows, size_t count, size_t cols, int64_t row_base,
                                  seedlora_bracket_state *state, float *restrict trimmed, uint8_t *restrict flags) {
    // flags[c]: whether any input's entry c is inside its bracket.
    for (size_t c = 0; c < cols; c++) flags[c] = 0;
    for (size_t i = 0; i < count; i++) {
        const float *restrict x = rows[i];
        float *restrict t = trimmed + i * cols;
        const uint32_t low = state->low[i], high = state->high[i], width = high - low;
        uint32_t above = 0;   // a row has fewer than 2^32 entries
        for (size_t c = 0; c < cols; c++) {
            float v = x[c];
            uint32_t key = magnitude_key(v);
            above += key > high;
            flags[c] |= (uint8_t)((uint32_t)(key - low) <= width);
            // Kept when above the bracket or (provisionally) inside it: key >= low.
            t[c] = key >= low ? v : 0.0f;
        }
        state->above[i] += above;
    }
    // Entries with any input inside its bracket: their index and raw values, for later, and
    // each input's keys inside its bracket (every such key is at a flagged entry). Eight flags
    // at a time: most words are all zero.
    size_t deferred = state->deferred_stored;
    for (size_t c0 = 0; c0 < cols; c0 += 8) {
        size_t end = c0 + 8 < cols ? c0 + 8 : cols;
        if (end - c0 == 8) {
            uint64_t word;
            memcpy(&word, flags + c0, sizeof word);
            if (!word) continue;
        }
        for (size_t c = c0; c < end; c++) {
            if (!flags[c]) continue;
            if (deferred < state->deferred_capacity) {
                state->deferred_index[deferred] = row_base + (int64_t)c;
                for (size_t i = 0; i < count; i++) state->deferred_values[deferred * count + i] = rows[i][c];
            }
            deferred++;
            for (size_t i = 0; i < count; i++) {
                uint32_t key = magnitude_key(rows[i][c]);
                if ((uint32_t)(key - state->low[i]) <= state->high[i] - state->low[i]) {
                    size_t slot = state->inside_stored[i]++;
                    if (slot < state->inside_capacity) state->inside[i][slot] = key;
                }
            }
        }
    }
    state->deferred_stored = deferred;
}

SEEDLORA_CLONES
int seedlora_has_nonfinite(const float *restrict values, size_t n) {
    uint32_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t key = magnitude_key(values[i]);
        largest = key > largest ? key : largest;
    }
    return largest >= 0x7F800000u;
}
