// AVX-512 BF16 GEMM: C = alpha·op(A)·op(B) + beta·C with inputs rounded to bf16 while packing and
// products summed in fp32 by vdpbf16ps. Goto-style blocking: a KC×NC block of op(B) is packed (and
// converted) once; then each MR-row panel of op(A) is packed and swept across that whole block by
// MR×NR register tiles (columns innermost, so C is written row band by row band).
// Packed layouts (one 32-bit word = a bf16 pair {x[k even], x[k odd]}, low half = even k):
//   B panel: [kp pairs][NR=32 columns]   — two zmm per pair, the vdpbf16ps "b" operand
//   A panel: [kp pairs][MR=14 rows]      — each word broadcast to all 16 lanes
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
    KCP = 384,        // k pairs per block (a multiple of 16): ViT's k = 576 and 768 take one
                      // block, so C is written once; the A micro-panel (14 × 384 × 4 B = 21 KB)
                      // stays in L1 while it sweeps the B block
    NC = 1536,        // columns of op(B) per block: 1536 × 384 × 4 B = 2.4 MB, streamed from
                      // L2/L3 once per micro-panel. Measured: NC 1536 ≈ 768 > 384, and columns
                      // innermost beat rows innermost by up to 15% when C is large (C is then
                      // written row band by row band, in order)
};

// ---- Packing (fp32 → bf16 pairs) ----

// Word indices that interleave two 16-word halves: out[2j] = lo[j], out[2j+1] = hi[j].
VT_AVX512 static inline __m512i interleaveIndex(void) {
    return _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                            23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
}

/// Up to 16 consecutive floats of two k-rows → 16 pair words {row0[j], row1[j]}.
VT_AVX512 static inline __m512i pairRows(__mmask16 mask, const float *row0, const float *row1,
                                         __m512i index) {
    __m512 x0 = _mm512_maskz_loadu_ps(mask, row0);
    __m512 x1 = row1 ? _mm512_maskz_loadu_ps(mask, row1) : _mm512_setzero_ps();
    __m512i words = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);   // [x0 as bf16 | x1 as bf16]
    return _mm512_permutexvar_epi16(index, words);
}

/// Up to 32 consecutive floats along k (count valid) → 16 pair words, zero-padded.
VT_AVX512 static inline __m512i pairAlongK(const float *x, long count) {
    __m512 x0 = _mm512_maskz_loadu_ps(vt_low_mask(count), x);
    __m512 x1 = _mm512_maskz_loadu_ps(vt_low_mask(count - 16), x + 16);
    return (__m512i)_mm512_cvtne2ps_pbh(x1, x0);            // bf16 in k order = pairs in order
}

/// Packs `width` lines that run along a "wide" axis whose pairs come from two consecutive k-rows:
/// element (kk, j) at x[kk*ld + j]. Output: panels of panelWidth lines, each [kp][panelWidth]
/// words (the last panel zero-padded). Each pair of k-rows is read once across the whole width,
/// so memory is streamed in order instead of in narrow strided columns.
VT_AVX512 static void packRowsPaired(const float *x, long ld, long kc, long width, int panelWidth,
                                     uint32_t *out) {
    __m512i index = interleaveIndex();
    long kp = (kc + 1) / 2;
    for (long p = 0; p < kp; p++) {
        const float *row0 = x + 2 * p * ld;
        const float *row1 = 2 * p + 1 < kc ? row0 + ld : NULL;
        for (long j = 0; j < width; j += panelWidth) {
            uint32_t *dst = out + (j / panelWidth) * kp * panelWidth + p * panelWidth;
            for (int h = 0; h < panelWidth; h += 16) {
                __mmask16 mask = vt_low_mask(width - j - h);
                __m512i words = pairRows(mask, row0 + j + h, row1 ? row1 + j + h : NULL, index);
                _mm512_mask_storeu_epi32(dst + h, vt_low_mask(panelWidth - h), words);
            }
        }
    }
}

/// Packs `width` (≤ panelWidth) lines that each run along k: element (kk, j) at x[j*ld + kk].
/// Output [kp][panelWidth] words; lines beyond `width` are zero. Each group of sixteen lines is
/// first converted line by line into a small L1 buffer (reading memory in order, which the
/// prefetchers follow, unlike sixteen short interleaved streams), then transposed sixteen pairs
/// at a time in registers so each pair's words are stored together.
VT_AVX512 static void packLinesAlongK(const float *x, long ld, long kc, long width, int panelWidth,
                                      uint32_t *out) {
    long kp = (kc + 1) / 2;
    uint32_t converted[16][KCP] __attribute__((aligned(64)));   // 24 KB: [line][pair]
    for (long jb = 0; jb < panelWidth; jb += 16) {
        long lines = width - jb < 16 ? width - jb : 16;
        __mmask16 store = vt_low_mask(panelWidth - jb);
        for (long j = 0; j < lines; j++)
            for (long p0 = 0; p0 < kp; p0 += 16)
                _mm512_store_si512(&converted[j][p0], pairAlongK(x + (jb + j) * ld + 2 * p0, kc - 2 * p0));
        for (long p0 = 0; p0 < kp; p0 += 16) {
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j < lines ? _mm512_load_si512(&converted[j][p0]) : _mm512_setzero_si512();
            vt_transpose16(r);
            long count = kp - p0 < 16 ? kp - p0 : 16;
            for (long q = 0; q < count; q++)
                _mm512_mask_storeu_epi32(out + (p0 + q) * panelWidth + jb, store, r[q]);
        }
    }
}

/// op(B)[pc..pc+kc, jc..jc+nc] → NR-column panels, each [kp][NR].
VT_AVX512 static void packB(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc,
                            uint32_t *out) {
    if (!transB) { packRowsPaired(b + pc * ldb + jc, ldb, kc, nc, NR, out); return; }
    long kp = (kc + 1) / 2;
    for (long j = 0; j < nc; j += NR) {
        long width = nc - j < NR ? nc - j : NR;
        packLinesAlongK(b + (jc + j) * ldb + pc, ldb, kc, width, NR, out + (j / NR) * kp * NR);
    }
}

/// Rows i0..i0+rows (rows ≤ MR) of op(A)[:, pc..pc+kc] → one panel [kp][MR], packed right before
/// it sweeps the B block, so it is still in L1 for all of its tiles.
VT_AVX512 static void packPanelA(int transA, const float *a, long lda, long i0, long pc, long rows,
                                 long kc, uint32_t *out) {
    if (transA) packRowsPaired(a + pc * lda + i0, lda, kc, rows, MR, out);
    else packLinesAlongK(a + i0 * lda + pc, lda, kc, rows, MR, out);
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
                                float beta, float *c, long ldc) {
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
            }
        }
    }
    return 1;
}

void vt_gemm_bf16(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { vt_scale_c(m, n, beta, c, ldc); return; }
    if (vt_cpu_has_avx512_bf16() &&
        gemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
    // No AVX512_BF16, or the pack buffers could not be allocated.
    vt_gemm_bf16_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

void vt_gemm_bf16(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    vt_gemm_bf16_portable(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#endif
