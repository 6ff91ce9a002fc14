// fp32 GEMM: C = alpha·op(A)·op(B) + beta·C. The AVX-512F kernel here, the AVX2+FMA one in
// f32_gemm_avx2.c, both on gemm_driver.h's Goto-style blocking (the bf16 kernel's), and the
// dispatch between them and the portable loop by vt_cpu_level().
// Packed layouts of the AVX-512F kernel (fp32):
//   B panel: [kc][NR=32 columns]   — two zmm per k, the FMA's vector operand
//   A panel: [kc][MR=14 rows]      — each float broadcast to all 16 lanes; or op(A) read in
//                                    place (gemm_driver.h's vt_a_layout)
#include "CKernels.h"
#include "gemm_driver.h"

/// The reference triple loop (fp32 sums in k order): the baseline path.
static void gemmPortable(int transA, int transB, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0;
            for (long p = 0; p < k; p++)
                sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
            float *out = c + i * ldc + j;
            *out = beta == 0 ? alpha * sum : alpha * sum + beta * *out;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define VT_AVX512F __attribute__((target("avx512f")))

enum {
    MR = 14,          // rows per register tile: 14×2 accumulators + 2 B vectors of 32 zmm
    NR = 32,          // columns per register tile (two zmm)
    KC = 768,         // k per block (a multiple of 16): ViT's k = 192 and 768 take one block, so C
                      // is written once and A read once (KC 384 measured 2% slower at k = 768). The
                      // A micro-panel (14 × 768 × 4 B = 43 KB) streams in order from L1/L2
    NC = 1536,        // columns of op(B) per block: ViT's n ≤ 768 takes one block. NC 1536 > 768
                      // > 384 (by 2-6%) on 8320×576×192 and 4000×1536×768
};

// ---- Packing ----

/// Packs `width` (≤ panelWidth) lines that each run along k: element (kk, j) at x[j*ld + kk].
/// Output [kc][panelWidth]; lines beyond `width` are zero. Sixteen lines at a time, sixteen k
/// at a time, transposed in registers.
VT_AVX512F static void packLinesAlongK(const float *x, long ld, long kc, long width, int panelWidth,
                                       float *out) {
    for (long jb = 0; jb < panelWidth; jb += 16) {
        long lines = width - jb < 16 ? width - jb : 16;
        __mmask16 store = vt_low_mask(panelWidth - jb);
        for (long p0 = 0; p0 < kc; p0 += 16) {
            __mmask16 load = vt_low_mask(kc - p0);
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j < lines ? _mm512_maskz_loadu_epi32(load, x + (jb + j) * ld + p0)
                                 : _mm512_setzero_si512();
            vt_transpose16(r);
            long count = kc - p0 < 16 ? kc - p0 : 16;
            for (long q = 0; q < count; q++)
                _mm512_mask_storeu_epi32(out + (p0 + q) * panelWidth + jb, store, r[q]);
        }
    }
}

/// Packs `width` lines that run along a "wide" axis, element (kk, j) at x[kk*ld + j], into
/// panels of panelWidth lines, each [kc][panelWidth] (the last panel zero-padded).
VT_AVX512F static void packRows(const float *x, long ld, long kc, long width, int panelWidth,
                                float *out) {
    for (long p = 0; p < kc; p++) {
        const float *row = x + p * ld;
        for (long j = 0; j < width; j += panelWidth) {
            float *dst = out + (j / panelWidth) * kc * panelWidth + p * panelWidth;
            for (int h = 0; h < panelWidth; h += 16) {
                __m512 v = _mm512_maskz_loadu_ps(vt_low_mask(width - j - h), row + j + h);
                _mm512_mask_storeu_ps(dst + h, vt_low_mask(panelWidth - h), v);
            }
        }
    }
}

/// op(B)[pc..pc+kc, jc..jc+nc] → NR-column panels, each [kc][NR].
VT_AVX512F static void packB(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc,
                             float *out) {
    if (!transB) { packRows(b + pc * ldb + jc, ldb, kc, nc, NR, out); return; }
    for (long j = 0; j < nc; j += NR) {
        long width = nc - j < NR ? nc - j : NR;
        packLinesAlongK(b + (jc + j) * ldb + pc, ldb, kc, width, NR, out + (j / NR) * kc * NR);
    }
}

/// Rows i0..i0+rows (rows ≤ MR) of op(A)[:, pc..pc+kc] → one panel [kc][MR], packed right before
/// it sweeps the B block, so it is still in L1 (L2 beyond 512 k) for all of its tiles.
VT_AVX512F static void packPanelA(int transA, const float *a, long lda, long i0, long pc, long rows,
                                  long kc, float *out) {
    if (transA) packRows(a + pc * lda + i0, lda, kc, rows, MR, out);
    else packLinesAlongK(a + i0 * lda + pc, lda, kc, rows, MR, out);
}

// ---- Register tile ----

/// ROWS × 32 tile: 2·ROWS accumulators over kc, then stored to the first ROWS rows and `cols`
/// columns of C. Always inlined with a constant ROWS so the accumulators live in registers.
__attribute__((always_inline)) VT_AVX512F static inline void
tile(const int ROWS, const int LAYOUT, long kc, const float *ap, long lda, const float *bp, float *c,
     long ldc, long cols, float alpha, float beta) {
    __m512 acc0[MR], acc1[MR];
    VT_UNROLL for (int r = 0; r < ROWS; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    // Start fetching the C tile (for writing) now, so its misses overlap the k loop.
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        __builtin_prefetch(c + r * ldc, 1, 3);
        __builtin_prefetch(c + r * ldc + 16, 1, 3);
    }
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(bp + p * NR);
        __m512 b1 = _mm512_load_ps(bp + p * NR + 16);
        VT_UNROLL for (int r = 0; r < ROWS; r++) {
            __m512 x = _mm512_set1_ps(*VT_A_ADDRESS(LAYOUT, ap, lda, MR, r, p));
            acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
        }
    }
    __mmask16 m0 = vt_low_mask(cols), m1 = vt_low_mask(cols - 16);
    __m512 vAlpha = _mm512_set1_ps(alpha);
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        vt_store_row(c + r * ldc, acc0[r], m0, vAlpha, beta);
        vt_store_row(c + r * ldc + 16, acc1[r], m1, vAlpha, beta);
    }
}

/// Any tile: a kernel per height, so a bottom-edge tile computes no padded rows.
VT_AVX512F static void tileAny(long rows, long kc, const float *ap, long lda, int layout, const float *bp, float *c,
                               long ldc, long cols, float alpha, float beta) {
    switch (rows) {
    VT_TILE_CASE(1) VT_TILE_CASE(2) VT_TILE_CASE(3) VT_TILE_CASE(4) VT_TILE_CASE(5)
    VT_TILE_CASE(6) VT_TILE_CASE(7) VT_TILE_CASE(8) VT_TILE_CASE(9) VT_TILE_CASE(10)
    VT_TILE_CASE(11) VT_TILE_CASE(12) VT_TILE_CASE(13)
    default: VT_TILE_CASE(MR)
    }
}

// ---- Driver ----

VT_AVX512F static int gemmAVX512(int transA, int transB, long m, long n, long k, float alpha,
                                 const float *a, long lda, const float *b, long ldb,
                                 float beta, float *c, long ldc, const VTEpilogue *epilogue) {
    return vt_gemm_blocked(MR, NR, KC, NC, packB, packPanelA, tileAny, transA, transB, m, n, k, alpha,
                           a, lda, b, ldb, beta, c, ldc, epilogue);
}
#endif

void vt_gemm_f32_fused(int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc, const VTEpilogue *epilogue) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        vt_scale_c(m, n, beta, c, ldc);
        vt_gemm_epilogue(epilogue, c, ldc, 0, 0, m, n);
        return;
    }
#if defined(__x86_64__)
    switch (vt_cpu_level()) {
    case VT_CPU_AVX512:
        if (gemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue)) return;
        break;
    case VT_CPU_AVX2:
        if (vt_gemm_f32_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue)) return;
        break;
    }
#endif
    // The baseline level, or the pack buffers could not be allocated: the epilogue as a second pass.
    gemmPortable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    vt_gemm_epilogue(epilogue, c, ldc, 0, 0, m, n);
}

void vt_gemm_f32(int transA, int transB, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb,
                 float beta, float *c, long ldc) {
    vt_gemm_f32_fused(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
}
