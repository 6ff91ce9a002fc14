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

    /// Sets the GEMM precision. "medium" needs AVX-512 BF16; elsewhere GEMMs stay in fp32
    /// (as PyTorch, which also treats the setting as a permission, not a demand) and a
    /// one-line note says so.
    public static func apply(precision: MatmulPrecision, log: Log = standardError) {
        BLAS.precision = precision
        guard precision == .medium, !BLAS.supportsBFloat16 else { return }
        log("note: matmul_precision \"medium\" needs a CPU with AVX-512 BF16, which this one lacks; GEMMs run in fp32")
    }
}
