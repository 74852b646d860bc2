#ifndef SEEDLORA_CBLAS_SHIM_H
#define SEEDLORA_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>

// OpenBLAS stops its worker threads with this (its fork handler does); exported by every
// threaded OpenBLAS build since 0.2. A later threaded call starts them again.
void blas_thread_shutdown_(void);
#endif
