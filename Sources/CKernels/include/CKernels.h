// Hand-written C kernels for vittrain: a bf16 GEMM (AVX-512 BF16, or AMX tiles) that rounds fp32 inputs to
// bf16 while packing and accumulates the products in fp32 ("medium" matmul precision), an fp32
// GEMM (AVX-512F and AVX2+FMA), the row kernels (GELU, softmax, LayerNorm) with a variant per
// instruction-set level chosen at run time, and a convolution's im2col / col2im / max pool loops.
// Row-major throughout; GEMM arguments as cblas_sgemm.
#ifndef VT_CKERNELS_H
#define VT_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel dispatch levels, lowest first.
#define VT_CPU_BASELINE 0
#define VT_CPU_AVX2 1
#define VT_CPU_AVX512 2

/// The level this CPU and OS support: AVX512 = AVX-512 F/BW/DQ/VL (with AVX2 and FMA), AVX2 =
/// AVX2 and FMA, else BASELINE (SSE2 on x86-64; every non-x86-64 build).
int vt_cpu_detected_level(void);

/// The level the kernels run at: the detected one, lowered by the environment variable
/// VITTRAIN_CPU=baseline|avx2|avx512|auto (never raised above what the CPU supports).
int vt_cpu_level(void);

/// Sets the level the kernels run at from now on (clamped to the detected one; -1: back to
/// VITTRAIN_CPU or the detected level) and returns it. For tests and benchmarks that compare
/// levels in one process; call it while no kernel runs.
int vt_cpu_set_level(int level);

/// VITTRAIN_CPU as a level; -1 when unset, empty or "auto"; -2 when it is anything else.
int vt_cpu_requested_level(void);

/// "baseline", "avx2" or "avx512".
const char *vt_cpu_level_name(int level);

/// 1 when this CPU and OS run AVX-512F/BW/VL and AVX512_BF16 (zmm state enabled) and the
/// kernels run at the AVX512 level, else 0. Always 0 on non-x86-64 builds.
int vt_cpu_has_avx512_bf16(void);

/// 1 when the kernels run at the AVX512 level, else 0 (so VITTRAIN_CPU=avx2 turns it off).
int vt_cpu_has_avx512f(void);

/// 1 when the kernels run at the AVX2 level or above, else 0 (always 0 on non-x86-64 builds).
int vt_cpu_has_avx2_fma(void);

/// C[m×n] = alpha · op(A) · op(B) + beta · C with op(A) m×k, op(B) k×n, both rounded to bf16
/// (round to nearest even) and their products summed in fp32.
/// A is m×k (k×m when transA ≠ 0) with row stride lda; B is k×n (n×k when transB ≠ 0) with row
/// stride ldb; C has row stride ldc. beta == 0 never reads C. Single-threaded and thread-safe.
/// vdpbf16ps ignores MXCSR: denormal inputs and results are flushed to zero.
/// With AMX (vt_bf16_uses_amx) the product runs on tile registers (TDPBF16PS, the same rounding
/// and fp32 sums, in another order). Without AVX512_BF16 it falls back to a slow portable loop
/// with the same rounding.
void vt_gemm_bf16(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc);

/// C[m×n] = alpha · op(A) · op(B) + beta · C in fp32, arguments as vt_gemm_bf16 (and as
/// cblas_sgemm with CblasRowMajor). beta == 0 never reads C. Single-threaded and thread-safe.
/// The AVX-512F kernel (AVX2+FMA kernel at the AVX2 level) sums each element in k order with fused multiply-adds, in blocks of 768 k
/// added onto C; without AVX-512F a portable loop computes the same product (rounding may differ).
void vt_gemm_f32(int transA, int transB, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb,
                 float beta, float *c, long ldc);

/// What a GEMM adds to its product in the store, applied to each panel of C rows once its last k
/// block is in (while the panel is still in cache), so the activations take no second pass:
///   C = residual + rowScale[i] · (C + bias[j]),   then   C = C · GELU′(geluDerivativeOf),
///   then   geluOut = GELU(C)
/// Each term is optional (NULL): without `residual`, C = C + bias[j] (rowScale unused); with
/// `geluDerivativeOf` (row stride ldp), C is the gradient of a GELU's output and becomes that of its
/// input (the MLP backward's dHidden); with `geluOut`, C keeps the pre-activation and GELU(C) goes
/// to geluOut (row stride ldg), which may be C itself (ldg = ldc) when the pre-activation is not
/// needed. Each operation rounds as the separate passes do (no fused multiply-add across them), so
/// results are bit-identical to a GEMM followed by the bias add, drop-path scaling, residual add,
/// vt_gelu_backward and vt_gelu in turn.
/// Row i and column j count from the product's origin: a caller that splits C into bands
/// offsets the pointers to its band.
typedef struct {
    const float *bias;        // [n]
    const float *residual;    // [m rows, row stride ldr]
    long ldr;
    const float *rowScale;    // [m]: drop-path factor per row (with residual only)
    float *geluOut;           // [m rows, row stride ldg]
    long ldg;
    const float *geluDerivativeOf;   // [m rows, row stride ldp]: GELU's input, whose GELU′ scales C
    long ldp;
} VTEpilogue;

/// Applies `epilogue` to rows row0..<row0+rows, columns col0..<col0+cols of C (c points at
/// element (row0, col0), row stride ldc): the GEMM kernels' store, and the pass after products
/// that run elsewhere (OpenBLAS, the bf16 AMX and portable kernels). NULL does nothing.
void vt_gemm_epilogue(const VTEpilogue *epilogue, float *c, long ldc, long row0, long col0, long rows,
                      long cols);

/// vt_gemm_f32 with an epilogue (NULL: none) applied to C after the product.
void vt_gemm_f32_fused(int transA, int transB, long m, long n, long k, float alpha,
                       const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc, const VTEpilogue *epilogue);

/// vt_gemm_bf16 with an epilogue (NULL: none) applied to C after the product.
void vt_gemm_bf16_fused(int transA, int transB, long m, long n, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb,
                        float beta, float *c, long ldc, const VTEpilogue *epilogue);

/// One core's fp32 multiply-add rate in GFLOP/s at the current level (vector FMAs; multiply then
/// add at the baseline), the best of repeats over about `duration` seconds on the calling thread.
double vt_fma_peak_gflops(double duration);

/// The calling core's clock in MHz, measured by a chain of dependent adds (best of repeats over
/// about `duration` seconds); 0 where it cannot be measured (non-x86-64).
double vt_measure_clock_mhz(double duration);

/// 1 when the CPU and OS support AVX512_BF16, whatever level the kernels run at.
int vt_cpu_detected_avx512_bf16(void);

/// 1 when the CPU has AMX-TILE and AMX-BF16 and the OS lets this process use the tiles (on Linux
/// the first call asks for that permission), whatever level the kernels run at.
int vt_cpu_detected_amx_bf16(void);

/// 1 when vt_gemm_bf16 runs its AMX kernel: AMX is detected, the kernels run at a level with
/// AVX512_BF16, and AMX is wanted (VITTRAIN_AMX=off or 0 declines it).
int vt_bf16_uses_amx(void);

/// Whether vt_gemm_bf16 may use AMX from now on (1 yes, 0 no, -1 back to VITTRAIN_AMX); returns
/// vt_bf16_uses_amx(). For tests and benchmarks that compare the two bf16 kernels in one process.
int vt_bf16_set_amx(int enabled);

// ---- Row kernels (row_kernels.c): each runs the variant for vt_cpu_level(), single-threaded ----

/// y[i] = e^x[i], relative error below 3e-7 on [−87, 88], clamped outside (no library call).
void vt_exp(const float *x, float *y, long n);

/// y[i] = GELU(x[i]) = x·Φ(x), exact erf form (A&S 7.1.26, |erf error| ≤ 1.5e-7).
void vt_gelu(const float *x, float *y, long n);

/// dx[i] (+)= dy[i]·GELU′(x[i]), GELU′ = Φ(x) + x·φ(x); assigns unless `accumulate`. dx may be dy
/// (in place); no other overlap.
void vt_gelu_backward(const float *x, const float *dy, float *dx, long n, int accumulate);

/// Softmax (log-softmax when `logarithm`) of `rows` rows of `length` elements `stride` apart,
/// row r starting at r·rowStride; y may be x. Numerically stable (row maximum subtracted).
void vt_softmax(const float *x, float *y, long rows, long length, long stride, long rowStride, int logarithm);

/// The softmax backward from its output y: dx = y∘(dy − Σ dy∘y), or for log-softmax
/// dx = dy − e^y·Σ dy; same layout as vt_softmax; dx may be dy.
void vt_softmax_backward(const float *y, const float *dy, float *dx, long rows, long length, long stride,
                         long rowStride, int logarithm);

/// LayerNorm of R rows of D: y = (x − mean)·rstd·weight + bias (weight or bias NULL: 1 or 0),
/// biased variance; saves mean[R] and rstd[R] for the backward.
void vt_layernorm_forward(const float *x, const float *weight, const float *bias, float *y,
                          float *mean, float *rstd, long rows, long d, float eps);

/// dx (+)= rstd·(dnorm − mean(dnorm) − x̂·mean(dnorm·x̂)), dnorm = dy·weight (weight NULL: 1).
void vt_layernorm_backward_input(const float *x, const float *weight, const float *dy, const float *mean,
                                 const float *rstd, float *dx, long rows, long d, int accumulate);

/// For columns column0..<column1: dweight += Σ_r dy·x̂, dbias += Σ_r dy (either may be NULL).
void vt_layernorm_backward_params(const float *x, const float *dy, const float *mean, const float *rstd,
                                  float *dweight, float *dbias, long rows, long d, long column0, long column1);

/// out[j] += Σ_r x[r, j] for columns column0..<column1 of x [rows × columns].
void vt_add_column_sums(const float *x, long rows, long columns, float *out, long column0, long column1);

// ---- Convolution data movement (conv_kernels.c): single-threaded, one image or plane range ----

/// cols [C·kH·kW, Ho·Wo]: row (c, i, j), column (oh, ow) = x[c, oh·s − p + i, ow·s − p + j], or 0
/// where that falls in the padding. x is one image [C, H, W].
void vt_im2col(const float *x, long c, long h, long w, long kh, long kw, long s, long p,
               long ho, long wo, float *cols);

/// The adjoint of vt_im2col: adds every in-bounds column entry onto dx [C, H, W] at the input
/// element it was copied from.
void vt_col2im(const float *cols, long c, long h, long w, long kh, long kw, long s, long p,
               long ho, long wo, float *dx);

/// The max pool's window table for H×W planes, k×k windows at stride s padded by p, Ho×Wo outputs:
/// (k·k + 1)·Ho·Wo ints. Row t = i·k + j (t < k·k) holds, per output, the index within the plane of
/// tap (i, j) of its window, or −1 in the padding; row k·k the window's first in-bounds element.
void vt_max_pool2d_windows(long h, long w, long k, long s, long p, long ho, long wo, int *table);

/// Max over each window of `planes` planes (inPlane elements each, `outputs` outputs each, `taps`
/// = k·k) through a vt_max_pool2d_windows table, as torch.nn.MaxPool2d: y and argmax (the index
/// within the input plane). A NaN in a window wins (the last one, as PyTorch's CPU kernel); an
/// all −∞ window gives its first in-bounds position.
void vt_max_pool2d(const float *x, long planes, long inPlane, long outputs, long taps, const int *table,
                   float *y, int *argmax);

// ---- Fused attention (attention_kernels.c): one (batch, head) per call, single-threaded ----
// q, k, v are T rows of Dh floats, row stride ld (column slices of timm's packed qkv rows, ld = 3·D);
// only those rows and columns are read. Scratch is the calling thread's own (the GEMMs' per-thread
// pack buffer), so calls on different threads are independent; without it they fall back to a
// slower loop that needs none.

/// One (batch, head) of multi-head attention forward: P = softmax(scale·q·kᵀ) [T×T, row stride T],
/// O = (P ∘ mask)·v (mask NULL: P·v) written to o [T×Dh, row stride ldo]. mask [T×T] is the dropout
/// mask already scaled by 1/(1−p); P is saved before it. p and o must not overlap the inputs.
void vt_attention_forward(const float *q, const float *k, const float *v, long ld, long t, long dh,
                          float scale, const float *mask, float *p, float *o, long ldo);

/// Its backward from dO [T×Dh, row stride lddo] and the forward's P and mask: dV (+)= (P∘mask)ᵀ·dO;
/// dP = (dO·vᵀ)∘mask, copied to dp [T×T, row stride T] if dp != NULL; dS = P∘(dP − rowsum(dP∘P));
/// dQ (+)= scale·dS·k; dK (+)= scale·dSᵀ·q. dq, dk, dv are T×Dh with row stride lddx (column
/// slices of one buffer are fine: they must only be disjoint from each other and from the inputs);
/// accumulate = 0 assigns them (never reading them), 1 adds to them.
void vt_attention_backward(const float *q, const float *k, const float *v, long ld, const float *p,
                           const float *mask, const float *dout, long lddo, long t, long dh, float scale,
                           float *dq, float *dk, float *dv, long lddx, int accumulate, float *dp);

#ifdef __cplusplus
}
#endif

#endif
