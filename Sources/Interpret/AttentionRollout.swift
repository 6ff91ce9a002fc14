// Attention rollout (Abnar & Zuidema 2020): fuse the heads of each layer, optionally discard the
// weakest patch–patch links, add the identity for the residual path, renormalise rows, and
// multiply the layers together. Legend: B images, H heads, T = P + N tokens, P prefix tokens first.

import Foundation
import Models
import Tensor

/// How the heads of one layer are fused into a single [T, T] map before rollout.
public enum HeadFusion: String, CaseIterable, Codable, Sendable {
    case mean, max, min
}

/// Attention rollout over the captured layers.
///
/// Per layer ℓ (from `startLayer` up): Aℓ = fuse over heads; with `discardRatio` r > 0 the
/// ⌊r·N²⌋ smallest patch→patch entries of Aℓ are set to 0 per image (entries in a prefix token's row
/// or column are never discarded, so the class token keeps its links; jacobgil/vit-explain ranks all
/// T² entries and only spares entry (0, 0)); Âℓ = rownorm(Aℓ + I); R = Âℓ · R with R₀ = I.
/// The class token's row of R over the patches is the rollout map; for models without a class
/// token, the mean of the patch rows (TokenLayout.classIndex).
public struct AttentionRollout: Sendable {
    public let fusion: HeadFusion
    public let discardRatio: Double
    public let startLayer: Int

    /// - Throws: `InterpretError` if `discardRatio` is outside [0, 1) or `startLayer` is negative.
    public init(fusion: HeadFusion = .mean, discardRatio: Double = 0, startLayer: Int = 0) throws {
        guard discardRatio >= 0, discardRatio < 1 else {
            throw InterpretError("rollout discard ratio \(discardRatio): expected a value in [0, 1)")
        }
        guard startLayer >= 0 else {
            throw InterpretError("rollout start layer \(startLayer): expected 0 or more")
        }
        self.init(checked: fusion, discardRatio, startLayer)
    }

    private init(checked fusion: HeadFusion, _ discardRatio: Double, _ startLayer: Int) {
        self.fusion = fusion
        self.discardRatio = discardRatio
        self.startLayer = startLayer
    }

    /// Mean fusion, no discarding, all layers: the plain Abnar & Zuidema rollout.
    public static let standard = AttentionRollout(checked: .mean, 0, 0)

    /// The rollout map over the patches: layers × `[B, H, T, T]` → `[B, N]`.
    /// Computed as a row vector qᵀ·Â_L⋯Â_s from the top layer down (q = e_class, or the mean of the
    /// patch rows), so it costs O(L·T²) per image.
    public func clsMap(_ attentions: [Tensor], layout given: TokenLayout? = nil) throws -> Tensor {
        let (b, t, layers) = try validate(attentions)
        let layout = AttentionMeasures.layout(given, tokens: t)
        guard layout.tokenCount == t else {
            throw InterpretError("rollout: the maps have \(t) tokens, the model's layout \(layout.tokenCount)")
        }
        let n = layout.patchCount, first = layout.prefixCount
        var out = [Float](repeating: 0, count: b * n)
        out.withUnsafeMutableBufferPointer { o in
            Parallel.forEach(b) { image in
                var v = [Double](repeating: 0, count: t)
                if let c = layout.classIndex { v[c] = 1 } else { for i in layout.patchRange { v[i] = 1 / Double(n) } }
                for layer in layers.reversed() {
                    let a = normalisedLayer(attentions[layer], image: image, prefixTokens: first)
                    var next = [Double](repeating: 0, count: t)
                    for i in 0..<t where v[i] != 0 {
                        let vi = v[i]
                        for j in 0..<t { next[j] += vi * a[i * t + j] }
                    }
                    v = next
                }
                for j in 0..<n { o[image * n + j] = Float(v[first + j]) }
            }
        }
        return Tensor(shape: [b, n], data: out)
    }

    /// The full rollout matrix R: layers × `[B, H, T, T]` → `[B, T, T]` (row i: how token i's final
    /// representation draws on the input tokens).
    public func matrix(_ attentions: [Tensor], prefixTokens: Int = 1) throws -> Tensor {
        let (b, t, layers) = try validate(attentions)
        var out = [Float](repeating: 0, count: b * t * t)
        out.withUnsafeMutableBufferPointer { o in
            Parallel.forEach(b) { image in
                var r = [Double](repeating: 0, count: t * t)
                for i in 0..<t { r[i * t + i] = 1 }
                for layer in layers {
                    let a = normalisedLayer(attentions[layer], image: image, prefixTokens: prefixTokens)
                    var next = [Double](repeating: 0, count: t * t)
                    for i in 0..<t {
                        for k in 0..<t where a[i * t + k] != 0 {
                            let aik = a[i * t + k]
                            for j in 0..<t { next[i * t + j] += aik * r[k * t + j] }
                        }
                    }
                    r = next
                }
                for i in 0..<(t * t) { o[image * t * t + i] = Float(r[i]) }
            }
        }
        return Tensor(shape: [b, t, t], data: out)
    }

    /// Âℓ for one image: fused heads, weakest patch links discarded, identity added, rows renormalised.
    func normalisedLayer(_ attention: Tensor, image: Int, prefixTokens: Int) -> [Double] {
        let h = attention.shape[1], t = attention.shape[3]
        var fused = [Double](repeating: 0, count: t * t)
        attention.data.withUnsafeBufferPointer { a in
            let base = a.baseAddress! + image * h * t * t
            for i in 0..<(t * t) {
                var value = Double(base[i])
                for head in 1..<max(h, 1) {
                    let x = Double(base[head * t * t + i])
                    switch fusion {
                    case .mean: value += x
                    case .max: value = Swift.max(value, x)
                    case .min: value = Swift.min(value, x)
                    }
                }
                fused[i] = fusion == .mean ? value / Double(h) : value
            }
        }
        let patchEntries = (t - prefixTokens) * (t - prefixTokens)
        let discard = Int(discardRatio * Double(patchEntries))
        if discard > 0 {
            var indices = [Int]()
            indices.reserveCapacity(patchEntries)
            for i in prefixTokens..<t { for j in prefixTokens..<t { indices.append(i * t + j) } }
            indices.sort { fused[$0] < fused[$1] || (fused[$0] == fused[$1] && $0 < $1) }
            for index in indices.prefix(discard) { fused[index] = 0 }
        }
        for i in 0..<t {
            fused[i * t + i] += 1
            var sum = 0.0
            for j in 0..<t { sum += fused[i * t + j] }
            for j in 0..<t { fused[i * t + j] /= sum }
        }
        return fused
    }

    private func validate(_ attentions: [Tensor]) throws -> (Int, Int, Range<Int>) {
        guard let first = attentions.first else {
            throw InterpretError("rollout needs the attention maps of at least one layer, got none")
        }
        guard startLayer < attentions.count else {
            throw InterpretError("rollout start layer \(startLayer): the model has \(attentions.count) layers")
        }
        for (layer, a) in attentions.enumerated() {
            guard a.rank == 4, a.shape[2] == a.shape[3], a.shape[3] >= 2, a.shape == first.shape else {
                throw InterpretError("rollout layer \(layer): expected full maps [B, H, T, T] like \(first.shape), got \(a.shape)")
            }
        }
        return (first.shape[0], first.shape[3], startLayer..<attentions.count)
    }
}
