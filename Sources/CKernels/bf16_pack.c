// Packing fp32 into bf16 pair words for the bf16 GEMMs (bf16_gemm.c, AVX-512 BF16 registers;
// bf16_amx.c, AMX tiles). One 32-bit word = a bf16 pair {x[k even], x[k odd]}, low half = even k,
// rounded to nearest even by vcvtne2ps2bf16. Both kernels take op(B) as panels [pairs][width] —
// the operand layout of vdpbf16ps and of an AMX B tile alike — so they share these packers; the
// AMX kernel also packs op(A) with `vt_bf16_pack_lines_rows`.
#include "bf16_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "gemm_common.h"

#define VT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

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

/// Up to 32 consecutive floats along k (count valid; none when count ≤ 0) → 16 pair words,
/// zero-padded.
VT_AVX512 static inline __m512i pairAlongK(const float *x, long count) {
    __m512 x0 = _mm512_maskz_loadu_ps(vt_low_mask(count), x);
    __m512 x1 = _mm512_maskz_loadu_ps(vt_low_mask(count - 16), x + 16);
    return (__m512i)_mm512_cvtne2ps_pbh(x1, x0);            // bf16 in k order = pairs in order
}

VT_AVX512 void vt_bf16_pack_rows_paired(const float *x, long ld, long kc, long width, int panelWidth,
                                        long pairStride, uint32_t *out) {
    __m512i index = interleaveIndex();
    long kp = (kc + 1) / 2;
    for (long p = 0; p < pairStride; p++) {
        const float *row0 = p < kp ? x + 2 * p * ld : NULL;
        const float *row1 = 2 * p + 1 < kc ? row0 + ld : NULL;
        for (long j = 0; j < width; j += panelWidth) {
            uint32_t *dst = out + (j / panelWidth) * pairStride * panelWidth + p * panelWidth;
            for (int h = 0; h < panelWidth; h += 16) {
                __mmask16 mask = vt_low_mask(width - j - h);
                __m512i words = row0 ? pairRows(mask, row0 + j + h, row1 ? row1 + j + h : NULL, index)
                                     : _mm512_setzero_si512();
                _mm512_mask_storeu_epi32(dst + h, vt_low_mask(panelWidth - h), words);
            }
        }
    }
}

VT_AVX512 void vt_bf16_pack_lines_along_k(const float *x, long ld, long kc, long width, int panelWidth,
                                          long pairStride, uint32_t *out) {
    long kp = (kc + 1) / 2;
    uint32_t converted[16][VT_BF16_KCP] __attribute__((aligned(64)));   // 24 KB: [line][pair]
    for (long jb = 0; jb < panelWidth; jb += 16) {
        long lines = width - jb < 16 ? width - jb : 16;
        __mmask16 store = vt_low_mask(panelWidth - jb);
        for (long j = 0; j < lines; j++)
            for (long p0 = 0; p0 < kp; p0 += 16)
                _mm512_store_si512(&converted[j][p0], pairAlongK(x + (jb + j) * ld + 2 * p0, kc - 2 * p0));
        for (long p0 = 0; p0 < pairStride; p0 += 16) {
            __m512i r[16];
            for (int j = 0; j < 16; j++)
                r[j] = j < lines && p0 < kp ? _mm512_load_si512(&converted[j][p0]) : _mm512_setzero_si512();
            vt_transpose16(r);
            long count = pairStride - p0 < 16 ? pairStride - p0 : 16;
            for (long q = 0; q < count; q++)
                _mm512_mask_storeu_epi32(out + (p0 + q) * panelWidth + jb, store, r[q]);
        }
    }
}

VT_AVX512 void vt_bf16_pack_lines_rows(const float *x, long ld, long kc, long width, long rowsOut,
                                       long pairStride, uint32_t *out) {
    for (long j = 0; j < rowsOut; j++) {
        const float *line = x + j * ld;
        for (long p0 = 0; p0 < pairStride; p0 += 16) {
            __m512i words = j < width ? pairAlongK(line + 2 * p0, kc - 2 * p0) : _mm512_setzero_si512();
            _mm512_store_si512(out + j * pairStride + p0, words);
        }
    }
}

VT_AVX512 void vt_bf16_pack_rows_paired_rows(const float *x, long ld, long kc, long width, long rowsOut,
                                             long pairStride, uint32_t *out) {
    __m512i index = interleaveIndex();
    long kp = (kc + 1) / 2;
    for (long jb = 0; jb < rowsOut; jb += 16) {
        __mmask16 mask = vt_low_mask(width - jb);
        for (long p0 = 0; p0 < pairStride; p0 += 16) {
            __m512i r[16];                               // r[q]: pair p0+q of lines jb..jb+15
            for (int q = 0; q < 16; q++) {
                long p = p0 + q;
                if (p >= kp || !mask) { r[q] = _mm512_setzero_si512(); continue; }
                const float *row0 = x + 2 * p * ld + jb;
                r[q] = pairRows(mask, row0, 2 * p + 1 < kc ? row0 + ld : NULL, index);
            }
            vt_transpose16(r);                           // r[i]: line jb+i, pairs p0..p0+15
            long lines = rowsOut - jb < 16 ? rowsOut - jb : 16;
            for (long i = 0; i < lines; i++) _mm512_store_si512(out + (jb + i) * pairStride + p0, r[i]);
        }
    }
}
#endif
