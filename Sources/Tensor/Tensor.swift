// The Tensor type: Float32, any rank, contiguous row-major storage, plus the autodiff fields
// that the tape (Autodiff.swift) fills in. Every op in Ops/ produces a fresh contiguous tensor.

/// A dense Float32 array of any rank, stored contiguously in row-major order.
///
/// A tensor that `requiresGrad` takes part in reverse-mode differentiation: ops that read it
/// record themselves on the tape, and `backward()` on a scalar result accumulates `grad`
/// into every leaf that requires it (as PyTorch's `.grad`).
///
/// ```swift
/// let w = Tensor.randn([3, 2], rng: &rng).requiringGrad()
/// let loss = (x.matmul(w)).sum()
/// loss.backward()
/// print(w.grad!)   // [Float], same count as w
/// ```
public final class Tensor {
    /// The extent of each axis. A scalar has shape `[]` and one element.
    public let shape: [Int]
    /// The elements, row-major. Ops never alias another tensor's storage.
    public var data: [Float]
    /// Whether gradients flow to (and accumulate in) this tensor.
    public var requiresGrad: Bool
    /// The accumulated gradient, same element count as `data`; nil until a backward pass reaches it.
    public var grad: [Float]?
    /// An optional label (parameter path, op name) used in error messages and debugging.
    public var name: String?

    // Tape links: set by `Tensor.record` when grad mode is on and a parent requires grad.
    var parents: [Tensor] = []
    var backwardFunction: ((_ gradOutput: [Float]) -> Void)?
    /// The op family whose backward this node runs, for `Profiler` (set only while it is on).
    var profileFamily: OpFamily = .elementwise

    /// Creates a tensor from its shape and row-major elements.
    public init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor shape \(shape) holds \(shape.reduce(1, *)) elements, but \(data.count) were given")
        self.shape = shape
        self.data = data
        self.requiresGrad = requiresGrad
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) {
        self.init(shape: [], data: [value])
    }

    public var rank: Int { shape.count }
    public var count: Int { data.count }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, got shape \(shape)")
        return data[0]
    }

    /// Whether this tensor was produced by a recorded op (as opposed to a leaf).
    public var isLeaf: Bool { backwardFunction == nil }

    /// Marks the tensor as a trainable leaf and returns it, for chaining.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// A new leaf with the same values, cut off from the tape.
    public func detached() -> Tensor {
        Tensor(shape: shape, data: data)
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() {
        grad = nil
    }

    /// The gradient as a tensor of this tensor's shape.
    public var gradTensor: Tensor? {
        grad.map { Tensor(shape: shape, data: $0) }
    }

    // MARK: - Factories

    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public static func ones(_ shape: [Int]) -> Tensor {
        full(shape, 1)
    }

    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Standard normal samples.
    public static func randn(_ shape: [Int], rng: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { _ in rng.nextNormal() })
    }

    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               rng: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { _ in low + (high - low) * rng.nextFloat() })
    }

    /// Normal(0, std) samples redrawn until inside [-2·std, 2·std]: the truncated normal that
    /// timm's `trunc_normal_(std=.02)` uses (its default cut-offs a=-2, b=2 are absolute, so for
    /// std 0.02 they never bind; we cut at two standard deviations, which is what the ViT
    /// reference JAX code does).
    public static func truncatedNormal(_ shape: [Int], std: Float,
                                       rng: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var z: Float
            repeat { z = rng.nextNormal() } while abs(z) > 2
            values[i] = z * std
        }
        return Tensor(shape: shape, data: values)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = data.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

import Foundation
