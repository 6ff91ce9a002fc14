// The data movement around a convolution and a max pool, one image (or plane) per call: im2col
// and its adjoint col2im, and max pooling with argmax. For im2col/col2im each output row's
// in-bounds span is worked out once, so the inner loops are plain copies (memcpy at stride 1) with
// no per-element bounds test; the max pool reads through a table of each window tap's input index,
// built once per call, so its loops are gathers vectorised across outputs. The Swift loops these
// replace tested every element and were 10–18 % of a CCT training step.
// Legend: C channels, H×W input plane, kH×kW kernel, Ho×Wo output plane, s stride, p padding.
#include "dispatch.h"
#include <math.h>
#include <string.h>

/// The outputs o in [0, outSize) whose input index o·s − p + offset lies in [0, inSize), as a
/// half-open range [*first, *last).
static void validSpan(long offset, long s, long p, long inSize, long outSize, long *first, long *last) {
    long lowNumerator = p - offset;                      // o·s ≥ p − offset
    long lo = lowNumerator <= 0 ? 0 : (lowNumerator + s - 1) / s;
    long highNumerator = inSize - 1 + p - offset;        // o·s ≤ inSize − 1 + p − offset
    long hi = highNumerator < 0 ? 0 : highNumerator / s + 1;
    if (hi > outSize) hi = outSize;
    if (lo > hi) lo = hi;
    *first = lo;
    *last = hi;
}

void vt_im2col(const float *x, long c, long h, long w, long kh, long kw, long s, long p,
               long ho, long wo, float *cols) {
    long spatial = ho * wo;
    for (long ch = 0; ch < c; ch++) {
        const float *plane = x + ch * h * w;
        for (long i = 0; i < kh; i++) {
            for (long j = 0; j < kw; j++) {
                float *row = cols + ((ch * kh + i) * kw + j) * spatial;
                long ow0, ow1;
                validSpan(j, s, p, w, wo, &ow0, &ow1);
                for (long oh = 0; oh < ho; oh++) {
                    float *dst = row + oh * wo;
                    long ih = oh * s - p + i;
                    if (ih < 0 || ih >= h) { memset(dst, 0, (size_t)wo * sizeof(float)); continue; }
                    const float *src = plane + ih * w;
                    memset(dst, 0, (size_t)ow0 * sizeof(float));
                    if (s == 1) {
                        memcpy(dst + ow0, src + (ow0 - p + j), (size_t)(ow1 - ow0) * sizeof(float));
                    } else {
                        for (long ow = ow0; ow < ow1; ow++) dst[ow] = src[ow * s - p + j];
                    }
                    memset(dst + ow1, 0, (size_t)(wo - ow1) * sizeof(float));
                }
            }
        }
    }
}

void vt_col2im(const float *cols, long c, long h, long w, long kh, long kw, long s, long p,
               long ho, long wo, float *dx) {
    long spatial = ho * wo;
    for (long ch = 0; ch < c; ch++) {
        float *plane = dx + ch * h * w;
        for (long i = 0; i < kh; i++) {
            for (long j = 0; j < kw; j++) {
                const float *row = cols + ((ch * kh + i) * kw + j) * spatial;
                long ow0, ow1;
                validSpan(j, s, p, w, wo, &ow0, &ow1);
                for (long oh = 0; oh < ho; oh++) {
                    long ih = oh * s - p + i;
                    if (ih < 0 || ih >= h) continue;
                    float *dst = plane + ih * w;
                    const float *src = row + oh * wo;
                    for (long ow = ow0; ow < ow1; ow++) dst[ow * s - p + j] += src[ow];
                }
            }
        }
    }
}

/// One window, scanned in row-major order as PyTorch's CPU kernel: start at −∞ with the window's
/// first position, take a strictly larger value or any NaN. The fallback for windows with a NaN.
void vt_max_pool2d_windows(long h, long w, long k, long s, long p, long ho, long wo, int *table) {
    long outputs = ho * wo;
    int *first = table + k * k * outputs;
    for (long oh = 0; oh < ho; oh++) {
        for (long ow = 0; ow < wo; ow++) {
            long q = oh * wo + ow, ih0 = oh * s - p, iw0 = ow * s - p;
            first[q] = (int)((ih0 < 0 ? 0 : ih0) * w + (iw0 < 0 ? 0 : iw0));
            for (long i = 0; i < k; i++) {
                for (long j = 0; j < k; j++) {
                    long ih = ih0 + i, iw = iw0 + j;
                    int inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                    table[(i * k + j) * outputs + q] = inside ? (int)(ih * w + iw) : -1;
                }
            }
        }
    }
}

// Clang's cost model leaves this gather loop scalar at -O2; at AVX-512 it gains several times.
#if defined(__clang__)
#define VT_VECTORIZE _Pragma("clang loop vectorize(enable)")
#else
#define VT_VECTORIZE
#endif

// Each plane: every output starts at −∞ with the index of its window's first in-bounds element,
// then the window's taps are visited in row-major order, each tap a pass over all the plane's
// outputs (a gather through the table, vectorised across outputs), taking an element that is
// larger, or NaN. That is PyTorch's scan exactly: the first maximum in row-major order wins, the
// last NaN wins, an all −∞ window keeps its first position; the padding (index −1) is never taken.
VT_INLINE void vt_max_pool2d_body(const float *restrict x, long planes, long inPlane, long outputs, long taps,
                                  const int *restrict table, float *restrict y, int *restrict argmax) {
    const int *first = table + taps * outputs;
    for (long plane = 0; plane < planes; plane++) {
        const float *restrict xp = x + plane * inPlane;
        float *restrict yp = y + plane * outputs;
        int *restrict ap = argmax + plane * outputs;
        for (long q = 0; q < outputs; q++) { yp[q] = -INFINITY; ap[q] = first[q]; }
        for (long t = 0; t < taps; t++) {
            const int *restrict at = table + t * outputs;
            VT_VECTORIZE for (long q = 0; q < outputs; q++) {
                int index = at[q];
                float v = xp[index < 0 ? 0 : index];
                int take = (index >= 0) & ((v > yp[q]) | (v != v));
                yp[q] = take ? v : yp[q];
                ap[q] = take ? index : ap[q];
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// At AVX-512 the compiler vectorises the body (16-lane gathers with masks).
VT_TARGET_AVX512 static void maxPoolAVX512(const float *x, long planes, long inPlane, long outputs, long taps,
                                           const int *table, float *y, int *argmax) {
    vt_max_pool2d_body(x, planes, inPlane, outputs, taps, table, y, argmax);
}

// At AVX2 it leaves the gathers scalar, so the tap pass is written out: eight outputs at a time,
// the padding's −1 gathered from index 0 and never taken; the tail runs the body's scalar loop.
VT_TARGET_AVX2 static void maxPoolAVX2(const float *x, long planes, long inPlane, long outputs, long taps,
                                       const int *table, float *y, int *argmax) {
    const int *first = table + taps * outputs;
    long vectorEnd = outputs / 8 * 8;
    for (long plane = 0; plane < planes; plane++) {
        const float *xp = x + plane * inPlane;
        float *yp = y + plane * outputs;
        int *ap = argmax + plane * outputs;
        for (long q = 0; q < outputs; q++) { yp[q] = -INFINITY; ap[q] = first[q]; }
        for (long t = 0; t < taps; t++) {
            const int *at = table + t * outputs;
            for (long q = 0; q < vectorEnd; q += 8) {
                __m256i index = _mm256_loadu_si256((const __m256i *)(at + q));
                __m256i inside = _mm256_cmpgt_epi32(index, _mm256_set1_epi32(-1));
                __m256 v = _mm256_i32gather_ps(xp, _mm256_and_si256(index, inside), 4);
                __m256 best = _mm256_loadu_ps(yp + q);
                __m256 larger = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                __m256 take = _mm256_and_ps(larger, _mm256_castsi256_ps(inside));
                _mm256_storeu_ps(yp + q, _mm256_blendv_ps(best, v, take));
                __m256 held = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(ap + q)));
                _mm256_storeu_si256((__m256i *)(ap + q),
                                    _mm256_castps_si256(_mm256_blendv_ps(held, _mm256_castsi256_ps(index), take)));
            }
            for (long q = vectorEnd; q < outputs; q++) {
                int index = at[q];
                float v = xp[index < 0 ? 0 : index];
                int take = (index >= 0) & ((v > yp[q]) | (v != v));
                yp[q] = take ? v : yp[q];
                ap[q] = take ? index : ap[q];
            }
        }
    }
}
#endif

void vt_max_pool2d(const float *x, long planes, long inPlane, long outputs, long taps, const int *table,
                   float *y, int *argmax) {
#if defined(__x86_64__)
    switch (vt_cpu_level()) {
    case VT_CPU_AVX512: maxPoolAVX512(x, planes, inPlane, outputs, taps, table, y, argmax); return;
    case VT_CPU_AVX2: maxPoolAVX2(x, planes, inPlane, outputs, taps, table, y, argmax); return;
    default: break;
    }
#endif
    vt_max_pool2d_body(x, planes, inPlane, outputs, taps, table, y, argmax);
}
