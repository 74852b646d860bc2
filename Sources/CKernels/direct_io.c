#define _GNU_SOURCE
#include "seedlora_direct_io.h"

#include <fcntl.h>

int seedlora_open_direct(const char *path) {
#ifdef O_DIRECT
    return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
#else
    (void)path;
    return -1;
#endif
}
