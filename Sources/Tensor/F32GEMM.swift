// The fp32 GEMM in CKernels ("highest" matmul precision): an AVX-512F kernel with the bf16
// kernel's blocking, 1.08-1.16x OpenBLAS 0.3.21's single-thread sgemm on ViT-Tiny shapes (Zen 4),
// and an AVX2+FMA kernel on the same blocking for CPUs without AVX-512; at the baseline level a
// slow portable loop. One call is single-threaded (callers split C into bands).

import CKernels

public enum F32GEMM {
    /// Whether the kernels run at the AVX2 level or above (`CPULevel.current`), so `gemm` uses a
    /// vector kernel; at the baseline level it still works, slowly.
    public static var isAccelerated: Bool { CPULevel.current >= .avx2 }

    /// The vector kernel `gemm` runs at the current level ("portable loop" at the baseline).
    public static var kernelName: String {
        switch CPULevel.current {
        case .avx512: return "AVX-512F 14×32"
        case .avx2: return "AVX2+FMA 6×16"
        case .baseline: return "portable loop"
        }
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C in fp32, row-major with explicit row strides, the
    /// same meaning as `BLAS.sgemm`: op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is
    /// n×k when `transposeB`). `beta == 0` never reads C; `epilogue` is applied to each panel of C
    /// once it is final. Single-threaded and thread-safe.
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, epilogue: nil)
    }

    /// The same product with `epilogue` (bias, residual, GELU) applied to C (GEMMEpilogue).
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue?) {
        precondition(m >= 0 && n >= 0 && k >= 0, "F32GEMM.gemm: negative size m \(m), n \(n), k \(k)")
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
                     "F32GEMM.gemm: strides lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k)")
        GEMMEpilogue.withPointer(to: epilogue) {
            vt_gemm_f32_fused(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, $0)
        }
    }
}
