// One clone of a kernel per instruction set (AVX-512, AVX2 + FMA, baseline), chosen when the
// library loads: Swift compiles for the x86-64 baseline (SSE2) only. Private to the kernels.
#ifndef SEEDLORA_CLONES_H
#define SEEDLORA_CLONES_H

#if defined(__x86_64__) && defined(__clang__)
#define SEEDLORA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SEEDLORA_CLONES
#endif

#endif
