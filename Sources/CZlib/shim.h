#ifndef SEEDLORA_CZLIB_SHIM_H
#define SEEDLORA_CZLIB_SHIM_H
#include <zlib.h>
#endif
