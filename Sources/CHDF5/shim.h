// HDF5 1.10 (serial). Its type and property-list "constants" are macros that call into the
// library, so Swift cannot import them; each one used from Swift is wrapped below.
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

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
static inline hid_t vt_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t vt_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t vt_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t vt_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline size_t vt_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t vt_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t vt_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t vt_H5E_DEFAULT(void) { return H5E_DEFAULT; }
/// Called once, before any other HDF5 call. It silences HDF5's default error stack printing
/// (errors are reported by our own messages) and keeps HDF5 from closing files at exit: when a
/// file's final flush fails (disk full), libhdf5 1.10 leaves that file half-destroyed in its ID
/// table, and its exit handler then segfaults on it, turning a clean error exit into signal 11.
/// Every file we write is closed explicitly, so the exit handler has nothing else to do.
static inline void vt_H5_prepare(void) {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/// Collects the HDF5 error stack into `buf` as one line: the API-level description, then the
/// innermost (most specific) one, e.g. "unable to open file (truncated file: eof = 1200, ...)".
typedef struct { unsigned count; char inner[256]; char outer[256]; } vt_H5_error_text;
static inline herr_t vt_H5_error_walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    vt_H5_error_text *t = (vt_H5_error_text *)data;
    const char *d = (e && e->desc && e->desc[0]) ? e->desc : (e && e->func_name ? e->func_name : "");
    if (n == 0) { snprintf(t->inner, sizeof t->inner, "%s", d); }
    snprintf(t->outer, sizeof t->outer, "%s", d);
    t->count = n + 1;
    return 0;
}
static inline void vt_H5_last_error(char *buf, size_t cap) {
    vt_H5_error_text t; t.count = 0; t.inner[0] = 0; t.outer[0] = 0;
    if (cap == 0) return;
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, vt_H5_error_walk_cb, &t);
    if (t.count == 0) return;
    if (t.count == 1 || strcmp(t.inner, t.outer) == 0) snprintf(buf, cap, "%s", t.outer);
    else snprintf(buf, cap, "%s (%s)", t.outer, t.inner);
    for (char *p = buf; *p; p++) if (*p == '\n' || *p == '\r') *p = ' ';
    H5Eclear2(H5E_DEFAULT);
}
