// Pieces shared by the GEMMs (bf16_gemm.c, f32_gemm.c, f32_gemm_avx2.c), not part of the public
// header: per-thread pack buffers, portable packers, lane masks, a 16×16 in-register transpose of 32-bit words, the store
// of an accumulator row into C, and the L2 prefetch of the next A panel's source lines.
#ifndef VT_GEMM_COMMON_H
#define VT_GEMM_COMMON_H

#include <stddef.h>
#include "CKernels.h"

/// Fully unrolls a register tile's per-row loop, so its accumulator array lives in registers.
/// Release builds compile C at -O2, whose unroll budget leaves the 14-row loops rolled (accumulators
/// spilled to the stack: 15 instead of 47 GFLOP/s on 1024³); -O3 unrolled them without being asked.
#if defined(__clang__)
#define VT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define VT_UNROLL _Pragma("GCC unroll 32")
#endif

/// One thread's pack buffers (64-byte aligned, grown on demand, freed when the thread exits).
/// Both GEMMs use the same pair: a call packs and consumes them before it returns.
typedef struct { void *a; size_t aBytes; void *b; size_t bBytes; } VTPackBuffers;

/// The calling thread's buffers (NULL if they could not be allocated).
VTPackBuffers *vt_thread_pack_buffers(void);

/// Returns a 64-byte aligned region of at least `bytes` in *slot (NULL if allocation fails).
void *vt_ensure_buffer(void **slot, size_t *capacity, size_t bytes);

/// C = beta·C, the whole product when k == 0 (beta == 0 writes zeros without reading C).
void vt_scale_c(long m, long n, float beta, float *c, long ldc);

/// The AVX2+FMA fp32 GEMM (f32_gemm_avx2.c), arguments as vt_gemm_f32_fused with m, n, k > 0; returns
/// 0 (having done nothing) when the pack buffers could not be allocated. x86-64 only.
int vt_gemm_f32_avx2(int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *b, long ldb, float beta, float *c, long ldc, const VTEpilogue *epilogue);

/// Portable packers in plain C (the compiler vectorises them for the caller's target), for kernels
/// whose panels are narrow enough that a register transpose does not pay.
/// Lines that run along k, element (kk, j) at x[j*ld + kk] → [kc][panelWidth], lines beyond
/// `width` zero.
static inline __attribute__((always_inline)) void
vt_pack_lines_along_k(const float *x, long ld, long kc, long width, long panelWidth, float *out) {
    for (long p = 0; p < kc; p++) {
        for (long j = 0; j < width; j++) out[p * panelWidth + j] = x[j * ld + p];
        for (long j = width; j < panelWidth; j++) out[p * panelWidth + j] = 0;
    }
}

/// Lines that run along a wide axis, element (kk, j) at x[kk*ld + j] → panels of panelWidth
/// lines, each [kc][panelWidth] (the last panel zero-padded).
static inline __attribute__((always_inline)) void
vt_pack_rows(const float *x, long ld, long kc, long width, long panelWidth, float *out) {
    for (long j = 0; j < width; j += panelWidth) {
        long w = width - j < panelWidth ? width - j : panelWidth;
        float *panel = out + (j / panelWidth) * kc * panelWidth;
        for (long p = 0; p < kc; p++) {
            const float *row = x + p * ld + j;
            float *dst = panel + p * panelWidth;
            for (long q = 0; q < w; q++) dst[q] = row[q];
            for (long q = w; q < panelWidth; q++) dst[q] = 0;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Mask of the first `count` of 16 lanes (masked-off lanes are neither read nor written, so
/// edges never touch memory past the matrix).
static inline __mmask16 vt_low_mask(long count) {
    return count >= 16 ? 0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

/// The AVX2 kernels' lane mask: lanes 0..<count of 8 all-ones (count clamped to 0...8), for the
/// vmaskmov loads and stores of edge columns.
__attribute__((target("avx2"))) static inline __m256i vt_low_mask8(long count) {
    int n = count < 0 ? 0 : count > 8 ? 8 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Transposes a 16×16 block of 32-bit words in registers: r[i] word j ↔ r[j] word i.
__attribute__((target("avx512f"))) static inline void vt_transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {            // per 128-bit lane: pairs of rows interleaved
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {            // r[g + e], lane L: rows g..g+3 of word 4L + e
        r[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
        r[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
        r[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
        r[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    for (int e = 0; e < 4; e++) {                // gather lane L of the four row groups
        __m512i even0 = _mm512_shuffle_i32x4(r[e], r[4 + e], 0x88);
        __m512i odd0 = _mm512_shuffle_i32x4(r[e], r[4 + e], 0xDD);
        __m512i even1 = _mm512_shuffle_i32x4(r[8 + e], r[12 + e], 0x88);
        __m512i odd1 = _mm512_shuffle_i32x4(r[8 + e], r[12 + e], 0xDD);
        t[e] = _mm512_shuffle_i32x4(even0, even1, 0x88);
        t[8 + e] = _mm512_shuffle_i32x4(even0, even1, 0xDD);
        t[4 + e] = _mm512_shuffle_i32x4(odd0, odd1, 0x88);
        t[12 + e] = _mm512_shuffle_i32x4(odd0, odd1, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

/// Writes one accumulator row into C: C = alpha·acc + beta·C; beta == 0 never reads C.
__attribute__((target("avx512f"))) static inline void vt_store_row(float *c, __m512 acc, __mmask16 mask,
                                                                   __m512 alpha, float beta) {
    __m512 scaled = _mm512_mul_ps(acc, alpha);
    if (beta == 0) {
        _mm512_mask_storeu_ps(c, mask, scaled);
    } else {
        __m512 old = _mm512_maskz_loadu_ps(mask, c);
        __m512 sum = beta == 1 ? _mm512_add_ps(old, scaled)
                               : _mm512_fmadd_ps(old, _mm512_set1_ps(beta), scaled);
        _mm512_mask_storeu_ps(c, mask, sum);
    }
}
#endif

/// Source lines that will be packed next, prefetched into L2 (not L1, which holds the current
/// panels) a few at a time while tiles compute, so the packing's DRAM misses overlap the
/// arithmetic. Measured +4-5% on the bf16 weight-gradient products (k = 8320, A transposed).
typedef struct { const char *base; long lines, stride, span, next; } VTPrefetch;

static inline VTPrefetch vt_prefetch_lines(const float *base, long lines, long strideFloats,
                                           long spanFloats) {
    VTPrefetch p = { (const char *)base, lines, strideFloats * 4, spanFloats * 4, 0 };
    return p;
}

static inline void vt_prefetch_step(VTPrefetch *p, long count) {
    long end = p->next + count < p->lines ? p->next + count : p->lines;
    for (; p->next < end; p->next++) {
        const char *line = p->base + p->next * p->stride;
        for (long q = 0; q < p->span; q += 64) __builtin_prefetch(line + q, 0, 2);
        __builtin_prefetch(line + p->span - 1, 0, 2);
    }
}

#endif
