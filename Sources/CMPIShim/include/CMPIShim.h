// Open MPI through dlopen: the few MPI calls data-parallel training needs, resolved at run time
// from libmpi.so.40, so vittrain builds and runs without Open MPI (mpi.h is not needed either).
// Every call returns an MPI error code (0 = MPI_SUCCESS); requests are opaque pointers.

#ifndef VITTRAIN_CMPISHIM_H
#define VITTRAIN_CMPISHIM_H

#include <stddef.h>

/// Loads libmpi (RTLD_GLOBAL, as Open MPI's plugins need) and resolves the functions and
/// predefined handles. Returns 0, or -1 with a one-line reason in `error`.
int vt_mpi_load(const char *library, char *error, int error_length);

/// MPI_Init_thread(FUNNELED) with MPI_ERRORS_RETURN on COMM_WORLD, so failures come back as codes.
int vt_mpi_init(int *rank, int *size);
int vt_mpi_finalize(void);
void vt_mpi_abort(int code);
void vt_mpi_error_string(int code, char *text, int length);

/// In-place sums (float, double) over COMM_WORLD; the non-blocking one fills `request`.
int vt_mpi_iallreduce_sum_float(float *buffer, int count, void **request);
int vt_mpi_iallreduce_sum_double(double *buffer, int count, void **request);
int vt_mpi_iallreduce_max_double(double *buffer, int count, void **request);
/// Every rank's `count` bytes, concatenated in rank order into `received` (size × count bytes).
int vt_mpi_iallgather_bytes(const void *sent, int count, void *received, void **request);
int vt_mpi_ibcast_bytes(void *buffer, int count, int root, void **request);

/// MPI_Test: `done` becomes 1 when the request completed (it is then freed).
int vt_mpi_test(void **request, int *done);

#endif
