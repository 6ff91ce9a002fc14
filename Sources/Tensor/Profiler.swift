// A lightweight per-op-family wall-clock profiler for `vittrain bench`: ops wrap their forward in
// `Profiler.measure`, `record` tags the output with the family, and `backward()` times each
// node's closure under that tag. Off by default; when off the cost is one branch per op.

import Foundation

/// The op families of the step-time breakdown.
public enum OpFamily: Int, CaseIterable, Codable, Sendable {
    case gemm, attention, norm, elementwise, optimizer, dataWait

    public var label: String {
        switch self {
        case .gemm: return "GEMM"
        case .attention: return "attention"
        case .norm: return "norm"
        case .elementwise: return "elementwise"
        case .optimizer: return "optimizer"
        case .dataWait: return "data wait"
        }
    }
}

/// Accumulated wall time per op family, on the main thread only (where the model runs);
/// calls from other threads (data loader workers) are not counted.
public enum Profiler {
    /// Whether ops are timed. Set by the benchmark; leave off otherwise.
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) private static var seconds = [Double](repeating: 0, count: OpFamily.allCases.count)
    /// The family of the outermost measured op in progress (inner ops count toward it).
    nonisolated(unsafe) static var current: OpFamily?

    /// Runs `body`, adding its wall time to `family` unless an enclosing op is already timed.
    @inline(__always)
    public static func measure<R>(_ family: OpFamily, _ body: () throws -> R) rethrows -> R {
        guard isEnabled else { return try body() }
        return try timed(family, body)
    }

    private static func timed<R>(_ family: OpFamily, _ body: () throws -> R) rethrows -> R {
        guard current == nil, Thread.isMainThread else { return try body() }
        current = family
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            seconds[family.rawValue] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            current = nil
        }
        return try body()
    }

    /// Adds an externally measured duration (for example the wait for the next batch).
    public static func add(_ family: OpFamily, seconds value: Double) {
        guard isEnabled else { return }
        seconds[family.rawValue] += value
    }

    /// The accumulated seconds per family since the last `reset()`.
    public static var totals: [OpFamily: Double] {
        Dictionary(uniqueKeysWithValues: OpFamily.allCases.map { ($0, seconds[$0.rawValue]) })
    }

    public static func reset() {
        seconds = [Double](repeating: 0, count: OpFamily.allCases.count)
    }

    /// The family a newly recorded node is tagged with: the op being timed, else elementwise.
    @inline(__always)
    static var recordingFamily: OpFamily { current ?? .elementwise }
}
