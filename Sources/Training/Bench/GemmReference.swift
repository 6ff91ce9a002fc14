// `vittrain bench --gemm`: how fast this machine multiplies 1024×1024 matrices in Float32, through
// cblas_sgemm with OpenBLAS's own threads and through our BLAS.sgemm (split over our threads),
// the ceiling against which the model's achieved GFLOP/s is read.

import Foundation

public struct GemmReferenceResult: Codable {
    public var size: Int
    public var threads: Int
    public var blasCore: String
    /// The machine's ceiling: the better of the two ways below.
    public var gemmGflops: Double
    /// Best of the repeats, cblas_sgemm with OpenBLAS threaded.
    public var openblasThreadedGflops: Double
    /// Best of the repeats, BLAS.sgemm as the model's kernels call it.
    public var splitGemmGflops: Double

    public var text: String {
        String(format: "sgemm %d³, %d threads, OpenBLAS core %@: cblas_sgemm %.1f GFLOP/s (OpenBLAS threads), %.1f GFLOP/s (split over our threads)",
               size, threads, blasCore, openblasThreadedGflops, splitGemmGflops)
    }
}

public enum GemmReference {
    /// Times `repeats` products of two random size×size matrices each way and keeps the best
    /// (the best, not the median, because other processes on the machine only ever slow it down).
    public static func run(size: Int = 1024, repeats: Int = 30) -> GemmReferenceResult {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.randn([size, size], rng: &rng).data
        let b = Tensor.randn([size, size], rng: &rng).data
        var c = [Float](repeating: 0, count: size * size)
        let flops = 2 * Double(size) * Double(size) * Double(size)
        var reference = 0.0, split = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for _ in 0...repeats {
                        let start = Date()
                        BLAS.referenceSgemm(openBLASThreads: Parallel.threadCount, m: size, n: size, k: size,
                                            a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                        reference = max(reference, flops / Date().timeIntervalSince(start) / 1e9)
                        let start2 = Date()
                        BLAS.sgemm(transposeA: false, transposeB: false, m: size, n: size, k: size,
                                   a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                        split = max(split, flops / Date().timeIntervalSince(start2) / 1e9)
                    }
                }
            }
        }
        return GemmReferenceResult(size: size, threads: Parallel.threadCount, blasCore: BLAS.coreName,
                                   gemmGflops: max(reference, split), openblasThreadedGflops: reference,
                                   splitGemmGflops: split)
    }
}
