// `vittrain bench --gemm`: how fast this machine multiplies 1024×1024 matrices in Float32, through
// cblas_sgemm with OpenBLAS's own threads and through our BLAS.sgemm (split over our threads, on
// our AVX-512F kernel where the CPU has one),
// the ceiling against which the model's achieved GFLOP/s is read; and, where the CPU has
// AVX-512 BF16, the same product through the bf16 kernel (matmul_precision "medium"). Every figure
// is also given as a share of the machine's FMA peak: threads × one core's measured FMA rate.

import Foundation

public struct GemmReferenceResult: Codable {
    public var size: Int
    public var threads: Int
    public var blasCore: String
    /// The machine's ceiling: the better of the two ways below.
    public var gemmGflops: Double
    /// Best of the repeats, cblas_sgemm with OpenBLAS threaded.
    public var openblasThreadedGflops: Double
    /// Best of the repeats, BLAS.sgemm in fp32 as the model's kernels call it.
    public var splitGemmGflops: Double
    /// The kernel behind `splitGemmGflops`.
    public var fp32Kernel: String
    /// Best of the repeats, BLAS.sgemm with bf16 inputs; nil without AVX-512 BF16.
    public var bf16GemmGflops: Double?
    /// The CPU level in use and what the CPU has.
    public var cpu: String
    /// One core's fp32 FMA rate, measured at the current level (clock × FLOP per cycle).
    public var coreFmaGflops: Double
    /// The measured core clock, MHz (/proc/cpuinfo's where it cannot be measured; nil where
    /// unknown), and the FLOP per cycle it implies.
    public var clockMhz: Double?
    public var flopsPerCycle: Double?
    /// threads × coreFmaGflops: the physical limit for fp32 on these threads.
    public var fmaPeakGflops: Double

    public var text: String {
        func share(_ gflops: Double) -> String { String(format: "%.0f%% of peak", 100 * gflops / max(fmaPeakGflops, 1e-9)) }
        let clock = clockMhz.map { String(format: "%.0f MHz × %.1f FLOP/cycle", $0, flopsPerCycle ?? 0) } ?? "clock unknown"
        var lines = [
            "CPU: \(cpu)",
            String(format: "FMA peak: %d cores × %.1f GFLOP/s per core (%@) = %.1f GFLOP/s", threads, coreFmaGflops,
                   clock, fmaPeakGflops),
            String(format: "sgemm %d³, %d threads: cblas_sgemm %.1f GFLOP/s = %@ (OpenBLAS %@, its own threads), BLAS.sgemm %.1f GFLOP/s = %@ (%@, split over our threads)",
                   size, threads, openblasThreadedGflops, share(openblasThreadedGflops), blasCore, splitGemmGflops,
                   share(splitGemmGflops), fp32Kernel),
        ]
        if let bf16GemmGflops {
            lines.append(String(format: "bf16 inputs (matmul_precision medium): %.1f GFLOP/s = %.2f× fp32 = %@ (fp32 FMA peak)",
                                bf16GemmGflops, bf16GemmGflops / max(gemmGflops, 1e-9), share(bf16GemmGflops)))
        }
        return lines.joined(separator: "\n")
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
        var reference = 0.0, split = 0.0, bf16 = 0.0
        let precision = BLAS.precision
        defer { BLAS.precision = precision }
        BLAS.precision = .highest
        let fp32Kernel = BLAS.largeProductKernel
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    func rate(_ body: () -> Void) -> Double {   // GFLOP/s of one run of body
                        let start = Date()
                        body()
                        return flops / Date().timeIntervalSince(start) / 1e9
                    }
                    for _ in 0...repeats {
                        reference = max(reference, rate {
                            BLAS.referenceSgemm(openBLASThreads: Parallel.threadCount, m: size, n: size, k: size,
                                                a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                        })
                        for p in BLAS.supportsBFloat16 ? [MatmulPrecision.highest, .medium] : [.highest] {
                            BLAS.precision = p
                            let gflops = rate {
                                BLAS.sgemm(transposeA: false, transposeB: false, m: size, n: size, k: size,
                                           a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                            }
                            if p == .highest { split = max(split, gflops) } else { bf16 = max(bf16, gflops) }
                        }
                    }
                }
            }
        }
        let core = KernelReport.coreFMAGflops(), clock = KernelReport.clockMHz()
        return GemmReferenceResult(size: size, threads: Parallel.threadCount, blasCore: BLAS.coreName,
                                   gemmGflops: max(reference, split), openblasThreadedGflops: reference,
                                   splitGemmGflops: split, fp32Kernel: fp32Kernel, bf16GemmGflops: BLAS.supportsBFloat16 ? bf16 : nil,
                                   cpu: KernelReport.cpuFeatures, coreFmaGflops: core, clockMhz: clock,
                                   flopsPerCycle: clock.map { core * 1000 / $0 }, fmaPeakGflops: core * Double(Parallel.threadCount))
    }
}
