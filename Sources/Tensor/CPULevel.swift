// The instruction-set level the C kernels run at (CKernels' runtime dispatch): detected from the
// CPU, lowered by VITTRAIN_CPU=baseline|avx2|avx512, or set here by tests that compare levels.
// Every level works on every CPU that has it; baseline is plain C (SSE2 on x86-64, NEON on arm64).

import CKernels

public enum CPULevel: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// What this CPU and OS support.
    public static var detected: CPULevel { CPULevel(rawValue: Int(vt_cpu_detected_level())) ?? .baseline }

    /// The level the kernels run at. Setting it clamps to `detected`; set it only while no kernel
    /// runs (tests, benchmarks).
    public static var current: CPULevel {
        get { CPULevel(rawValue: Int(vt_cpu_level())) ?? .baseline }
        set { _ = vt_cpu_set_level(Int32(newValue.rawValue)) }
    }

    /// Runs `body` with the kernels at `level` (clamped to `detected`), then restores the level.
    public static func with<T>(_ level: CPULevel, _ body: () throws -> T) rethrows -> T {
        let saved = current
        current = level
        defer { current = saved }
        return try body()
    }

    /// The levels this machine can run, lowest first.
    public static var available: [CPULevel] { allCases.filter { $0 <= detected } }

    /// A problem with the VITTRAIN_CPU environment variable, as one line, or nil when it is unset,
    /// "auto" or a level this CPU has.
    public static var environmentProblem: String? {
        switch vt_cpu_requested_level() {
        case -2: return "VITTRAIN_CPU must be baseline, avx2, avx512 or auto"
        case let raw where raw > vt_cpu_detected_level():
            let name = CPULevel(rawValue: Int(raw))?.description ?? "\(raw)"
            return "VITTRAIN_CPU=\(name) asks for more than this CPU supports (\(detected))"
        default: return nil
        }
    }

    public var description: String { String(cString: vt_cpu_level_name(Int32(rawValue))) }

    public static func < (a: CPULevel, b: CPULevel) -> Bool { a.rawValue < b.rawValue }
}
