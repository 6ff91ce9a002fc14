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
/// Where a tile finds row r, depth p of its A panel.
enum {
    VT_A_PACKED = 0,     // ap[p·MR + r]: a packed panel
    VT_A_ROWS = 1,       // ap[r·lda + p]: op(A) in place, its rows along k (A untransposed)
    VT_A_COLUMNS = 2,    // ap[p·lda + r]: op(A) in place, its rows across k (A transposed)
};

/// rows (≤ MR) × NR tile over kc, stored into `cols` (≤ NR, may exceed it) columns of C, its A panel
/// at ap in `layout` (a VT_A_… value) with row stride lda.
typedef void (*VTTile)(long rows, long kc, const float *ap, long lda, int layout, const float *bp, float *c,
                       long ldc, long cols, float alpha, float beta);

/// One case of a kernel's switch over tile heights: the always-inlined `tile` in scope, compiled
/// for a constant height n (so a bottom-edge tile computes no padded rows) and for each A layout,
/// with VTTile's arguments.
#define VT_TILE_CASE(n) case n: \
    if (layout == VT_A_ROWS) tile(n, VT_A_ROWS, kc, ap, lda, bp, c, ldc, cols, alpha, beta); \
    else if (layout == VT_A_COLUMNS) tile(n, VT_A_COLUMNS, kc, ap, lda, bp, c, ldc, cols, alpha, beta); \
    else tile(n, VT_A_PACKED, kc, ap, lda, bp, c, ldc, cols, alpha, beta); \
    break;

/// Where a tile's row r at depth p is, for a constant layout.
#define VT_A_ADDRESS(layout, ap, lda, MR, r, p) \
    ((ap) + ((layout) == VT_A_ROWS ? (r) * (lda) + (p) : (layout) == VT_A_COLUMNS ? (p) * (lda) + (r) \
                                                       : (p) * (MR) + (r)))

/// The op(A) panel (rows i0.., k from pc) that the A packer will read next.
static inline VTPrefetch vt_next_panel_a(int transA, const float *a, long lda, long m, long k, long i0,
                                         long pc, long mr, long kcBlock) {
    if (i0 >= m) { i0 = 0; pc += kcBlock; }
    if (pc >= k) return vt_prefetch_lines(a, 0, 0, 0);
    long rows = m - i0 < mr ? m - i0 : mr, kc = k - pc < kcBlock ? k - pc : kcBlock;
    return transA ? vt_prefetch_lines(a + pc * lda + i0, kc, lda, rows)
                  : vt_prefetch_lines(a + i0 * lda + pc, rows, lda, kc);
}

/// How the tiles read op(A) for a k block of kc. In place, without the pass that packs each panel
/// (4 % of a ViT-Tiny step untransposed, 18 % of a weight gradient's time transposed), where
/// - the lines a tile reads at once spread over L1's sets (64 sets of 64-byte lines on every x86
///   core we target): no set may hold more than 4 of them, so they stay beside the B panel whatever
///   the associativity (8 ways and up). Those lines are the MR rows' current ones (untransposed),
///   or the next 16 k rows' (transposed). A 1024-float stride puts them all in one set: 1024³ ran
///   at 0.6× in place;
/// - and, transposed, a packed panel would not fit L1 (32 KB) either: every k row of the panel is
///   a line of its own in place, so each of the panel's tiles reads it from L2, where a packed
///   AVX2 panel (6 × 768 floats, 18 KB) is read from L1 (transposed in place ran at 0.9× there).
static inline int vt_a_layout(int transA, long lda, long mr, long kc) {
    if (transA && kc * mr * 4 <= 32 * 1024) return VT_A_PACKED;
    long lines = transA ? 16 : mr;
    int perSet[64] = {0};
    for (long r = 0; r < lines; r++)
        if (++perSet[((r * lda * 4) >> 6) & 63] > 4) return VT_A_PACKED;
    return transA ? VT_A_COLUMNS : VT_A_ROWS;
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

    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            float blockBeta = pc == 0 ? beta : 1;    // later k blocks add onto the first
            int lastBlock = pc + kc >= k;
            int layout = vt_a_layout(transA, lda, MR, kc);
            packB(transB, b, ldb, pc, jc, kc, nc, bPack);
            for (long ir = 0; ir < m; ir += MR) {
                long rows = m - ir < MR ? m - ir : MR;
                const float *panel = aPack;
                if (layout == VT_A_ROWS) panel = a + ir * lda + pc;
                else if (layout == VT_A_COLUMNS) panel = a + pc * lda + ir;
                else packA(transA, a, lda, ir, pc, rows, kc, aPack);
                VTPrefetch next = vt_next_panel_a(transA, a, lda, m, k, ir + MR, pc, MR, KC);
                long tiles = (nc + NR - 1) / NR, perTile = (next.lines + tiles - 1) / tiles;
                for (long jr = 0; jr < nc; jr += NR) {
                    vt_prefetch_step(&next, perTile);
                    tile(rows, kc, panel, lda, layout, bPack + (jr / NR) * kc * NR, c + ir * ldc + jc + jr,
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
