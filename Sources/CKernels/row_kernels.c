// Row kernels behind GELU, softmax and LayerNorm, written once in plain C and compiled per
// instruction-set level (dispatch.h): the build needs no CPU flags and every CPU gets vector code.
// Reductions keep 16 partial sums (one zmm, two ymm or four xmm), so every level adds in the same
// order; levels differ only where FMA contracts a·b + c. Legend: R rows, D row length.
#include "row_reductions.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

VT_INLINE float bitsToFloat(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
VT_INLINE uint32_t floatToBits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/// e^x, relative error below 3e-7 on [−87, 88], clamped outside; no library call, so loops over
/// it vectorise. x = n·ln2 + r (ln2 in two parts, Cody & Waite), e^r by its degree-7 Taylor
/// polynomial, 2ⁿ written into the exponent bits; n is rounded by adding 1.5·2²³, which leaves n
/// in the low mantissa bits without a float→int conversion.
VT_INLINE float vtExp(float x) {
    float clamped = x < -87.3f ? -87.3f : x > 88.3f ? 88.3f : x;
    const float magic = 12582912.0f;
    float biased = clamped * 1.44269504f + magic;
    float n = biased - magic;
    float r = (clamped - n * 0.693359375f) - n * -2.1219444e-4f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    return p * bitsToFloat((floatToBits(biased) - 0x4B400000u + 127u) << 23);
}

/// Φ(x) (standard normal CDF) and φ(x) (density) sharing one exp: Abramowitz & Stegun 7.1.26,
/// |erf error| ≤ 1.5e-7, whose exp(−z²) with z = x/√2 is exactly φ's exp(−x²/2).
VT_INLINE void normalCDFAndDensity(float x, float *cdf, float *pdf) {
    float z = fabsf(x) * 0.70710678f;
    float e = vtExp(-z * z);
    float t = 1 / (0.3275911f * z + 1);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    poly *= t;
    float erfAbs = 1 - poly * e;
    float erf = x < 0 ? -erfAbs : erfAbs;
    *cdf = 0.5f * (1 + erf);
    *pdf = 0.39894228f * e;
}

VT_INLINE float gelu1(float x) { float cdf, pdf; normalCDFAndDensity(x, &cdf, &pdf); return x * cdf; }

// ---- Reductions along a contiguous row (laneSum, rowSum, rowDot, rowMax in row_reductions.h) ----

/// Σ (x[j] − centre)².
VT_INLINE float rowSquaredDeviation(const float *x, float centre, long n) {
    float acc[LANES] = {0};
    long j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) { float t = x[j + l] - centre; acc[l] += t * t; }
    float total = laneSum(acc);
    for (; j < n; j++) { float t = x[j] - centre; total += t * t; }
    return total;
}

VT_INLINE void vt_exp_body(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = vtExp(x[i]);
}
VT_MULTIVERSION(vt_exp, (const float *x, float *y, long n), (x, y, n))

// ---- GELU (exact erf form, as torch.nn.GELU()) ----

VT_INLINE void vt_gelu_body(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = gelu1(x[i]);
}
VT_MULTIVERSION(vt_gelu, (const float *x, float *y, long n), (x, y, n))

VT_INLINE float geluDerivative(float x) {
    float cdf, pdf; normalCDFAndDensity(x, &cdf, &pdf);
    return cdf + x * pdf;
}

VT_INLINE void vt_gelu_backward_body(const float *x, const float *dy, float *dx, long n, int accumulate) {
    // Three loops rather than branches inside one, so each vectorises. The fused MLP backward
    // turns dy into dx in place (dx == dy): that case gets its own loop over one pointer, since
    // the vectoriser's overlap check would otherwise send it down the scalar loop.
    if (dx == dy && !accumulate) {
        float *restrict g = dx;
        const float *restrict pre = x;
        for (long i = 0; i < n; i++) g[i] *= geluDerivative(pre[i]);
    } else if (accumulate) {
        for (long i = 0; i < n; i++) dx[i] += dy[i] * geluDerivative(x[i]);
    } else {
        for (long i = 0; i < n; i++) dx[i] = dy[i] * geluDerivative(x[i]);
    }
}
VT_MULTIVERSION(vt_gelu_backward, (const float *x, const float *dy, float *dx, long n, int accumulate),
                (x, dy, dx, n, accumulate))

// ---- Softmax / log-softmax ----

/// y[j] = e^(x[j] − shift), with no running sum, so it vectorises; x and y must not overlap.
VT_INLINE void expShifted(const float *restrict x, float *restrict y, long n, float shift) {
    for (long j = 0; j < n; j++) y[j] = vtExp(x[j] - shift);
}

/// The same in place. Attention runs softmax over its score rows in place, and through one
/// pointer the vectoriser needs no overlap check (which an x == y call fails, falling back to
/// the scalar loop: that was half of the softmax's time on 49-token rows).
VT_INLINE void expShiftedInPlace(float *restrict y, long n, float shift) {
    for (long j = 0; j < n; j++) y[j] = vtExp(y[j] - shift);
}

VT_INLINE void vt_softmax_body(const float *x, float *y, long rows, long length, long stride, long rowStride,
                               int logarithm) {
    for (long row = 0; row < rows; row++) {
        const float *xr = x + row * rowStride;
        float *yr = y + row * rowStride;
        float maximum = -INFINITY;
        if (stride == 1) maximum = rowMax(xr, length);
        else for (long j = 0; j < length; j++) maximum = xr[j * stride] > maximum ? xr[j * stride] : maximum;
        // A fully masked row (all −∞) has no finite maximum; 0 keeps it finite (exp clamps, so the
        // row comes out uniform) rather than 0/0. NaN inputs still give NaN.
        if (maximum == -INFINITY) maximum = 0;
        float total = 0;
        if (stride == 1) {
            if (xr == yr) expShiftedInPlace(yr, length, maximum);
            else expShifted(xr, yr, length, maximum);
            total = rowSum(yr, length);
        } else {
            for (long j = 0; j < length; j++) {
                float e = vtExp(xr[j * stride] - maximum);
                yr[j * stride] = e;
                total += e;
            }
        }
        if (logarithm) {
            // (x − max) − log Σ, not x − (max + log Σ): the latter loses digits for large x.
            float logTotal = logf(total);
            for (long j = 0; j < length; j++) yr[j * stride] = (xr[j * stride] - maximum) - logTotal;
        } else {
            float inverse = 1 / total;
            for (long j = 0; j < length; j++) yr[j * stride] *= inverse;
        }
    }
}
VT_MULTIVERSION(vt_softmax, (const float *x, float *y, long rows, long length, long stride, long rowStride,
                             int logarithm),
                (x, y, rows, length, stride, rowStride, logarithm))

/// g[j] = y[j]·(g[j] − total) over a contiguous row, in place as attention's backward calls it
/// (one pointer for g, so it vectorises without an overlap check).
VT_INLINE void softmaxGradientInPlace(const float *restrict y, float *restrict g, long n, float total) {
    for (long j = 0; j < n; j++) g[j] = y[j] * (g[j] - total);
}

VT_INLINE void vt_softmax_backward_body(const float *y, const float *dy, float *dx, long rows, long length,
                                        long stride, long rowStride, int logarithm) {
    for (long row = 0; row < rows; row++) {
        const float *yr = y + row * rowStride, *gr = dy + row * rowStride;
        float *dr = dx + row * rowStride;
        float total = 0;
        if (logarithm) {        // dx = g − softmax(x) · Σ g, softmax(x) = e^y
            if (stride == 1) total = rowSum(gr, length);
            else for (long j = 0; j < length; j++) total += gr[j * stride];
            for (long j = 0; j < length; j++) dr[j * stride] = gr[j * stride] - vtExp(yr[j * stride]) * total;
        } else {                // dx = y ∘ (g − Σ g∘y)
            if (stride == 1) total = rowDot(gr, yr, length);
            else for (long j = 0; j < length; j++) total += gr[j * stride] * yr[j * stride];
            if (stride == 1 && dr == gr) softmaxGradientInPlace(yr, dr, length, total);
            else for (long j = 0; j < length; j++) dr[j * stride] = yr[j * stride] * (gr[j * stride] - total);
        }
    }
}
VT_MULTIVERSION(vt_softmax_backward, (const float *y, const float *dy, float *dx, long rows, long length,
                                      long stride, long rowStride, int logarithm),
                (y, dy, dx, rows, length, stride, rowStride, logarithm))

// ---- LayerNorm over the last axis (llm.c's layernorm_forward / layernorm_backward) ----

VT_INLINE void vt_layernorm_forward_body(const float *x, const float *weight, const float *bias, float *y,
                                         float *mean, float *rstd, long rows, long d, float eps) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        float *yr = y + r * d;
        float m = rowSum(xr, d) / (float)d;
        float variance = rowSquaredDeviation(xr, m, d) / (float)d;
        float s = 1 / sqrtf(variance + eps);
        if (weight && bias) for (long j = 0; j < d; j++) yr[j] = (xr[j] - m) * s * weight[j] + bias[j];
        else if (weight) for (long j = 0; j < d; j++) yr[j] = (xr[j] - m) * s * weight[j];
        else if (bias) for (long j = 0; j < d; j++) yr[j] = (xr[j] - m) * s + bias[j];
        else for (long j = 0; j < d; j++) yr[j] = (xr[j] - m) * s;
        mean[r] = m;
        rstd[r] = s;
    }
}
VT_MULTIVERSION(vt_layernorm_forward, (const float *x, const float *weight, const float *bias, float *y,
                                       float *mean, float *rstd, long rows, long d, float eps),
                (x, weight, bias, y, mean, rstd, rows, d, eps))

VT_INLINE void vt_layernorm_backward_input_body(const float *x, const float *weight, const float *dy,
                                                const float *mean, const float *rstd, float *dx,
                                                long rows, long d, int accumulate) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * d, *gr = dy + r * d;
        float *dr = dx + r * d;
        float m = mean[r], s = rstd[r];
        // dnorm = g·weight; both of its means in one sweep, so no dnorm row is stored.
        float acc0[LANES] = {0}, acc1[LANES] = {0};
        long j = 0;
        for (; j + LANES <= d; j += LANES)
            for (int l = 0; l < LANES; l++) {
                float dn = weight ? weight[j + l] * gr[j + l] : gr[j + l];
                acc0[l] += dn;
                acc1[l] += dn * (xr[j + l] - m);
            }
        float sum0 = laneSum(acc0), sum1 = laneSum(acc1);
        for (; j < d; j++) {
            float dn = weight ? weight[j] * gr[j] : gr[j];
            sum0 += dn;
            sum1 += dn * (xr[j] - m);
        }
        float dnormMean = sum0 / (float)d, dnormNormMean = s * sum1 / (float)d;
        // dinp = rstd · (dnorm − mean(dnorm) − x̂ · mean(dnorm · x̂))
        for (j = 0; j < d; j++) {
            float dn = weight ? weight[j] * gr[j] : gr[j];
            float local = (dn - dnormMean - (xr[j] - m) * s * dnormNormMean) * s;
            dr[j] = accumulate ? dr[j] + local : local;
        }
    }
}
VT_MULTIVERSION(vt_layernorm_backward_input, (const float *x, const float *weight, const float *dy,
                                              const float *mean, const float *rstd, float *dx,
                                              long rows, long d, int accumulate),
                (x, weight, dy, mean, rstd, dx, rows, d, accumulate))

VT_INLINE void vt_layernorm_backward_params_body(const float *x, const float *dy, const float *mean,
                                                 const float *rstd, float *dweight, float *dbias,
                                                 long rows, long d, long column0, long column1) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * d, *gr = dy + r * d;
        float m = mean[r], s = rstd[r];
        if (dweight) for (long j = column0; j < column1; j++) dweight[j] += gr[j] * (xr[j] - m) * s;
        if (dbias) for (long j = column0; j < column1; j++) dbias[j] += gr[j];
    }
}
VT_MULTIVERSION(vt_layernorm_backward_params, (const float *x, const float *dy, const float *mean,
                                               const float *rstd, float *dweight, float *dbias,
                                               long rows, long d, long column0, long column1),
                (x, dy, mean, rstd, dweight, dbias, rows, d, column0, column1))

// ---- Column sums (bias gradients) ----

VT_INLINE void vt_add_column_sums_body(const float *x, long rows, long columns, float *out, long column0,
                                       long column1) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * columns;
        for (long j = column0; j < column1; j++) out[j] += row[j];
    }
}
VT_MULTIVERSION(vt_add_column_sums, (const float *x, long rows, long columns, float *out, long column0,
                                     long column1),
                (x, rows, columns, out, column0, column1))

// ---- GEMM epilogue (bias, drop-path scale, residual, GELU′ factor, GELU) on a block of C ----

/// C row = residual + scale·(C + bias), each operation rounded on its own: without contraction,
/// so the sum is the one the unfused passes (bias add, drop path, residual add) compute.
VT_INLINE void joinResidualRow(float *c, const float *bias, const float *residual, float scale, int scaled,
                               long cols) {
#pragma clang fp contract(off)
    for (long j = 0; j < cols; j++) {
        float branch = bias ? c[j] + bias[j] : c[j];
        c[j] = scaled ? residual[j] + branch * scale : residual[j] + branch;
    }
}

VT_INLINE void vt_gemm_epilogue_body(const VTEpilogue *e, float *c, long ldc, long row0, long col0, long rows,
                                     long cols) {
    if (!e) return;
    const float *bias = e->bias ? e->bias + col0 : NULL;
    for (long r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        if (e->residual) {
            const float *scale = e->rowScale;
            joinResidualRow(row, bias, e->residual + (row0 + r) * e->ldr + col0, scale ? scale[row0 + r] : 1,
                            scale != NULL, cols);
        } else if (bias) {
            for (long j = 0; j < cols; j++) row[j] += bias[j];
        }
        if (e->geluDerivativeOf) {     // vt_gelu_backward's in-place loop, on this row
            float *restrict g = row;
            const float *restrict pre = e->geluDerivativeOf + (row0 + r) * e->ldp + col0;
            for (long j = 0; j < cols; j++) g[j] *= geluDerivative(pre[j]);
        }
        if (e->geluOut) {
            float *out = e->geluOut + (row0 + r) * e->ldg + col0;
            if (out == row) for (long j = 0; j < cols; j++) row[j] = gelu1(row[j]);   // in place
            else for (long j = 0; j < cols; j++) out[j] = gelu1(row[j]);
        }
    }
}
VT_MULTIVERSION(vt_gemm_epilogue, (const VTEpilogue *e, float *c, long ldc, long row0, long col0, long rows,
                                   long cols),
                (e, c, ldc, row0, col0, rows, cols))
