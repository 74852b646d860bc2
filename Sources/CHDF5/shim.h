#ifndef SEEDLORA_CHDF5_SHIM_H
#define SEEDLORA_CHDF5_SHIM_H
#include <hdf5.h>
// HDF5 macros do not import into Swift; each one needed gets a getter here.
static inline hid_t seedlora_H5P_DEFAULT(void) { return H5P_DEFAULT; }
#endif
