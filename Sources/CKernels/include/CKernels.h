// The module's umbrella header: a new kernel header is listed here, so that clang's module
// cache sees the change (with an umbrella directory it kept the old module, and Swift could not
// find the new functions until the cache was deleted).
#include "seedlora_kernels.h"
#include "seedlora_gram.h"
#include "seedlora_layout.h"
#include "seedlora_transpose.h"
#include "seedlora_direct_io.h"
