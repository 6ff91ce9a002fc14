// AVX-512 BF16 GEMM: C = alpha·op(A)·op(B) + beta·C with inputs rounded to bf16 while packing and
// products summed in fp32 by vdpbf16ps. Goto-style blocking: a KC×NC block of op(B) is packed (and
// converted) once; then each MR-row panel of op(A) is packed and swept across that whole block by
// MR×NR register tiles (columns innermost, so C is written row band by row band).
// Packed layouts (one 32-bit word = a bf16 pair {x[k even], x[k odd]}, low half = even k):
//   B panel: [kp pairs][NR=32 columns]   — two zmm per pair, the vdpbf16ps "b" operand
//   A panel: [kp pairs][MR=14 rows]      — each word broadcast to all 16 lanes
// (packers in bf16_pack.c). Where the CPU has AMX-BF16, vt_gemm_bf16 runs the tile kernel of
// bf16_amx.c instead: the same rounding, several times the throughput.
#include "CKernels.h"
#include "bf16_internal.h"
#include "gemm_common.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

#define VT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,prfchw")))

enum {
    MR = 14,          // rows per register tile: 14×2 accumulators + 2 B vectors of 32 zmm
    NR = 32,          // columns per register tile (two zmm of fp32)
    KCP = VT_BF16_KCP, // k pairs per block: ViT's k = 576 and 768 take one block, so C is
                      // written once; the A micro-panel (14 × 384 × 4 B = 21 KB) stays in L1
                      // while it sweeps the B block
    NC = 1536,        // columns of op(B) per block: 1536 × 384 × 4 B = 2.4 MB, streamed from
                      // L2/L3 once per micro-panel. Measured: NC 1536 ≈ 768 > 384, and columns
                      // innermost beat rows innermost by up to 15% when C is large (C is then
                      // written row band by row band, in order)
};

/// op(B)[pc..pc+kc, jc..jc+nc] → NR-column panels, each [kp][NR].
VT_AVX512 static void packB(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc,
                            uint32_t *out) {
    long kp = (kc + 1) / 2;
    if (!transB) { vt_bf16_pack_rows_paired(b + pc * ldb + jc, ldb, kc, nc, NR, kp, out); return; }
    for (long j = 0; j < nc; j += NR) {
        long width = nc - j < NR ? nc - j : NR;
        vt_bf16_pack_lines_along_k(b + (jc + j) * ldb + pc, ldb, kc, width, NR, kp, out + (j / NR) * kp * NR);
    }
}

/// Rows i0..i0+rows (rows ≤ MR) of op(A)[:, pc..pc+kc] → one panel [kp][MR], packed right before
/// it sweeps the B block, so it is still in L1 for all of its tiles.
VT_AVX512 static void packPanelA(int transA, const float *a, long lda, long i0, long pc, long rows,
                                 long kc, uint32_t *out) {
    long kp = (kc + 1) / 2;
    if (transA) vt_bf16_pack_rows_paired(a + pc * lda + i0, lda, kc, rows, MR, kp, out);
    else vt_bf16_pack_lines_along_k(a + i0 * lda + pc, lda, kc, rows, MR, kp, out);
}

// ---- Register tile ----

/// ROWS × 32 tile: 2·ROWS fp32 accumulators over kp pairs, then stored to the first `rows`
/// rows and `cols` columns of C. Always inlined with a constant ROWS so the accumulators
/// live in registers.
__attribute__((always_inline)) VT_AVX512 static inline void
tile(const int ROWS, long kp, const uint32_t *ap, const uint32_t *bp, float *c, long ldc,
     long cols, float alpha, float beta) {
    __m512 acc0[MR], acc1[MR];
    VT_UNROLL for (int r = 0; r < ROWS; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    // Start fetching the C tile (for writing) now, so its misses overlap the k loop.
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        __builtin_prefetch(c + r * ldc, 1, 3);
        __builtin_prefetch(c + r * ldc + 16, 1, 3);
    }
    for (long p = 0; p < kp; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(bp + p * NR);
        __m512bh b1 = (__m512bh)_mm512_load_si512(bp + p * NR + 16);
        VT_UNROLL for (int r = 0; r < ROWS; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)ap[p * MR + r]);
            acc0[r] = _mm512_dpbf16_ps(acc0[r], x, b0);
            acc1[r] = _mm512_dpbf16_ps(acc1[r], x, b1);
        }
    }
    __mmask16 m0 = vt_low_mask(cols), m1 = vt_low_mask(cols - 16);
    __m512 vAlpha = _mm512_set1_ps(alpha);
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        vt_store_row(c + r * ldc, acc0[r], m0, vAlpha, beta);
        vt_store_row(c + r * ldc + 16, acc1[r], m1, vAlpha, beta);
    }
}

VT_AVX512 static void tileFull(long kp, const uint32_t *ap, const uint32_t *bp, float *c, long ldc,
                               long cols, float alpha, float beta) {
    tile(MR, kp, ap, bp, c, ldc, cols, alpha, beta);
}

/// Bottom-edge tile with fewer than MR rows: a kernel per height so no padded rows are computed.
VT_AVX512 static void tileEdge(long rows, long kp, const uint32_t *ap, const uint32_t *bp, float *c,
                               long ldc, long cols, float alpha, float beta) {
    switch (rows) {
    case 1: tile(1, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 2: tile(2, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 3: tile(3, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 4: tile(4, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 5: tile(5, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 6: tile(6, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 7: tile(7, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 8: tile(8, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 9: tile(9, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 10: tile(10, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 11: tile(11, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 12: tile(12, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    case 13: tile(13, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    default: tile(MR, kp, ap, bp, c, ldc, cols, alpha, beta); break;
    }
}

// ---- Driver ----

/// The op(A) panel (rows i0.., k from pc) that packPanelA will read next.
static VTPrefetch nextPanelA(int transA, const float *a, long lda, long m, long k, long i0, long pc) {
    if (i0 >= m) { i0 = 0; pc += 2 * KCP; }
    if (pc >= k) return vt_prefetch_lines(a, 0, 0, 0);
    long rows = m - i0 < MR ? m - i0 : MR, kc = k - pc < 2 * KCP ? k - pc : 2 * KCP;
    return transA ? vt_prefetch_lines(a + pc * lda + i0, kc, lda, rows)
                  : vt_prefetch_lines(a + i0 * lda + pc, rows, lda, kc);
}

VT_AVX512 static int gemmAVX512(int transA, int transB, long m, long n, long k, float alpha,
                                const float *a, long lda, const float *b, long ldb,
                                float beta, float *c, long ldc, const VTEpilogue *epilogue) {
    VTPackBuffers *buffers = vt_thread_pack_buffers();
    if (!buffers) return 0;
    long kcMax = 2 * KCP < k ? 2 * KCP : k;
    long kpMax = (kcMax + 1) / 2;
    long ncMax = NC < n ? NC : n;
    size_t bBytes = (size_t)kpMax * ((ncMax + NR - 1) / NR * NR) * 4;
    size_t aBytes = (size_t)kpMax * MR * 4;
    uint32_t *bPack = vt_ensure_buffer(&buffers->b, &buffers->bBytes, bBytes);
    uint32_t *aPack = vt_ensure_buffer(&buffers->a, &buffers->aBytes, aBytes);
    if (!bPack || !aPack) return 0;

    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += 2 * KCP) {
            long kc = k - pc < 2 * KCP ? k - pc : 2 * KCP;
            long kp = (kc + 1) / 2;
            float blockBeta = pc == 0 ? beta : 1;    // later k blocks add onto the first
            int lastBlock = pc + kc >= k;
            packB(transB, b, ldb, pc, jc, kc, nc, bPack);
            for (long ir = 0; ir < m; ir += MR) {
                long rows = m - ir < MR ? m - ir : MR;
                packPanelA(transA, a, lda, ir, pc, rows, kc, aPack);
                VTPrefetch next = nextPanelA(transA, a, lda, m, k, ir + MR, pc);
                long tiles = (nc + NR - 1) / NR, perTile = (next.lines + tiles - 1) / tiles;
                for (long jr = 0; jr < nc; jr += NR) {
                    vt_prefetch_step(&next, perTile);
                    const uint32_t *bp = bPack + (jr / NR) * kp * NR;
                    float *ct = c + ir * ldc + jc + jr;
                    if (rows == MR) tileFull(kp, aPack, bp, ct, ldc, nc - jr, alpha, blockBeta);
                    else tileEdge(rows, kp, aPack, bp, ct, ldc, nc - jr, alpha, blockBeta);
                }
                // The panel's rows of C are final and still in L1/L2 (one call per panel, as gemm_driver.h).
                if (epilogue && lastBlock) vt_gemm_epilogue(epilogue, c + ir * ldc + jc, ldc, ir, jc, rows, nc);
            }
        }
    }
    return 1;
}

void vt_gemm_bf16_fused(int transA, int transB, long m, long n, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb,
                        float beta, float *c, long ldc, const VTEpilogue *epilogue) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        vt_scale_c(m, n, beta, c, ldc);
    } else if (vt_bf16_uses_amx() &&
               vt_gemm_bf16_amx(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) {
        // The AMX kernel stores 32×32 blocks from tiles: its epilogue is the pass below.
    } else if (vt_cpu_has_avx512_bf16() &&
               gemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue)) {
        return;
    } else {
        // No AVX512_BF16, or the pack buffers could not be allocated.
        vt_gemm_bf16_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    vt_gemm_epilogue(epilogue, c, ldc, 0, 0, m, n);
}

#else

void vt_gemm_bf16_fused(int transA, int transB, long m, long n, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb,
                        float beta, float *c, long ldc, const VTEpilogue *epilogue) {
    if (m <= 0 || n <= 0) return;
    vt_gemm_bf16_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    vt_gemm_epilogue(epilogue, c, ldc, 0, 0, m, n);
}

#endif

void vt_gemm_bf16(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc) {
    vt_gemm_bf16_fused(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
}
