// The single doorway to matrix products. Transposes are passed as flags, never materialised.
// A large GEMM is split here into one band of C per thread (rows, or columns when N is the long
// side) and each band runs single-threaded, so no library's spinning workers compete with our
// own parallel loops for the cores. Which kernel runs a band: with `precision = .medium` the bf16
// kernel (BF16GEMM); otherwise, at the AVX2 or AVX512 CPU level, our fp32 kernel (F32GEMM, AVX2+FMA
// or AVX-512F, 1.1–1.16× OpenBLAS on ViT shapes); else cblas_sgemm (OpenBLAS, kept at one thread). Products under
// 2^16 multiply-adds and the per-head attention products always go to OpenBLAS, whose small-
// matrix kernels need no packing.

import CBLAS
import Dispatch

/// How fp32 matrix products are computed, as PyTorch's `torch.set_float32_matmul_precision`:
/// `.highest` multiplies in fp32; `.medium` rounds both inputs to bfloat16 (8 significant bits)
/// and accumulates the products in fp32, at about twice the speed on CPUs with AVX-512 BF16.
public enum MatmulPrecision: String, CaseIterable, Sendable {
    case highest, medium
}

public enum BLAS {
    /// The precision of `sgemm`'s products. Set once before the model runs (ComputeSettings);
    /// `.medium` takes effect only where `supportsBFloat16`.
    nonisolated(unsafe) public static var precision = MatmulPrecision.highest

    /// Whether this CPU has the bf16 dot-product instructions `.medium` uses.
    public static var supportsBFloat16: Bool { BF16GEMM.isSupported }

    /// Whether `sgemm` currently multiplies in bf16.
    @inline(__always)
    static var usesBFloat16: Bool { precision == .medium && BF16GEMM.isSupported }

    /// The precision products really use here (`.medium` falls back to `.highest` without BF16).
    public static var effectivePrecision: MatmulPrecision { usesBFloat16 ? .medium : .highest }

    /// Products with at least this many multiply-adds are split across our threads.
    static let splitThreshold = 1 << 21
    /// Below this many multiply-adds our kernels' packing costs more than it saves (the bf16
    /// kernel breaks even with OpenBLAS at 128×10×192), so such products go to OpenBLAS.
    static let ownKernelThreshold = 1 << 16

    /// The kernel that runs one band of a product.
    enum Kernel { case bf16, f32, openBLAS }

    /// The kernel for an m×n×k product under the current precision.
    @inline(__always)
    static func kernel(m: Int, n: Int, k: Int) -> Kernel {
        guard m * n * k >= ownKernelThreshold else { return .openBLAS }
        if usesBFloat16 { return .bf16 }
        return F32GEMM.isAccelerated ? .f32 : .openBLAS
    }

    /// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major and contiguous, then `epilogue`
    /// (bias, residual, GELU) if given, applied in our kernels' store.
    /// op(A) is M×K (A is K×M when `transposeA`), op(B) is K×N (B is N×K when `transposeB`).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, epilogue: GEMMEpilogue? = nil) {
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let threads = Parallel.threadCount
        let kernel = kernel(m: m, n: n, k: k)
        if threads > 1 && m * n * k >= splitThreshold && !Parallel.isInsideParallelRegion {
            split(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, threads: threads, kernel: kernel,
                  epilogue: epilogue)
            return
        }
        product(kernel, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n, epilogue: epilogue)
    }

    /// The same product on sub-matrices with explicit leading dimensions (row strides), unsplit:
    /// for kernels that run one small product per thread (an attention head reading its slice
    /// of the packed qkv in place).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        raw(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One band of C per thread. Rows when M ≥ N (each band reads its own rows of op(A)),
    /// otherwise columns (each band reads its own columns of op(B)); bands are multiples of 16
    /// so each starts on a vector boundary.
    private static func split(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                              beta: Float, c: UnsafeMutablePointer<Float>, threads: Int, kernel: Kernel,
                              epilogue: GEMMEpilogue?) {
        let byRows = m >= n
        let extent = byRows ? m : n
        let bands = min(threads, max(1, extent / 16))
        let step = ((extent + bands - 1) / bands + 15) / 16 * 16
        Parallel.forEach(bands) { band in
            let start = band * step, end = min(extent, start + step)
            guard start < end else { return }
            if byRows {
                let aBand = transposeA ? a + start : a + start * lda
                product(kernel, transposeA: transposeA, transposeB: transposeB, m: end - start, n: n, k: k,
                        alpha: alpha, a: aBand, lda: lda, b: b, ldb: ldb, beta: beta, c: c + start * n, ldc: n,
                        epilogue: epilogue?.offset(row: start, column: 0))
            } else {
                let bBand = transposeB ? b + start * ldb : b + start
                product(kernel, transposeA: transposeA, transposeB: transposeB, m: m, n: end - start, k: k,
                        alpha: alpha, a: a, lda: lda, b: bBand, ldb: ldb, beta: beta, c: c + start, ldc: n,
                        epilogue: epilogue?.offset(row: 0, column: start))
            }
        }
    }

    /// One unsplit product on the given kernel, with its epilogue (a pass of its own after OpenBLAS).
    @inline(__always)
    private static func product(_ kernel: Kernel, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue?) {
        switch kernel {
        case .bf16:
            BF16GEMM.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, epilogue: epilogue)
        case .f32:
            F32GEMM.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                         a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, epilogue: epilogue)
        case .openBLAS:
            raw(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            epilogue?.apply(to: c, ldc: ldc, m: m, n: n)
        }
    }

    @inline(__always)
    private static func raw(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Calls cblas_sgemm once, unsplit, with OpenBLAS's own threading set to `openBLASThreads`
    /// for the call (then back to one): the machine's reference GEMM speed for `vittrain bench --gemm`.
    public static func referenceSgemm(openBLASThreads: Int, m: Int, n: Int, k: Int,
                                      a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>) {
        openblas_set_num_threads(Int32(openBLASThreads))
        defer { openblas_set_num_threads(1) }
        raw(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
            a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
    }

    /// Which kernel runs the model's large products, for `vittrain bench`.
    public static var largeProductKernel: String {
        switch kernel(m: 1024, n: 1024, k: 1024) {
        case .bf16: return "vittrain bf16 (\(BF16GEMM.kernelName))"
        case .f32: return "vittrain fp32 (\(F32GEMM.kernelName))"
        case .openBLAS: return "OpenBLAS \(coreName)"
        }
    }

    /// The name of the OpenBLAS kernel set in use (for `vittrain bench`).
    public static var coreName: String {
        String(cString: openblas_get_corename())
    }
}
