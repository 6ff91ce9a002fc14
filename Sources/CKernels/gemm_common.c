// The GEMMs' shared per-thread pack buffers (one pthread key, freed at thread exit) and the
// k == 0 case. Portable C: nothing here needs AVX-512.
#include "gemm_common.h"
#include <pthread.h>
#include <stdlib.h>

static pthread_key_t bufferKey;
static pthread_once_t bufferOnce = PTHREAD_ONCE_INIT;

static void freeBuffers(void *p) {
    VTPackBuffers *buffers = p;
    free(buffers->a);
    free(buffers->b);
    free(buffers);
}

static void makeKey(void) { pthread_key_create(&bufferKey, freeBuffers); }

void *vt_ensure_buffer(void **slot, size_t *capacity, size_t bytes) {
    if (*capacity >= bytes) return *slot;
    free(*slot);
    *slot = aligned_alloc(64, (bytes + 63) / 64 * 64);
    *capacity = *slot ? bytes : 0;
    return *slot;
}

VTPackBuffers *vt_thread_pack_buffers(void) {
    pthread_once(&bufferOnce, makeKey);
    VTPackBuffers *buffers = pthread_getspecific(bufferKey);
    if (!buffers) {
        buffers = calloc(1, sizeof *buffers);
        if (buffers) pthread_setspecific(bufferKey, buffers);
    }
    return buffers;
}

void vt_scale_c(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}
