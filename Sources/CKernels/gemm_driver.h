// The Goto-style blocking shared by the fp32 GEMMs (AVX-512F in f32_gemm.c, AVX2+FMA in
// f32_gemm_avx2.c): a KC×NC block of op(B) is packed once; then each MR-row panel of op(A) is
// packed and swept across that whole block by MR×NR register tiles (columns innermost), while
// the next A panel's source lines are prefetched into L2. Each kernel supplies its packers and
// tile; the driver is always inlined into the kernel's own target function. Not public.
#ifndef VT_GEMM_DRIVER_H
#define VT_GEMM_DRIVER_H

#include "gemm_common.h"

/// op(B)[pc..pc+kc, jc..jc+nc] → NR-column panels, each [kc][NR].
typedef void (*VTPackBlockB)(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc, float *out);
/// Rows i0..i0+rows of op(A)[:, pc..pc+kc] → one panel [kc][MR].
typedef void (*VTPackPanelA)(int transA, const float *a, long lda, long i0, long pc, long rows, long kc, float *out);
/// rows (≤ MR) × NR tile over kc, stored into `cols` (≤ NR, may exceed it) columns of C. Row r of
/// A at depth p is ap[r·lda + p] when lda > 0 (op(A) read in place), else ap[p·MR + r] (a packed panel).
typedef void (*VTTile)(long rows, long kc, const float *ap, long lda, const float *bp, float *c, long ldc,
                       long cols, float alpha, float beta);

/// One case of a kernel's switch over tile heights: the always-inlined `tile` in scope, compiled
/// for a constant height n (so a bottom-edge tile computes no padded rows) and for each A layout,
/// with VTTile's arguments.
#define VT_TILE_CASE(n) case n: \
    if (lda > 0) tile(n, 1, kc, ap, lda, bp, c, ldc, cols, alpha, beta); \
    else tile(n, 0, kc, ap, 0, bp, c, ldc, cols, alpha, beta); \
    break;

/// The op(A) panel (rows i0.., k from pc) that the A packer will read next.
static inline VTPrefetch vt_next_panel_a(int transA, const float *a, long lda, long m, long k, long i0,
                                         long pc, long mr, long kcBlock) {
    if (i0 >= m) { i0 = 0; pc += kcBlock; }
    if (pc >= k) return vt_prefetch_lines(a, 0, 0, 0);
    long rows = m - i0 < mr ? m - i0 : mr, kc = k - pc < kcBlock ? k - pc : kcBlock;
    return transA ? vt_prefetch_lines(a + pc * lda + i0, kc, lda, rows)
                  : vt_prefetch_lines(a + i0 * lda + pc, rows, lda, kc);
}

/// Whether a tile reads MR rows of op(A) in place (rows along k, `lda` floats apart) rather than
/// from a packed panel: when no L1 set (64 sets of 64-byte lines on every x86 core we target) holds
/// more than 4 of the rows' current lines, so they stay in L1 beside the B panel, whatever the
/// associativity (8 ways and up). Strides of 1024 floats put all rows in one set: 1024³ ran at
/// 0.6× in place.
static inline int vt_reads_a_in_place(int transA, long lda, long mr) {
    if (transA) return 0;
    int perSet[64] = {0};
    for (long r = 0; r < mr; r++)
        if (++perSet[((r * lda * 4) >> 6) & 63] > 4) return 0;
    return 1;
}

/// The whole product on the given kernel pieces, each MR-row panel of C passed through `epilogue`
/// (NULL: none) right after its last k block, while it is in cache; 0 if the pack buffers could not
/// be allocated.
static inline __attribute__((always_inline)) int
vt_gemm_blocked(const long MR, const long NR, const long KC, const long NC, VTPackBlockB packB,
                VTPackPanelA packA, VTTile tile, int transA, int transB, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc,
                const VTEpilogue *epilogue) {
    VTPackBuffers *buffers = vt_thread_pack_buffers();
    if (!buffers) return 0;
    long kcMax = KC < k ? KC : k;
    long ncMax = NC < n ? NC : n;
    size_t bBytes = (size_t)kcMax * ((ncMax + NR - 1) / NR * NR) * 4;
    size_t aBytes = (size_t)kcMax * MR * 4;
    float *bPack = vt_ensure_buffer(&buffers->b, &buffers->bBytes, bBytes);
    float *aPack = vt_ensure_buffer(&buffers->a, &buffers->aBytes, aBytes);
    if (!bPack || !aPack) return 0;

    int inPlace = vt_reads_a_in_place(transA, lda, MR);
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            float blockBeta = pc == 0 ? beta : 1;    // later k blocks add onto the first
            int lastBlock = pc + kc >= k;
            packB(transB, b, ldb, pc, jc, kc, nc, bPack);
            for (long ir = 0; ir < m; ir += MR) {
                long rows = m - ir < MR ? m - ir : MR;
                // Rows of op(A) that run along k are read in place where their lines fit L1's
                // sets: the tile's broadcasts take them from L1/L2 as from a packed panel, without
                // the pass that packs them (4 % of a ViT-Tiny step).
                const float *panel = inPlace ? a + ir * lda + pc : aPack;
                if (!inPlace) packA(transA, a, lda, ir, pc, rows, kc, aPack);
                VTPrefetch next = vt_next_panel_a(transA, a, lda, m, k, ir + MR, pc, MR, KC);
                long tiles = (nc + NR - 1) / NR, perTile = (next.lines + tiles - 1) / tiles;
                for (long jr = 0; jr < nc; jr += NR) {
                    vt_prefetch_step(&next, perTile);
                    tile(rows, kc, panel, inPlace ? lda : 0, bPack + (jr / NR) * kc * NR, c + ir * ldc + jc + jr,
                         ldc, nc - jr, alpha, blockBeta);
                }
                // The panel's rows of C are final and still in L1/L2. One call per panel, not per
                // tile: a call per 6×16 tile cost the AVX2 kernel about 10 % of a ViT-Tiny step.
                if (epilogue && lastBlock) vt_gemm_epilogue(epilogue, c + ir * ldc + jc, ldc, ir, jc, rows, nc);
            }
        }
    }
    return 1;
}

#endif
