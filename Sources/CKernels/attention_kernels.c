// Fused multi-head attention for one (batch, head) item: scores, softmax and P·v forward, and the
// whole backward, each swept over blocks of rows whose operands stay in L1/L2 (no GEMM calls).
// Legend: T tokens, Dh head dim, q/k/v T×Dh column slices of a wider row (stride ld), P T×T.
#include "row_reductions.h"
#include "gemm_common.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

enum {
    TILE_ROWS = 6,    // rows per register tile: 6×4 zmm (6×2 ymm) accumulators + the B vectors
};

/// C[rows×cols] (+)= alpha · A·B over `depth`: A(r, x) at a[r·ars + x·acs] (row-major A, or a column
/// block of a row-major matrix read transposed), B row x at b + x·ldb. cols ≤ the level's tile width.
typedef void AttnTile(long rows, long depth, const float *a, long ars, long acs, const float *b, long ldb,
                      float *c, long ldc, long cols, float alpha, int accumulate);

/// out[d·tp + j] = x[j·ld + d] for j < T, d < Dh; columns T..<tp zero (tp a multiple of the lanes).
typedef void AttnPack(const float *x, long ld, long t, long dh, float *out, long tp);

static inline long minLong(long a, long b) { return a < b ? a : b; }

/// Score rows (and kᵀ, vᵀ rows) padded to whole LANES, which is also a multiple of every level's
/// vector width.
static inline long paddedLength(long t) { return (t + LANES - 1) / LANES * LANES; }

// ---- Row pieces, plain C (vectorised for whichever level inlines them) ----

/// e^x for the softmax's x = s − max ≤ 0, relative error about 2e-7. x = n·ln2 + r (ln2 split in
/// two, Cody & Waite), e^r by Cephes' expf polynomial on |r| ≤ ln2/2, 2ⁿ put into the exponent bits.
/// n is rounded by adding 1.5·2²³ (n lands in the low mantissa bits, no float→int conversion, so a
/// NaN score stays NaN instead of becoming undefined). The clamp keeps 2ⁿ normal: e^−87 ≈ 1.6e-38.
VT_INLINE float expNonPositive(float x) {
    float clamped = x < -87.0f ? -87.0f : x;
    float shifted = clamped * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    float poly = 1.9875691500e-4f;
    poly = poly * r + 1.3981999507e-3f;
    poly = poly * r + 8.3334519073e-3f;
    poly = poly * r + 4.1665795894e-2f;
    poly = poly * r + 1.6666665459e-1f;
    poly = poly * r + 5.0000001201e-1f;
    poly = poly * (r * r) + r + 1;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4B400000u + 127u) << 23;
    float power;
    memcpy(&power, &bits, sizeof power);
    return poly * power;
}

/// A score row becomes its softmax in place (the portable path's rows, unpadded).
VT_INLINE void softmaxRow(float *restrict row, long n) {
    float m = rowMax(row, n);
    for (long j = 0; j < n; j++) row[j] = expNonPositive(row[j] - m);
    float inverse = 1 / rowSum(row, n);
    for (long j = 0; j < n; j++) row[j] *= inverse;
}

// The blocked paths' row loops use 16-float generic vectors (GCC/Clang vector extensions): one zmm,
// two ymm or four xmm at the level that inlines them. Written as plain `for (l < 16)` loops over
// row chunks, Clang vectorised the outer loop with gathers and scatters instead.
typedef float AttnVec __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t AttnVecI __attribute__((vector_size(LANES * sizeof(float))));

#define VEC_SPLAT(s) ((AttnVec){0} + (s))
#define VEC_LOAD(v, p) memcpy(&(v), (p), sizeof(AttnVec))
#define VEC_STORE(p, v) memcpy((p), &(v), sizeof(AttnVec))
/// a > b ? a : b lane-wise (a NaN b wins, so NaN scores reach P).
#define VEC_MAX(a, b) ((AttnVec)(((AttnVecI)(a) & ((a) > (b))) | ((AttnVecI)(b) & ~((a) > (b)))))

// Vectors go to helpers by pointer: by value they would change the ABI at the baseline level.

/// Pairwise trees (depth 4, not a 15-long chain: the reductions' latency dominated short rows).
VT_INLINE float vectorMax(const AttnVec *v) {
    float a[LANES];
    memcpy(a, v, sizeof a);
    for (int width = LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) a[l] = a[l + width] > a[l] ? a[l + width] : a[l];
    return a[0];
}

VT_INLINE float vectorSum(const AttnVec *v) {
    float a[LANES];
    memcpy(a, v, sizeof a);
    for (int width = LANES / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) a[l] += a[l + width];
    return a[0];
}

/// Lanes j..j+15 that lie before column n: all bits set there, else 0.
#define VEC_BEFORE(j, n)                                                                              \
    ((AttnVecI){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} < (AttnVecI){0} + (int32_t)((n) - (j)))

/// expNonPositive on a vector, in place (the same steps; see there).
VT_INLINE void expVector(AttnVec *value) {
    AttnVec x = *value, floor = VEC_SPLAT(-87.0f);
    AttnVecI low = x < floor;
    AttnVec clamped = (AttnVec)(((AttnVecI)floor & low) | ((AttnVecI)x & ~low));
    AttnVec shifted = clamped * 1.44269504f + 12582912.0f;
    AttnVec n = shifted - 12582912.0f;
    AttnVec r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    AttnVec poly = VEC_SPLAT(1.9875691500e-4f);
    poly = poly * r + 1.3981999507e-3f;
    poly = poly * r + 8.3334519073e-3f;
    poly = poly * r + 4.1665795894e-2f;
    poly = poly * r + 1.6666665459e-1f;
    poly = poly * r + 5.0000001201e-1f;
    poly = poly * (r * r) + r + 1.0f;
    AttnVecI bits = ((AttnVecI)shifted - 0x4B400000 + 127) << 23;
    *value = poly * (AttnVec)bits;
}

/// Softmax of the scores of a row block [rows][tp] (tp a multiple of LANES, past-T columns
/// garbage): every loop runs whole vectors, with the columns past T masked out in registers
/// (stored −∞ pads cost a store-forwarding stall per row), and each step runs over all the rows
/// before the next, so the rows' reduction chains overlap. P's T columns go to p (row stride T);
/// the block keeps P, or P∘mask when mask is given (the operand of P·v), with zeros past T.
VT_INLINE void softmaxBlock(float *restrict block, long rows, long t, long tp, float *restrict p,
                            const float *restrict mask) {
    float shift[TILE_ROWS], inverse[TILE_ROWS];
    AttnVec x, w;
    long last = tp - LANES;   // the one vector that may hold columns past T
    AttnVecI valid = VEC_BEFORE(last, t);
    for (long r = 0; r < rows; r++) {
        AttnVec m = VEC_SPLAT(-INFINITY);
        for (long j = 0; j < last; j += LANES) {
            VEC_LOAD(x, block + r * tp + j);
            m = VEC_MAX(m, x);
        }
        VEC_LOAD(x, block + r * tp + last);
        x = (AttnVec)(((AttnVecI)x & valid) | ((AttnVecI)m & ~valid));
        m = VEC_MAX(m, x);
        shift[r] = vectorMax(&m);
    }
    for (long r = 0; r < rows; r++) {
        AttnVec total = VEC_SPLAT(0.0f);
        for (long j = 0; j < tp; j += LANES) {
            VEC_LOAD(x, block + r * tp + j);
            x -= shift[r];
            expVector(&x);
            if (j == last) x = (AttnVec)((AttnVecI)x & valid);
            total += x;
            VEC_STORE(block + r * tp + j, x);
        }
        inverse[r] = 1 / vectorSum(&total);
    }
    for (long r = 0; r < rows; r++) {
        float *row = block + r * tp;
        for (long j = 0; j < tp; j += LANES) {
            VEC_LOAD(x, row + j);
            x *= inverse[r];
            VEC_STORE(row + j, x);
        }
        memcpy(p + r * t, row, (size_t)t * sizeof *row);
        if (mask) {
            long j = 0;
            for (; j + LANES <= t; j += LANES) {
                VEC_LOAD(x, row + j);
                VEC_LOAD(w, mask + r * t + j);
                x *= w;
                VEC_STORE(row + j, x);
            }
            for (; j < t; j++) row[j] *= mask[r * t + j];
        }
    }
}

/// One row of the score gradient: g holds d(P∘mask) over T entries; it becomes dS = P∘(dP − Σ dP∘P)
/// with dP = g∘mask. Saves dP to dpRow and P∘mask to droppedRow when they are non-NULL (maskRow
/// NULL: no mask). Whole vectors, then the < LANES tail.
VT_INLINE void scoreGradientRow(const float *restrict pRow, const float *restrict maskRow, float *restrict g,
                                float *restrict dpRow, float *restrict droppedRow, long n) {
    long whole = n / LANES * LANES;
    AttnVec x, pv, w;
    if (maskRow) {
        for (long j = 0; j < whole; j += LANES) {
            VEC_LOAD(x, g + j);
            VEC_LOAD(pv, pRow + j);
            VEC_LOAD(w, maskRow + j);
            x *= w;
            pv *= w;
            VEC_STORE(g + j, x);
            VEC_STORE(droppedRow + j, pv);
        }
        for (long j = whole; j < n; j++) {
            g[j] *= maskRow[j];
            droppedRow[j] = pRow[j] * maskRow[j];
        }
    }
    if (dpRow) memcpy(dpRow, g, (size_t)n * sizeof *g);
    AttnVec acc = VEC_SPLAT(0.0f);
    for (long j = 0; j < whole; j += LANES) {
        VEC_LOAD(x, g + j);
        VEC_LOAD(pv, pRow + j);
        acc += x * pv;
    }
    float dot = vectorSum(&acc);
    for (long j = whole; j < n; j++) dot += g[j] * pRow[j];
    for (long j = 0; j < whole; j += LANES) {
        VEC_LOAD(x, g + j);
        VEC_LOAD(pv, pRow + j);
        x = pv * (x - dot);
        VEC_STORE(g + j, x);
    }
    for (long j = whole; j < n; j++) g[j] = pRow[j] * (g[j] - dot);
}

/// Rows×columns floats of a row-major matrix into L1, ahead of their first use.
VT_INLINE void prefetchRows(const float *x, long rows, long columns, long ld) {
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < columns; c += 16) __builtin_prefetch(x + r * ld + c, 0, 3);
}

// ---- Blocked drivers: plain C around a level's register tile and packer ----

/// Columns 0..<n of one row block, split into chunks of at most maxVectors vectors of `lanes`,
/// as even as possible (T = 65 at 16 lanes: 3 + 2 vectors, not 4 + 1, so no tile runs one vector
/// wide, starved of independent accumulators).
VT_INLINE void rowBlockProduct(AttnTile *tile, long lanes, long maxVectors, long rows, long depth,
                               const float *a, long ars, long acs, const float *b, long ldb,
                               float *c, long ldc, long n, float alpha, int accumulate) {
    long vectors = (n + lanes - 1) / lanes;
    long chunks = (vectors + maxVectors - 1) / maxVectors;
    for (long chunk = 0; chunk < chunks; chunk++) {
        long c0 = vectors * chunk / chunks * lanes;
        long c1 = minLong(vectors * (chunk + 1) / chunks * lanes, n);
        tile(rows, depth, a, ars, acs, b + c0, ldb, c + c0, ldc, c1 - c0, alpha, accumulate);
    }
}

/// c[r·ldc + j] = alpha · a_r · b_j for rows a_r (a + r·lda) and columns b_j (b + j·ldb), each a
/// dot product over dh, vectorised along it.
VT_INLINE void dotBlock(long rows, long columns, long dh, const float *a, long lda, const float *b, long ldb,
                        float *c, long ldc, float alpha) {
    long whole = dh / LANES * LANES;
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < columns; j++) {
            const float *x = a + r * lda, *y = b + j * ldb;
            AttnVec acc = VEC_SPLAT(0.0f), xv, yv;
            for (long d = 0; d < whole; d += LANES) {
                VEC_LOAD(xv, x + d);
                VEC_LOAD(yv, y + d);
                acc += xv * yv;
            }
            float total = vectorSum(&acc);
            for (long d = whole; d < dh; d++) total += x[d] * y[d];
            c[r * ldc + j] = alpha * total;
        }
}

/// Score-like rows block c = alpha · a·bᵀ over all T columns (a's rows lda apart, b's T rows ldb
/// apart, bT its padded transpose). The broadcast-FMA tiles cover whole vectors of columns; when
/// only a few columns spill into a last vector (T = 17, 65, 257: one), those are dot products
/// instead, which saved that vector's full cost (a fifth of the scores at T = 65, half at 17).
VT_INLINE void scoreRows(AttnTile *tile, long lanes, long maxVectors, long rows, long t, long dh, const float *a,
                         long lda, const float *b, long ldb, const float *bT, long tp, float *c, long ldc,
                         float alpha) {
    long vectorColumns = t >= LANES && t % LANES <= 2 ? t / LANES * LANES : t;
    rowBlockProduct(tile, lanes, maxVectors, rows, dh, a, lda, 1, bT, tp, c, ldc, vectorColumns, alpha, 0);
    if (vectorColumns < t)
        dotBlock(rows, t - vectorColumns, dh, a, lda, b + vectorColumns * ldb, ldb, c + vectorColumns, ldc, alpha);
}

/// Scratch: kT [Dh][tp] (k transposed, so score rows are broadcast-FMA products), then one row
/// block of scores [TILE_ROWS][tp], padded so the softmax runs whole vectors.
VT_INLINE void forwardBlocked(const float *q, const float *k, const float *v, long ld, long t, long dh,
                              float scale, const float *mask, float *p, float *o, long ldo, float *scratch,
                              AttnTile *tile, AttnPack *pack, long lanes, long maxVectors) {
    long tp = paddedLength(t);
    float *kT = scratch, *block = scratch + dh * tp;
    // v is first read all at once (the first block's P·v): start fetching it while k is packed.
    prefetchRows(v, t, dh, ld);
    pack(k, ld, t, dh, kT, tp);
    // Nothing writes the block's columns past T but the softmax (zeros), and it reads them (masked
    // off) as whole vectors: clear them once, so no stale NaN or subnormal goes through exp.
    for (long r = 0; r < TILE_ROWS; r++) memset(block + r * tp + t, 0, (size_t)(tp - t) * sizeof *block);
    for (long i0 = 0; i0 < t; i0 += TILE_ROWS) {
        long rows = minLong(TILE_ROWS, t - i0);
        // The next block's q rows: broadcast straight from memory, they would miss one line at a time.
        prefetchRows(q + (i0 + TILE_ROWS) * ld, minLong(TILE_ROWS, t - i0 - TILE_ROWS), dh, ld);
        scoreRows(tile, lanes, maxVectors, rows, t, dh, q + i0 * ld, ld, k, ld, kT, tp, block, tp, scale);
        softmaxBlock(block, rows, t, tp, p + i0 * t, mask ? mask + i0 * t : NULL);
        rowBlockProduct(tile, lanes, maxVectors, rows, t, block, tp, 1, v, ld, o + i0 * ldo, ldo, dh, 1, 0);
    }
}

/// Scratch: vT [Dh][tp], dS [T×T], and P∘mask [T×T] when there is a mask. Row blocks first make
/// dS and dQ (dS rows still in L1); dV and dK then need whole columns of P∘mask and dS.
VT_INLINE void backwardBlocked(const float *q, const float *k, const float *v, long ld, const float *p,
                               const float *mask, const float *dout, long lddo, long t, long dh, float scale,
                               float *dq, float *dk, float *dv, long lddx, int accumulate, float *dp,
                               float *scratch, AttnTile *tile, AttnPack *pack, long lanes, long maxVectors) {
    long tp = paddedLength(t);
    float *vT = scratch, *dS = vT + dh * tp, *dropped = mask ? dS + t * t : NULL;
    prefetchRows(k, t, dh, ld);   // as the forward's v: all of k is read by the first block's dQ
    pack(v, ld, t, dh, vT, tp);
    for (long i0 = 0; i0 < t; i0 += TILE_ROWS) {
        long rows = minLong(TILE_ROWS, t - i0);
        float *g = dS + i0 * t;
        prefetchRows(dout + (i0 + TILE_ROWS) * lddo, minLong(TILE_ROWS, t - i0 - TILE_ROWS), dh, lddo);
        scoreRows(tile, lanes, maxVectors, rows, t, dh, dout + i0 * lddo, lddo, v, ld, vT, tp, g, t, 1);
        for (long r = 0; r < rows; r++) {
            long row = (i0 + r) * t;
            scoreGradientRow(p + row, mask ? mask + row : NULL, g + r * t, dp ? dp + row : NULL,
                             dropped ? dropped + row : NULL, t);
        }
        rowBlockProduct(tile, lanes, maxVectors, rows, t, g, t, 1, k, ld, dq + i0 * lddx, lddx, dh, scale,
                        accumulate);
    }
    const float *weights = mask ? dropped : p;
    for (long j0 = 0; j0 < t; j0 += TILE_ROWS) {
        long rows = minLong(TILE_ROWS, t - j0);
        // Row j of dV and dK sums over column j of P∘mask and dS: A read transposed (ars 1, acs T).
        rowBlockProduct(tile, lanes, maxVectors, rows, t, weights + j0, 1, t, dout, lddo, dv + j0 * lddx, lddx,
                        dh, 1, accumulate);
        rowBlockProduct(tile, lanes, maxVectors, rows, t, dS + j0, 1, t, q, ld, dk + j0 * lddx, lddx, dh, scale,
                        accumulate);
    }
}

static size_t forwardScratchFloats(long t, long dh) {
    long tp = paddedLength(t);
    return (size_t)((dh + TILE_ROWS) * tp);
}

static size_t backwardScratchFloats(long t, long dh, int masked) {
    long tp = paddedLength(t);
    return (size_t)(dh * tp + t * t + (masked ? t * t : 0));
}

/// The calling thread's GEMM B pack buffer, borrowed: attention runs no GEMM while it holds it,
/// and on GEMM-running threads it is already megabytes, so attention allocates nothing new there.
static float *threadScratch(size_t floats) {
    VTPackBuffers *buffers = vt_thread_pack_buffers();
    return buffers ? vt_ensure_buffer(&buffers->b, &buffers->bBytes, floats * sizeof(float)) : NULL;
}

#if defined(__x86_64__)
#include <immintrin.h>

// ---- AVX-512: 6 rows × up to 4 zmm ----

/// ROWS × NV·16 tile, always inlined with constant ROWS and NV so the accumulators live in
/// registers; A is broadcast straight from memory (any strides), B rows loaded (last one masked).
__attribute__((always_inline)) VT_TARGET_AVX512 static inline void
tile512Fixed(const int ROWS, const int NV, long depth, const float *a, long ars, long acs, const float *b,
             long ldb, float *c, long ldc, long cols, float alpha, int accumulate) {
    __m512 acc[TILE_ROWS][4];
    const float *aRow[TILE_ROWS];
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        aRow[r] = a + r * ars;
        VT_UNROLL for (int u = 0; u < NV; u++) acc[r][u] = _mm512_setzero_ps();
    }
    __mmask16 last = vt_low_mask(cols - 16 * (NV - 1));
    for (long x = 0; x < depth; x++) {
        const float *bRow = b + x * ldb;
        __m512 bv[4];
        VT_UNROLL for (int u = 0; u < NV - 1; u++) bv[u] = _mm512_loadu_ps(bRow + 16 * u);
        bv[NV - 1] = _mm512_maskz_loadu_ps(last, bRow + 16 * (NV - 1));
        long offset = x * acs;
        VT_UNROLL for (int r = 0; r < ROWS; r++) {
            __m512 s = _mm512_set1_ps(aRow[r][offset]);
            VT_UNROLL for (int u = 0; u < NV; u++) acc[r][u] = _mm512_fmadd_ps(s, bv[u], acc[r][u]);
        }
    }
    __m512 vAlpha = _mm512_set1_ps(alpha);
    float beta = accumulate ? 1 : 0;
    VT_UNROLL for (int r = 0; r < ROWS; r++)
        VT_UNROLL for (int u = 0; u < NV; u++)
            vt_store_row(c + r * ldc + 16 * u, acc[r][u], u == NV - 1 ? last : 0xFFFF, vAlpha, beta);
}

#define TILE512_CASE(R, V) \
    case (V) * 8 + (R): tile512Fixed(R, V, depth, a, ars, acs, b, ldb, c, ldc, cols, alpha, accumulate); break;
#define TILE512_ROWS(V) \
    TILE512_CASE(1, V) TILE512_CASE(2, V) TILE512_CASE(3, V) TILE512_CASE(4, V) TILE512_CASE(5, V) TILE512_CASE(6, V)

VT_TARGET_AVX512 static void tile512(long rows, long depth, const float *a, long ars, long acs, const float *b,
                                     long ldb, float *c, long ldc, long cols, float alpha, int accumulate) {
    switch ((cols + 15) / 16 * 8 + rows) {
    TILE512_ROWS(1) TILE512_ROWS(2) TILE512_ROWS(3) TILE512_ROWS(4)
    default: break;
    }
}

/// 16×16 blocks transposed in registers; loads masked to the Dh columns and T rows that exist.
VT_TARGET_AVX512 static void pack512(const float *x, long ld, long t, long dh, float *out, long tp) {
    for (long j0 = 0; j0 < tp; j0 += 16) {
        long lines = minLong(16, t - j0);
        for (long d0 = 0; d0 < dh; d0 += 16) {
            __mmask16 m = vt_low_mask(dh - d0);
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j < lines ? _mm512_maskz_loadu_epi32(m, x + (j0 + j) * ld + d0) : _mm512_setzero_si512();
            vt_transpose16(r);
            long count = minLong(16, dh - d0);
            for (long e = 0; e < count; e++) _mm512_storeu_si512(out + (d0 + e) * tp + j0, r[e]);
        }
    }
}

VT_TARGET_AVX512 static void forwardAVX512(const float *q, const float *k, const float *v, long ld, long t,
                                           long dh, float scale, const float *mask, float *p, float *o, long ldo,
                                           float *scratch) {
    forwardBlocked(q, k, v, ld, t, dh, scale, mask, p, o, ldo, scratch, tile512, pack512, 16, 4);
}

VT_TARGET_AVX512 static void backwardAVX512(const float *q, const float *k, const float *v, long ld,
                                            const float *p, const float *mask, const float *dout, long lddo,
                                            long t, long dh, float scale, float *dq, float *dk, float *dv,
                                            long lddx, int accumulate, float *dp, float *scratch) {
    backwardBlocked(q, k, v, ld, p, mask, dout, lddo, t, dh, scale, dq, dk, dv, lddx, accumulate, dp, scratch,
                    tile512, pack512, 16, 4);
}

// ---- AVX2+FMA: 6 rows × up to 2 ymm ----

/// As tile512Fixed. FULL (cols a multiple of 8) drops the vmaskmov loads, which cost extra
/// micro-ops on every B row; only score tiles at the right edge of an odd T need them.
__attribute__((always_inline)) VT_TARGET_AVX2 static inline void
tile256Fixed(const int ROWS, const int NV, const int FULL, long depth, const float *a, long ars, long acs,
             const float *b, long ldb, float *c, long ldc, long cols, float alpha, int accumulate) {
    __m256 acc[TILE_ROWS][2];
    const float *aRow[TILE_ROWS];
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        aRow[r] = a + r * ars;
        VT_UNROLL for (int u = 0; u < NV; u++) acc[r][u] = _mm256_setzero_ps();
    }
    __m256i last = vt_low_mask8(cols - 8 * (NV - 1));
    for (long x = 0; x < depth; x++) {
        const float *bRow = b + x * ldb;
        __m256 bv[2];
        VT_UNROLL for (int u = 0; u < NV - 1; u++) bv[u] = _mm256_loadu_ps(bRow + 8 * u);
        bv[NV - 1] = FULL ? _mm256_loadu_ps(bRow + 8 * (NV - 1)) : _mm256_maskload_ps(bRow + 8 * (NV - 1), last);
        long offset = x * acs;
        VT_UNROLL for (int r = 0; r < ROWS; r++) {
            __m256 s = _mm256_broadcast_ss(aRow[r] + offset);
            VT_UNROLL for (int u = 0; u < NV; u++) acc[r][u] = _mm256_fmadd_ps(s, bv[u], acc[r][u]);
        }
    }
    __m256 vAlpha = _mm256_set1_ps(alpha);
    VT_UNROLL for (int r = 0; r < ROWS; r++) {
        VT_UNROLL for (int u = 0; u < NV; u++) {
            float *out = c + r * ldc + 8 * u;
            __m256 value = _mm256_mul_ps(acc[r][u], vAlpha);
            if (FULL || u < NV - 1) {
                if (accumulate) value = _mm256_add_ps(value, _mm256_loadu_ps(out));
                _mm256_storeu_ps(out, value);
            } else {
                if (accumulate) value = _mm256_add_ps(value, _mm256_maskload_ps(out, last));
                _mm256_maskstore_ps(out, last, value);
            }
        }
    }
}

#define TILE256_CASE(R, V, F)                                                                         \
    case ((F) * 4 + (V)) * 8 + (R):                                                                  \
        tile256Fixed(R, V, F, depth, a, ars, acs, b, ldb, c, ldc, cols, alpha, accumulate); break;
#define TILE256_ROWS(V, F)                                                                            \
    TILE256_CASE(1, V, F) TILE256_CASE(2, V, F) TILE256_CASE(3, V, F) TILE256_CASE(4, V, F)          \
    TILE256_CASE(5, V, F) TILE256_CASE(6, V, F)

VT_TARGET_AVX2 static void tile256(long rows, long depth, const float *a, long ars, long acs, const float *b,
                                   long ldb, float *c, long ldc, long cols, float alpha, int accumulate) {
    int full = cols % 8 == 0;
    switch ((full * 4 + (cols + 7) / 8) * 8 + rows) {
    TILE256_ROWS(1, 0) TILE256_ROWS(2, 0) TILE256_ROWS(1, 1) TILE256_ROWS(2, 1)
    default: break;
    }
}

/// Transposes 8 rows of 8 in registers.
VT_TARGET_AVX2 static inline void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {             // pairs of rows interleaved, per 128-bit lane
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int g = 0; g < 8; g += 4) {             // s[g + e], lane L: rows g..g+3 of word 4L + e
        s[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
        s[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
        s[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        s[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {                // low lanes: words 0-3, high lanes: words 4-7
        r[e] = _mm256_permute2f128_ps(s[e], s[4 + e], 0x20);
        r[4 + e] = _mm256_permute2f128_ps(s[e], s[4 + e], 0x31);
    }
}

VT_TARGET_AVX2 static void pack256(const float *x, long ld, long t, long dh, float *out, long tp) {
    for (long j0 = 0; j0 < tp; j0 += 8) {
        long lines = minLong(8, t - j0);
        for (long d0 = 0; d0 < dh; d0 += 8) {
            __m256i m = vt_low_mask8(dh - d0);
            __m256 r[8];
            for (int j = 0; j < 8; j++)
                r[j] = j < lines ? _mm256_maskload_ps(x + (j0 + j) * ld + d0, m) : _mm256_setzero_ps();
            transpose8(r);
            long count = minLong(8, dh - d0);
            for (long e = 0; e < count; e++) _mm256_storeu_ps(out + (d0 + e) * tp + j0, r[e]);
        }
    }
}

VT_TARGET_AVX2 static void forwardAVX2(const float *q, const float *k, const float *v, long ld, long t, long dh,
                                       float scale, const float *mask, float *p, float *o, long ldo,
                                       float *scratch) {
    forwardBlocked(q, k, v, ld, t, dh, scale, mask, p, o, ldo, scratch, tile256, pack256, 8, 2);
}

VT_TARGET_AVX2 static void backwardAVX2(const float *q, const float *k, const float *v, long ld, const float *p,
                                        const float *mask, const float *dout, long lddo, long t, long dh,
                                        float scale, float *dq, float *dk, float *dv, long lddx, int accumulate,
                                        float *dp, float *scratch) {
    backwardBlocked(q, k, v, ld, p, mask, dout, lddo, t, dh, scale, dq, dk, dv, lddx, accumulate, dp, scratch,
                    tile256, pack256, 8, 2);
}
#endif

// ---- Portable: one row at a time, no scratch (the baseline level, and when none can be had) ----

VT_INLINE void axpy(float alpha, const float *restrict x, float *restrict y, long n) {
    for (long c = 0; c < n; c++) y[c] += alpha * x[c];
}

static void forwardRows(const float *q, const float *k, const float *v, long ld, long t, long dh, float scale,
                        const float *mask, float *p, float *o, long ldo) {
    for (long i = 0; i < t; i++) {
        float *pRow = p + i * t, *oRow = o + i * ldo;
        for (long j = 0; j < t; j++) pRow[j] = scale * rowDot(q + i * ld, k + j * ld, dh);
        softmaxRow(pRow, t);
        memset(oRow, 0, (size_t)dh * sizeof *oRow);
        for (long j = 0; j < t; j++) axpy(mask ? pRow[j] * mask[i * t + j] : pRow[j], v + j * ld, oRow, dh);
    }
}

/// dP's row is needed twice (for its dot with P, then for dS) and there is no room to keep it
/// unless dp was given, so without dp it is computed twice.
static void backwardRows(const float *q, const float *k, const float *v, long ld, const float *p,
                         const float *mask, const float *dout, long lddo, long t, long dh, float scale,
                         float *dq, float *dk, float *dv, long lddx, int accumulate, float *dp) {
    if (!accumulate)
        for (long j = 0; j < t; j++) {
            memset(dk + j * lddx, 0, (size_t)dh * sizeof *dk);
            memset(dv + j * lddx, 0, (size_t)dh * sizeof *dv);
        }
    for (long i = 0; i < t; i++) {
        const float *pRow = p + i * t, *maskRow = mask ? mask + i * t : NULL, *dO = dout + i * lddo;
        float *dqRow = dq + i * lddx;
        float dot = 0;
        for (long j = 0; j < t; j++) {
            float m = maskRow ? maskRow[j] : 1;
            float g = m * rowDot(dO, v + j * ld, dh);
            if (dp) dp[i * t + j] = g;
            dot += g * pRow[j];
            axpy(pRow[j] * m, dO, dv + j * lddx, dh);
        }
        if (!accumulate) memset(dqRow, 0, (size_t)dh * sizeof *dqRow);
        for (long j = 0; j < t; j++) {
            float g = dp ? dp[i * t + j] : (maskRow ? maskRow[j] : 1) * rowDot(dO, v + j * ld, dh);
            float ds = scale * pRow[j] * (g - dot);
            axpy(ds, k + j * ld, dqRow, dh);
            axpy(ds, q + i * ld, dk + j * lddx, dh);
        }
    }
}

// ---- Entry points ----

void vt_attention_forward(const float *q, const float *k, const float *v, long ld, long t, long dh,
                          float scale, const float *mask, float *p, float *o, long ldo) {
    if (t <= 0 || dh <= 0) return;
#if defined(__x86_64__)
    int level = vt_cpu_level();
    if (level >= VT_CPU_AVX2) {
        float *scratch = threadScratch(forwardScratchFloats(t, dh));
        if (scratch && level == VT_CPU_AVX512) {
            forwardAVX512(q, k, v, ld, t, dh, scale, mask, p, o, ldo, scratch);
            return;
        }
        if (scratch) {
            forwardAVX2(q, k, v, ld, t, dh, scale, mask, p, o, ldo, scratch);
            return;
        }
    }
#endif
    forwardRows(q, k, v, ld, t, dh, scale, mask, p, o, ldo);
}

void vt_attention_backward(const float *q, const float *k, const float *v, long ld, const float *p,
                           const float *mask, const float *dout, long lddo, long t, long dh, float scale,
                           float *dq, float *dk, float *dv, long lddx, int accumulate, float *dp) {
    if (t <= 0 || dh <= 0) return;
#if defined(__x86_64__)
    int level = vt_cpu_level();
    if (level >= VT_CPU_AVX2) {
        float *scratch = threadScratch(backwardScratchFloats(t, dh, mask != NULL));
        if (scratch && level == VT_CPU_AVX512) {
            backwardAVX512(q, k, v, ld, p, mask, dout, lddo, t, dh, scale, dq, dk, dv, lddx, accumulate, dp,
                           scratch);
            return;
        }
        if (scratch) {
            backwardAVX2(q, k, v, ld, p, mask, dout, lddo, t, dh, scale, dq, dk, dv, lddx, accumulate, dp,
                         scratch);
            return;
        }
    }
#endif
    backwardRows(q, k, v, ld, p, mask, dout, lddo, t, dh, scale, dq, dk, dv, lddx, accumulate, dp);
}
