// HDF5 1.10 (serial). Its type and property-list "constants" are macros that call into the
// library, so Swift cannot import them; each one used from Swift is wrapped below.
#include <hdf5.h>

static inline hid_t vt_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t vt_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t vt_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t vt_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t vt_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t vt_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t vt_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t vt_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t vt_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t vt_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline unsigned vt_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned vt_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned vt_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned vt_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline hid_t vt_H5S_ALL(void) { return H5S_ALL; }
/// Silences HDF5's default error stack printing; errors are reported by our own messages.
static inline void vt_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
