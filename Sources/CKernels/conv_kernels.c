// The data movement around a convolution and a max pool, one image (or plane) per call: im2col
// and its adjoint col2im, and max pooling with argmax. Each output row's in-bounds span is worked
// out once, so the inner loops are plain copies (memcpy at stride 1) with no per-element bounds
// test; the Swift loops they replace tested every element and were 10–18 % of a CCT training step.
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
static void maxOfWindow(const float *xp, long w, long ih0, long ih1, long iw0, long iw1, float *value, int *index) {
    float best = -INFINITY;
    long bestIndex = ih0 * w + iw0;
    for (long ih = ih0; ih < ih1; ih++) {
        for (long iw = iw0; iw < iw1; iw++) {
            float v = xp[ih * w + iw];
            if (v > best || isnan(v)) { best = v; bestIndex = ih * w + iw; }
        }
    }
    *value = best;
    *index = (int)bestIndex;
}

// Per output row, two passes that give the row-major scan's answer without its unpredictable
// branches: down each input column of the window's rows (contiguous, vectorised, selects instead
// of branches) keep the column's max and the first row holding it; then across each window's
// columns take the larger max, or on a tie the smaller row, so the winner is the first max in
// row-major order, as PyTorch's. A window holding a NaN is redone by the row-major scan.
VT_INLINE void vt_max_pool2d_body(const float *x, long planes, long h, long w, long k, long s, long p,
                                  long ho, long wo, float *y, int *argmax, float *columnMax, int *columnRow) {
    for (long plane = 0; plane < planes; plane++) {
        const float *xp = x + plane * h * w;
        float *yp = y + plane * ho * wo;
        int *ap = argmax + plane * ho * wo;
        for (long oh = 0; oh < ho; oh++) {
            long ih0 = oh * s - p, ih1 = ih0 + k;
            if (ih0 < 0) ih0 = 0;
            if (ih1 > h) ih1 = h;
            const float *first = xp + ih0 * w;
            for (long iw = 0; iw < w; iw++) { columnMax[iw] = first[iw]; columnRow[iw] = (int)ih0; }
            for (long ih = ih0 + 1; ih < ih1; ih++) {
                const float *row = xp + ih * w;
                for (long iw = 0; iw < w; iw++) {
                    float v = row[iw];
                    int take = (v > columnMax[iw]) | (v != v);
                    columnMax[iw] = take ? v : columnMax[iw];
                    columnRow[iw] = take ? (int)ih : columnRow[iw];
                }
            }
            for (long ow = 0; ow < wo; ow++) {
                long iw0 = ow * s - p, iw1 = iw0 + k;
                if (iw0 < 0) iw0 = 0;
                if (iw1 > w) iw1 = w;
                float best = columnMax[iw0];
                int bestRow = columnRow[iw0];
                long bestColumn = iw0;
                int sawNaN = best != best;
                for (long iw = iw0 + 1; iw < iw1; iw++) {
                    float v = columnMax[iw];
                    int r = columnRow[iw];
                    int take = (v > best) | ((v == best) & (r < bestRow));
                    sawNaN |= v != v;
                    best = take ? v : best;
                    bestRow = take ? r : bestRow;
                    bestColumn = take ? iw : bestColumn;
                }
                if (sawNaN) {
                    maxOfWindow(xp, w, ih0, ih1, iw0, iw1, &yp[oh * wo + ow], &ap[oh * wo + ow]);
                } else {
                    yp[oh * wo + ow] = best;
                    ap[oh * wo + ow] = (int)(bestRow * w + bestColumn);
                }
            }
        }
    }
}

VT_MULTIVERSION(vt_max_pool2d,
                (const float *x, long planes, long h, long w, long k, long s, long p, long ho, long wo,
                 float *y, int *argmax, float *columnMax, int *columnRow),
                (x, planes, h, w, k, s, p, ho, wo, y, argmax, columnMax, columnRow))
