#ifndef SEEDLORA_CBLAS_SHIM_H
#define SEEDLORA_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
