// The compute settings a run takes from its config's train section: how many threads the
// kernels use and how GEMMs multiply (PyTorch's set_float32_matmul_precision). Set once,
// before the model runs, by `train`, `bench` and `eval`.

import Foundation
import Tensor

public enum ComputeSettings {
    /// Applies `train.threads` (all cores when absent) and `train.matmul_precision`.
    /// Returns a one-line note when the precision asked for cannot take effect here.
    @discardableResult
    public static func apply(_ train: TrainSection) -> String? {
        Parallel.setThreadCount(train.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        return apply(precision: MatmulPrecision(rawValue: train.matmulPrecision) ?? .highest)
    }

    /// Sets the GEMM precision. "medium" needs AVX-512 BF16; elsewhere GEMMs stay in fp32
    /// (as PyTorch, which also treats the setting as a permission, not a demand) and the
    /// returned note says so.
    @discardableResult
    public static func apply(precision: MatmulPrecision) -> String? {
        BLAS.precision = precision
        guard precision == .medium, !BLAS.supportsBFloat16 else { return nil }
        return "note: matmul_precision \"medium\" needs a CPU with AVX-512 BF16, which this one lacks; GEMMs run in fp32"
    }
}
