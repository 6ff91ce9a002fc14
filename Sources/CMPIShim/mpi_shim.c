// dlopen/dlsym binding of Open MPI 4.x. The predefined handles (MPI_COMM_WORLD, MPI_FLOAT, …)
// are addresses of global objects in libmpi (`ompi_mpi_comm_world`, …), so dlsym gives them
// directly; MPI_IN_PLACE is (void *)1 and MPI_STATUS_IGNORE is NULL in Open MPI's ABI.

#include "CMPIShim.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *Handle;
#define VT_IN_PLACE ((void *)1)
#define VT_THREAD_FUNNELED 1

static int (*p_init_thread)(int *, char ***, int, int *);
static int (*p_finalize)(void);
static int (*p_abort)(Handle, int);
static int (*p_comm_rank)(Handle, int *);
static int (*p_comm_size)(Handle, int *);
static int (*p_comm_set_errhandler)(Handle, Handle);
static int (*p_error_string)(int, char *, int *);
static int (*p_iallreduce)(const void *, void *, int, Handle, Handle, Handle, Handle *);
static int (*p_iallgather)(const void *, int, Handle, void *, int, Handle, Handle, Handle *);
static int (*p_ibcast)(void *, int, Handle, int, Handle, Handle *);
static int (*p_test)(Handle *, int *, void *);

static Handle comm_world, type_float, type_double, type_byte, op_sum, op_max, errors_return;

int vt_mpi_load(const char *library, char *error, int error_length) {
    void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        snprintf(error, error_length, "cannot load %s (%s); install Open MPI (apt-get install openmpi-bin libopenmpi-dev)",
                 library, dlerror());
        return -1;
    }
#define RESOLVE(pointer, name)                                                            \
    do {                                                                                  \
        *(void **)(&pointer) = dlsym(lib, name);                                          \
        if (!pointer) {                                                                   \
            snprintf(error, error_length, "%s lacks %s; expected Open MPI 4.x", library, name); \
            return -1;                                                                    \
        }                                                                                 \
    } while (0)
    RESOLVE(p_init_thread, "MPI_Init_thread");
    RESOLVE(p_finalize, "MPI_Finalize");
    RESOLVE(p_abort, "MPI_Abort");
    RESOLVE(p_comm_rank, "MPI_Comm_rank");
    RESOLVE(p_comm_size, "MPI_Comm_size");
    RESOLVE(p_comm_set_errhandler, "MPI_Comm_set_errhandler");
    RESOLVE(p_error_string, "MPI_Error_string");
    RESOLVE(p_iallreduce, "MPI_Iallreduce");
    RESOLVE(p_iallgather, "MPI_Iallgather");
    RESOLVE(p_ibcast, "MPI_Ibcast");
    RESOLVE(p_test, "MPI_Test");
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(type_float, "ompi_mpi_float");
    RESOLVE(type_double, "ompi_mpi_double");
    RESOLVE(type_byte, "ompi_mpi_byte");
    RESOLVE(op_sum, "ompi_mpi_op_sum");
    RESOLVE(op_max, "ompi_mpi_op_max");
    RESOLVE(errors_return, "ompi_mpi_errors_return");
#undef RESOLVE
    return 0;
}

int vt_mpi_init(int *rank, int *size) {
    int provided = 0;
    int code = p_init_thread(NULL, NULL, VT_THREAD_FUNNELED, &provided);
    if (code) return code;
    if ((code = p_comm_set_errhandler(comm_world, errors_return))) return code;
    if ((code = p_comm_rank(comm_world, rank))) return code;
    return p_comm_size(comm_world, size);
}

int vt_mpi_finalize(void) { return p_finalize(); }

void vt_mpi_abort(int code) { p_abort(comm_world, code); }

void vt_mpi_error_string(int code, char *text, int length) {
    char buffer[512];
    int n = 0;
    if (p_error_string && p_error_string(code, buffer, &n) == 0) {
        snprintf(text, length, "%.*s", n, buffer);
    } else {
        snprintf(text, length, "MPI error %d", code);
    }
}

int vt_mpi_iallreduce_sum_float(float *buffer, int count, void **request) {
    return p_iallreduce(VT_IN_PLACE, buffer, count, type_float, op_sum, comm_world, request);
}

int vt_mpi_iallreduce_sum_double(double *buffer, int count, void **request) {
    return p_iallreduce(VT_IN_PLACE, buffer, count, type_double, op_sum, comm_world, request);
}

int vt_mpi_iallreduce_max_double(double *buffer, int count, void **request) {
    return p_iallreduce(VT_IN_PLACE, buffer, count, type_double, op_max, comm_world, request);
}

int vt_mpi_iallgather_bytes(const void *sent, int count, void *received, void **request) {
    return p_iallgather(sent, count, type_byte, received, count, type_byte, comm_world, request);
}

int vt_mpi_ibcast_bytes(void *buffer, int count, int root, void **request) {
    return p_ibcast(buffer, count, type_byte, root, comm_world, request);
}

int vt_mpi_test(void **request, int *done) {
    return p_test(request, done, NULL);
}
