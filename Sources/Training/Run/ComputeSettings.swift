// The compute settings a run takes from its config's train section: how many threads the
// kernels use and how GEMMs multiply (PyTorch's set_float32_matmul_precision). Set once,
// before the model runs, by `train`, `bench` and `eval`.

import Foundation
import Tensor

public enum ComputeSettings {
    /// Where a note goes when a setting cannot take effect: standard error unless told otherwise.
    public typealias Log = (String) -> Void
    public static let standardError: Log = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// Applies `train.threads` (all cores when absent) and `train.matmul_precision`.
    public static func apply(_ train: TrainSection, log: Log = standardError) {
        Parallel.setThreadCount(train.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        apply(precision: MatmulPrecision(rawValue: train.matmulPrecision) ?? .highest, log: log)
    }

    /// The bf16 kernel must beat fp32 by this much for "medium" to use it (measured: about 2× on
    /// Zen 4, 0.6–0.75× on Sapphire Rapids, so the choice is far from the line on both).
    public static let bf16RequiredSpeedup = 1.15

    /// Sets the GEMM precision. "medium" is a permission to multiply in bf16, as PyTorch treats
    /// it, not a demand: GEMMs stay in fp32, with a one-line note saying why, on a CPU without
    /// AVX-512 BF16 or where its bf16 kernel measures no faster than fp32.
    public static func apply(precision: MatmulPrecision, log: Log = standardError) {
        BLAS.precision = precision
        guard precision == .medium else { return }
        guard BLAS.supportsBFloat16 else {
            log("note: matmul_precision \"medium\" needs a CPU with AVX-512 BF16, which this one lacks; GEMMs run in fp32")
            return
        }
        let speedup = BF16GEMM.measuredSpeedup()
        if speedup < bf16RequiredSpeedup {
            BLAS.precision = .highest
            log("note: matmul_precision \"medium\": this CPU's bf16 GEMM runs at \(String(format: "%.2f", speedup))× its fp32 GEMM, no faster; GEMMs run in fp32")
        }
    }
}
