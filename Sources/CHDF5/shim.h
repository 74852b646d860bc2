#ifndef SEEDLORA_CHDF5_SHIM_H
#define SEEDLORA_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>
// HDF5 macros do not import into Swift; each one needed gets a getter here.
// The type and property-list class macros call H5open() first, so these getters initialise the library.
static inline hid_t seedlora_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t seedlora_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t seedlora_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned seedlora_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned seedlora_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline size_t seedlora_H5T_VARIABLE(void) { return H5T_VARIABLE; }

static inline hid_t seedlora_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t seedlora_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t seedlora_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t seedlora_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t seedlora_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t seedlora_H5P_ATTRIBUTE_CREATE(void) { return H5P_ATTRIBUTE_CREATE; }

static inline hid_t seedlora_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t seedlora_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t seedlora_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t seedlora_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t seedlora_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t seedlora_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t seedlora_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t seedlora_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }

// Turns off HDF5's printing of error stacks to stderr (for the calling thread in a thread-safe
// build); errors are read from the stack instead. H5open() first: H5E_DEFAULT does not initialise.
static inline herr_t seedlora_H5_silence_errors(void) {
    if (H5open() < 0) return -1;
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
#endif
