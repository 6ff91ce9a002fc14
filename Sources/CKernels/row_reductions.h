// Reductions along a contiguous row, shared by the row kernels (row_kernels.c) and the attention
// kernel: LANES partial results (one zmm, two ymm or four xmm), so the loops vectorise without
// reassociation flags and every instruction-set level adds in the same order. Not public.
#ifndef VT_ROW_REDUCTIONS_H
#define VT_ROW_REDUCTIONS_H

#include "dispatch.h"
#include <math.h>

enum { LANES = 16 };

VT_INLINE float laneSum(const float acc[LANES]) {
    float total = 0;
    for (int l = 0; l < LANES; l++) total += acc[l];
    return total;
}

/// Σ x[j].
VT_INLINE float rowSum(const float *x, long n) {
    float acc[LANES] = {0};
    long j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += x[j + l];
    float total = laneSum(acc);
    for (; j < n; j++) total += x[j];
    return total;
}

/// Σ a[j]·b[j].
VT_INLINE float rowDot(const float *a, const float *b, long n) {
    float acc[LANES] = {0};
    long j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += a[j + l] * b[j + l];
    float total = laneSum(acc);
    for (; j < n; j++) total += a[j] * b[j];
    return total;
}

/// max x[j] (−∞ for an empty row); NaN propagation is not promised.
VT_INLINE float rowMax(const float *x, long n) {
    float acc[LANES];
    for (int l = 0; l < LANES; l++) acc[l] = -INFINITY;
    long j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) acc[l] = x[j + l] > acc[l] ? x[j + l] : acc[l];
    float best = -INFINITY;
    for (int l = 0; l < LANES; l++) best = acc[l] > best ? acc[l] : best;
    for (; j < n; j++) best = x[j] > best ? x[j] : best;
    return best;
}

#endif
