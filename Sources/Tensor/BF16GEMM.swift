// The bf16 GEMM doorway ("medium" matmul precision): fp32 operands rounded to bf16 (nearest
// even), products summed in fp32 by the AVX-512 BF16 kernel in CKernels. About twice the
// single-thread speed of fp32 sgemm; one call is single-threaded (callers split C into bands).

import CKernels

public enum BF16GEMM {
    /// Whether this CPU (and OS) runs the AVX-512 BF16 kernel and the kernels run at the AVX512
    /// level (`CPULevel.current`). `gemm` requires it.
    public static var isSupported: Bool { vt_cpu_has_avx512_bf16() != 0 }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major with explicit row strides, the same
    /// meaning as `BLAS.sgemm`: op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is
    /// n×k when `transposeB`). Inputs are rounded to bf16; `beta == 0` never reads C.
    /// Single-threaded and thread-safe.
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(isSupported, "BF16GEMM.gemm needs AVX512_BF16; check BF16GEMM.isSupported first")
        precondition(m >= 0 && n >= 0 && k >= 0, "BF16GEMM.gemm: negative size m \(m), n \(n), k \(k)")
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
                     "BF16GEMM.gemm: strides lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k)")
        vt_gemm_bf16(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
