// AVX2+FMA fp32 GEMM for CPUs without AVX-512 (Zen 2/3, Intel client parts): gemm_driver.h's
// blocking (KC 768, NC 1536, as the AVX-512F kernel) with 6×16 register tiles (12 ymm
// accumulators + 2 B vectors + 1 broadcast of the 16 registers), the BLIS Haswell shape.
// Packed layouts: B panel [kc][NR=16] (two ymm per k), A panel [kc][MR=6] (broadcast per row),
// or A read in place (gemm_driver.h's vt_a_layout).
#include "gemm_driver.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define VT_AVX2 __attribute__((target("avx2,fma")))

enum { MR = 6, NR = 16, KC = 768, NC = 1536 };

// ---- Packing (portable packers, vectorised for AVX2 here: the panels are narrow) ----

VT_AVX2 static void packB(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc, float *out) {
    if (!transB) { vt_pack_rows(b + pc * ldb + jc, ldb, kc, nc, NR, out); return; }
    for (long j = 0; j < nc; j += NR) {
        long width = nc - j < NR ? nc - j : NR;
        vt_pack_lines_along_k(b + (jc + j) * ldb + pc, ldb, kc, width, NR, out + (j / NR) * kc * NR);
    }
}

VT_AVX2 static void packPanelA(int transA, const float *a, long lda, long i0, long pc, long rows, long kc,
                               float *out) {
    if (transA) vt_pack_rows(a + pc * lda + i0, lda, kc, rows, MR, out);
    else vt_pack_lines_along_k(a + i0 * lda + pc, lda, kc, rows, MR, out);
}

// ---- Register tile ----

/// C row = alpha·acc + beta·C for the first `count` (≤ 8 used) columns; beta == 0 never reads C.
VT_AVX2 static inline void storeRow8(float *c, __m256 acc, long count, __m256 alpha, float beta) {
    __m256 scaled = _mm256_mul_ps(acc, alpha);
    if (count >= 8) {
        if (beta != 0) {
            __m256 old = _mm256_loadu_ps(c);
            scaled = beta == 1 ? _mm256_add_ps(old, scaled) : _mm256_fmadd_ps(old, _mm256_set1_ps(beta), scaled);
        }
        _mm256_storeu_ps(c, scaled);
    } else if (count > 0) {
        __m256i mask = vt_low_mask8(count);
        if (beta != 0) {
            __m256 old = _mm256_maskload_ps(c, mask);
            scaled = beta == 1 ? _mm256_add_ps(old, scaled) : _mm256_fmadd_ps(old, _mm256_set1_ps(beta), scaled);
        }
        _mm256_maskstore_ps(c, mask, scaled);
    }
}

/// ROWS × 16 tile: 2·ROWS accumulators over kc, stored to ROWS rows and `cols` columns of C.
/// Always inlined with a constant ROWS so the accumulators live in registers.
__attribute__((always_inline)) VT_AVX2 static inline void
tile(const int ROWS, const int LAYOUT, long kc, const float *ap, long lda, const float *bp, float *c,
     long ldc, long cols, float alpha, float beta) {
    __m256 acc0[MR], acc1[MR];
    VT_UNROLL for (int r = 0; r < ROWS; r++) { acc0[r] = _mm256_setzero_ps(); acc1[r] = _mm256_setzero_ps(); }
    VT_UNROLL for (int r = 0; r < ROWS; r++) __builtin_prefetch(c + r * ldc, 1, 3);   // C's misses overlap the k loop
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(bp + p * NR);
        __m256 b1 = _mm256_load_ps(bp + p * NR + 8);
        VT_UNROLL for (int r = 0; r < ROWS; r++) {
            __m256 x = _mm256_broadcast_ss(VT_A_ADDRESS(LAYOUT, ap, lda, MR, r, p));
            acc0[r] = _mm256_fmadd_ps(x, b0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(x, b1, acc1[r]);
        }
    }
    __m256 vAlpha = _mm256_set1_ps(alpha);
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        storeRow8(c + r * ldc, acc0[r], cols, vAlpha, beta);
        storeRow8(c + r * ldc + 8, acc1[r], cols - 8, vAlpha, beta);
    }
}

VT_AVX2 static void tileAny(long rows, long kc, const float *ap, long lda, int layout, const float *bp, float *c,
                            long ldc, long cols, float alpha, float beta) {
    switch (rows) {
    VT_TILE_CASE(1) VT_TILE_CASE(2) VT_TILE_CASE(3) VT_TILE_CASE(4) VT_TILE_CASE(5)
    default: VT_TILE_CASE(MR)
    }
}

VT_AVX2 int vt_gemm_f32_avx2(int transA, int transB, long m, long n, long k, float alpha, const float *a,
                             long lda, const float *b, long ldb, float beta, float *c, long ldc,
                             const VTEpilogue *epilogue) {
    return vt_gemm_blocked(MR, NR, KC, NC, packB, packPanelA, tileAny, transA, transB, m, n, k, alpha,
                           a, lda, b, ldb, beta, c, ldc, epilogue);
}
#endif
