// What `vittrain bench` says about the machine and the kernels: the CPU level in use and what was
// detected, the kernel each op family runs, and the FMA peak (cores × one core's measured
// multiply-add rate, with the measured clock to show the FLOP per cycle behind it).

import CKernels
import Foundation

public enum KernelReport {
    /// e.g. "avx2 in use (CPU: avx512 with AVX512_BF16 and AMX-BF16; VITTRAIN_CPU=avx2)".
    public static var cpuFeatures: String {
        var detected = CPULevel.detected.description
        if vt_cpu_detected_avx512_bf16() != 0 {
            detected += " with AVX512_BF16" + (vt_cpu_detected_amx_bf16() != 0 ? " and AMX-BF16" : "")
        }
        let request = ProcessInfo.processInfo.environment["VITTRAIN_CPU"].map { "; VITTRAIN_CPU=\($0)" } ?? ""
        return "\(CPULevel.current) in use (CPU: \(detected)\(request))"
    }

    /// The kernel behind each op family the profiler times, by its label.
    public static var kernelsByFamily: [String: String] {
        let rows = "C row kernel, \(CPULevel.current)"
        return [
            OpFamily.gemm.label: BLAS.largeProductKernel + "; bias, residual, GELU and GELU′ in the store: " + rows,
            OpFamily.attention.label: AttentionKernel.effective == .fused
                ? "per (batch, head): fused scores, softmax and P·v, C kernel, \(CPULevel.current)"
                : "per (batch, head): OpenBLAS \(BLAS.coreName) small GEMMs, softmax: " + rows,
            OpFamily.norm.label: "LayerNorm: " + rows,
            OpFamily.elementwise.label: "GELU: " + rows + "; the rest: Swift loops",
        ]
    }

    /// One core's fp32 multiply-add rate (GFLOP/s) at the current level, best over `duration` s.
    public static func coreFMAGflops(duration: Double = 0.3) -> Double { vt_fma_peak_gflops(duration) }

    /// The core clock in MHz: measured (a chain of dependent adds, which sees boost clocks that
    /// /proc/cpuinfo's nominal "cpu MHz" does not), else /proc/cpuinfo's, else nil.
    public static func clockMHz(duration: Double = 0.2) -> Double? {
        let measured = vt_measure_clock_mhz(duration)
        return measured > 0 ? measured : cpuinfoMHz
    }

    /// The first "cpu MHz" of /proc/cpuinfo, nil where there is none.
    public static var cpuinfoMHz: Double? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu MHz") }),
              let value = line.split(separator: ":").last else { return nil }
        return Double(value.trimmingCharacters(in: .whitespaces))
    }
}
