// Hand-written C kernels for vittrain: a bf16 GEMM (AVX-512 BF16) that rounds fp32 inputs to
// bf16 while packing and accumulates the products in fp32 ("medium" matmul precision), and an
// fp32 GEMM (AVX-512F).
// Row-major throughout; the meaning of every argument matches cblas_sgemm with CblasRowMajor.
#ifndef VT_CKERNELS_H
#define VT_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU and OS run AVX-512F/BW/VL and AVX512_BF16 (zmm state enabled), else 0.
/// Always 0 on non-x86-64 builds.
int vt_cpu_has_avx512_bf16(void);

/// 1 when this CPU and OS run AVX-512F (opmask and zmm state enabled), else 0.
/// Always 0 on non-x86-64 builds.
int vt_cpu_has_avx512f(void);

/// 1 when this CPU and OS run AVX, AVX2 and FMA (the Haswell level x86-64 builds of the Swift
/// kernels are compiled for), else 0. Always 1 on non-x86-64 builds.
int vt_cpu_has_avx2_fma(void);

/// C[m×n] = alpha · op(A) · op(B) + beta · C with op(A) m×k, op(B) k×n, both rounded to bf16
/// (round to nearest even) and their products summed in fp32.
/// A is m×k (k×m when transA ≠ 0) with row stride lda; B is k×n (n×k when transB ≠ 0) with row
/// stride ldb; C has row stride ldc. beta == 0 never reads C. Single-threaded and thread-safe.
/// vdpbf16ps ignores MXCSR: denormal inputs and results are flushed to zero.
/// Without AVX512_BF16 it falls back to a slow portable loop with the same rounding.
void vt_gemm_bf16(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc);

/// C[m×n] = alpha · op(A) · op(B) + beta · C in fp32, arguments as vt_gemm_bf16 (and as
/// cblas_sgemm with CblasRowMajor). beta == 0 never reads C. Single-threaded and thread-safe.
/// The AVX-512F kernel sums each element in k order with fused multiply-adds, in blocks of 768 k
/// added onto C; without AVX-512F a portable loop computes the same product (rounding may differ).
void vt_gemm_f32(int transA, int transB, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb,
                 float beta, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
