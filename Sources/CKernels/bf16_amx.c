// AMX-BF16 GEMM (Sapphire Rapids and later): the bf16 product of vt_gemm_bf16 on tile registers.
// One TDPBF16PS multiplies a 16×32 bf16 tile of op(A) by a 32×16 tile of op(B) into a 16×16 fp32
// tile, 8192 multiply-adds, so the arithmetic is no longer what limits the kernel: the packing
// (fp32 → bf16 pairs, rounded to nearest even as in the AVX-512 kernel) and the stores of C are.
// Blocking as bf16_gemm.c: a block of op(B) is packed once, then each 32-row panel of op(A) is
// packed and swept across it by 32×32 blocks of C held in four accumulator tiles.
// Layouts (one 32-bit word = a bf16 pair, pairs zero-padded to a multiple of 16 so every tile is
// full and nothing outside the matrices is read):
//   B panel: [pairs][NR=32 columns]    — a B tile is 16 pair rows of 16 columns, stride NR words
//   A panel: [MR=32 rows][pairs]       — an A tile is 16 rows of 16 pairs, stride = pairs words
// Tile state is per thread: each call loads the configuration and releases the tiles on return.
#include "CKernels.h"
#include "bf16_internal.h"
#include "gemm_common.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define VT_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")))

enum {
    MR = 32,             // rows of C per block: two A tiles
    NR = 32,             // columns of C per block: two B tiles
    KCP = VT_BF16_KCP,   // k pairs per block (a multiple of 16)
    NC = 1536,           // columns of op(B) per block (1536 × 384 × 4 B = 2.4 MB)
};

/// The LDTILECFG operand (palette 1): tiles 0–3 accumulate C, 4–5 hold A, 6–7 hold B; every
/// tile is 16 rows of 64 bytes.
typedef struct {
    uint8_t palette, startRow, reserved[14];
    uint16_t bytesPerRow[16];
    uint8_t rows[16];
} TileConfig;

VT_AMX static void loadTileConfig(void) {
    TileConfig config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.bytesPerRow[t] = 64; }
    _tile_loadconfig(&config);
}

/// op(B)[pc..pc+kc, jc..jc+nc] → NR-column panels, each [pairStride][NR].
VT_AMX static void packB(int transB, const float *b, long ldb, long pc, long jc, long kc, long nc,
                         long pairStride, uint32_t *out) {
    if (!transB) { vt_bf16_pack_rows_paired(b + pc * ldb + jc, ldb, kc, nc, NR, pairStride, out); return; }
    for (long j = 0; j < nc; j += NR) {
        long width = nc - j < NR ? nc - j : NR;
        vt_bf16_pack_lines_along_k(b + (jc + j) * ldb + pc, ldb, kc, width, NR, pairStride,
                                   out + (j / NR) * pairStride * NR);
    }
}

/// Rows i0..i0+rows of op(A)[:, pc..pc+kc] → [rowsOut][pairStride], rows past `rows` zero.
VT_AMX static void packPanelA(int transA, const float *a, long lda, long i0, long pc, long rows, long kc,
                              long rowsOut, long pairStride, uint32_t *out) {
    if (transA) vt_bf16_pack_rows_paired_rows(a + pc * lda + i0, lda, kc, rows, rowsOut, pairStride, out);
    else vt_bf16_pack_lines_rows(a + i0 * lda + pc, lda, kc, rows, rowsOut, pairStride, out);
}

/// C block (rows ≤ 32, cols ≤ 32) = alpha · A panel · B panel + beta · C. `tall`: rows > 16, so
/// both A tiles are used; otherwise only the top one (a short panel computes no padded rows).
VT_AMX static void block(int tall, long pairStride, const uint32_t *ap, const uint32_t *bp, float *c,
                         long ldc, long rows, long cols, float alpha, float beta) {
    float sums[MR][NR] __attribute__((aligned(64)));
    long aStride = pairStride * 4;
    _tile_zero(0); _tile_zero(1);
    if (tall) { _tile_zero(2); _tile_zero(3); }
    for (long p0 = 0; p0 < pairStride; p0 += 16) {
        _tile_loadd(6, bp + p0 * NR, NR * 4);
        _tile_loadd(7, bp + p0 * NR + 16, NR * 4);
        _tile_loadd(4, ap + p0, aStride);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        if (tall) {
            _tile_loadd(5, ap + 16 * pairStride + p0, aStride);
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, &sums[0][0], NR * 4);
    _tile_stored(1, &sums[0][16], NR * 4);
    if (tall) {
        _tile_stored(2, &sums[16][0], NR * 4);
        _tile_stored(3, &sums[16][16], NR * 4);
    }
    __mmask16 m0 = vt_low_mask(cols), m1 = vt_low_mask(cols - 16);
    __m512 vAlpha = _mm512_set1_ps(alpha);
    for (long r = 0; r < rows; r++) {
        vt_store_row(c + r * ldc, _mm512_load_ps(&sums[r][0]), m0, vAlpha, beta);
        if (cols > 16) vt_store_row(c + r * ldc + 16, _mm512_load_ps(&sums[r][16]), m1, vAlpha, beta);
    }
}

VT_AMX int vt_gemm_bf16_amx(int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
                            const float *b, long ldb, float beta, float *c, long ldc) {
    VTPackBuffers *buffers = vt_thread_pack_buffers();
    if (!buffers) return 0;
    long kcMax = 2 * KCP < k ? 2 * KCP : k;
    long strideMax = ((kcMax + 1) / 2 + 15) / 16 * 16;
    long ncMax = NC < n ? NC : n;
    size_t bBytes = (size_t)strideMax * ((ncMax + NR - 1) / NR * NR) * 4;
    size_t aBytes = (size_t)strideMax * MR * 4;
    uint32_t *bPack = vt_ensure_buffer(&buffers->b, &buffers->bBytes, bBytes);
    uint32_t *aPack = vt_ensure_buffer(&buffers->a, &buffers->aBytes, aBytes);
    if (!bPack || !aPack) return 0;

    loadTileConfig();
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += 2 * KCP) {
            long kc = k - pc < 2 * KCP ? k - pc : 2 * KCP;
            long pairStride = ((kc + 1) / 2 + 15) / 16 * 16;
            float blockBeta = pc == 0 ? beta : 1;    // later k blocks add onto the first
            packB(transB, b, ldb, pc, jc, kc, nc, pairStride, bPack);
            for (long ir = 0; ir < m; ir += MR) {
                long rows = m - ir < MR ? m - ir : MR;
                int tall = rows > 16;
                packPanelA(transA, a, lda, ir, pc, rows, kc, tall ? MR : 16, pairStride, aPack);
                for (long jr = 0; jr < nc; jr += NR) {
                    long cols = nc - jr < NR ? nc - jr : NR;
                    block(tall, pairStride, aPack, bPack + (jr / NR) * pairStride * NR,
                          c + ir * ldc + jc + jr, ldc, rows, cols, alpha, blockBeta);
                }
            }
        }
    }
    _tile_release();
    return 1;
}
#endif
