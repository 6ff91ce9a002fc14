// Portable bf16 GEMM with the same rounding as the AVX-512 kernel (inputs to bf16, round to
// nearest even; fp32 sums): the fallback on CPUs without AVX512_BF16. Slow, but never wrong.
#include "bf16_internal.h"
#include <stdint.h>
#include <string.h>

float vt_round_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu)) {
        bits |= 0x00400000u;                          // NaN stays NaN (quiet), never rounds to inf
    } else {
        bits += 0x7FFFu + ((bits >> 16) & 1u);        // ties go to the even bf16 mantissa
    }
    bits &= 0xFFFF0000u;
    memcpy(&x, &bits, 4);
    return x;
}

void vt_gemm_bf16_portable(int transA, int transB, long m, long n, long k, float alpha,
                           const float *a, long lda, const float *b, long ldb,
                           float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0;
            for (long p = 0; p < k; p++) {
                float x = transA ? a[p * lda + i] : a[i * lda + p];
                float y = transB ? b[j * ldb + p] : b[p * ldb + j];
                sum += vt_round_to_bf16(x) * vt_round_to_bf16(y);
            }
            float *out = c + i * ldc + j;
            *out = beta == 0 ? alpha * sum : alpha * sum + beta * *out;
        }
    }
}
