// The bf16 GEMM doorway ("medium" matmul precision): fp32 operands rounded to bf16 (nearest
// even), products summed in fp32 by a kernel in CKernels: AMX tiles where the CPU has AMX-BF16
// (Sapphire Rapids and later), else AVX-512 BF16. One call is single-threaded (callers split C
// into bands). Whether it pays depends on the core: Zen 4 issues two vdpbf16ps a cycle (about
// twice the fp32 kernel's speed), Sapphire Rapids one, where with the rounding the AVX-512 BF16
// kernel runs at 0.6–0.75× fp32 but the AMX kernel several times faster; `measuredSpeedup()`
// tells which this is.

import CKernels
import Dispatch

public enum BF16GEMM {
    /// Whether this CPU (and OS) runs the AVX-512 BF16 kernel and the kernels run at the AVX512
    /// level (`CPULevel.current`). `gemm` requires it.
    public static var isSupported: Bool { vt_cpu_has_avx512_bf16() != 0 }

    /// Whether `gemm` runs on AMX tiles: the CPU has AMX-BF16, the OS lets the process use it, and
    /// it is not declined (VITTRAIN_AMX=off, or `setUsesAMX(false)`).
    public static var usesAMX: Bool { vt_bf16_uses_amx() != 0 }

    /// Whether this CPU and OS could run the AMX kernel (whether or not it is declined).
    public static var amxIsAvailable: Bool { vt_cpu_detected_amx_bf16() != 0 && isSupported }

    /// Allows or declines the AMX kernel from now on (nil: back to VITTRAIN_AMX), for tests and
    /// benchmarks that compare the two kernels in one process; call it while no product runs.
    public static func setUsesAMX(_ enabled: Bool?) {
        _ = vt_bf16_set_amx(enabled.map { $0 ? 1 : 0 } ?? -1)
    }

    /// The kernel `gemm` runs on this CPU.
    public static var kernelName: String { usesAMX ? "AMX-BF16 tiles" : "AVX-512 BF16" }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major with explicit row strides, the same
    /// meaning as `BLAS.sgemm`: op(A) is m×k (A is k×m when `transposeA`), op(B) is k×n (B is
    /// n×k when `transposeB`). Inputs are rounded to bf16; `beta == 0` never reads C; `epilogue`
    /// (fp32, after the product) as in `F32GEMM.gemm`.
    /// Single-threaded and thread-safe.
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
        precondition(isSupported, "BF16GEMM.gemm needs AVX512_BF16; check BF16GEMM.isSupported first")
        precondition(m >= 0 && n >= 0 && k >= 0, "BF16GEMM.gemm: negative size m \(m), n \(n), k \(k)")
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
                     "BF16GEMM.gemm: strides lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k)")
        GEMMEpilogue.withPointer(to: epilogue) {
            vt_gemm_bf16_fused(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, $0)
        }
    }

    /// This core's bf16 kernel speed over the fp32 kernel's (F32GEMM) on one 256×256×512 product,
    /// the best of five alternating runs each (about 10 ms in all). 0 where the kernel is unsupported.
    public static func measuredSpeedup() -> Double {
        guard isSupported else { return 0 }
        let (m, n, k) = (256, 256, 512)
        var rng = RandomGenerator(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }, b = (0..<(k * n)).map { _ in rng.nextNormal() }
        var c = [Float](repeating: 0, count: m * n)
        var best = (bf16: UInt64.max, fp32: UInt64.max)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for _ in 0..<5 {
                        for bf16 in [true, false] {
                            let start = DispatchTime.now().uptimeNanoseconds
                            if bf16 {
                                gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a.baseAddress!, lda: k,
                                     b: b.baseAddress!, ldb: n, beta: 0, c: c.baseAddress!, ldc: n)
                            } else {
                                F32GEMM.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a.baseAddress!,
                                             lda: k, b: b.baseAddress!, ldb: n, beta: 0, c: c.baseAddress!, ldc: n)
                            }
                            let elapsed = DispatchTime.now().uptimeNanoseconds - start
                            if bf16 { best.bf16 = min(best.bf16, elapsed) } else { best.fp32 = min(best.fp32, elapsed) }
                        }
                    }
                }
            }
        }
        return Double(best.fp32) / Double(max(best.bf16, 1))
    }
}
