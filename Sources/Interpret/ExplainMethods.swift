// The explanation methods of `vittrain explain` and `eval --dump-attention --method …`, and the
// maps each produces. Layers are numbered from 0 everywhere (files, HDF5, page, grid labels).
// Legend: L layers, B images, H heads, N patches.

import Foundation
import Models
import Tensor

/// One explanation method, by its `--method` name.
public enum ExplainMethod: String, CaseIterable, Sendable {
    /// Per-head CLS maps of every layer and their head mean / max / min.
    case attention
    /// Attention rollout (Abnar & Zuidema 2020) with the chosen fusion, discard ratio and start layer.
    case rollout
    /// DINO-style masks: per head of the last layer, the top patches holding `keepMass` of the CLS attention.
    case dino
    /// Class-specific relevance, Chefer, Gur & Wolf 2021.
    case chefer2021

    /// Parses a comma list ("attention,rollout"), naming a bad entry and the choices.
    public static func parseList(_ text: String) throws -> [ExplainMethod] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw InterpretError("--method: expected a comma list of \(allCases.map(\.rawValue).joined(separator: ", "))") }
        var result: [ExplainMethod] = []
        for name in names {
            guard let method = ExplainMethod(rawValue: name) else {
                throw InterpretError("--method \(name): unknown method; expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !result.contains(method) { result.append(method) }
        }
        return result
    }
}

/// A map per image under one name: shown on the page, stored in attention.h5 and scored.
public struct MethodMap {
    /// Dataset name in attention.h5 and file stem of the overlays ("chefer2021", "dino_mask", …).
    public let name: String
    /// What the page says about it.
    public let caption: String
    /// `[B, N]` saliency over the patches (for DINO, how many heads keep each patch).
    public let maps: Tensor
    /// The exact array to store when it differs from `maps` (DINO's per-head masks `[B, H, N]`).
    public let stored: Tensor?

    public init(name: String, caption: String, maps: Tensor, stored: Tensor? = nil) {
        self.name = name
        self.caption = caption
        self.maps = maps
        self.stored = stored
    }
}

public enum DinoMask {
    /// visualize_attention.py's threshold: per head, sort the CLS→patch attention, normalise it to
    /// sum 1 and keep the patches whose cumulative share (largest first) is within `keepMass`.
    /// `cls` is one layer's `[B, H, N]`; returns 0/1 masks `[B, H, N]`.
    public static func masks(_ cls: Tensor, keepMass: Double) throws -> Tensor {
        guard keepMass > 0, keepMass <= 1 else { throw InterpretError("--keep-mass \(keepMass): expected a value in (0, 1]") }
        let (b, h, n) = (cls.shape[0], cls.shape[1], cls.shape[2])
        var out = [Float](repeating: 0, count: b * h * n)
        for item in 0..<(b * h) {
            let row = Array(cls.data[(item * n)..<((item + 1) * n)])
            let total = row.reduce(0.0) { $0 + Double($1) }
            // Ascending sort as DINO does; a patch is kept when the mass below it exceeds 1 − keepMass.
            let ascending = row.indices.sorted { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) }
            var cumulative = 0.0
            for index in ascending {
                cumulative += Double(row[index]) / max(total, .leastNormalMagnitude)
                if cumulative > 1 - keepMass { out[item * n + index] = 1 }
            }
        }
        return Tensor(shape: [b, h, n], data: out)
    }
}

/// The settings of all methods.
public struct ExplainSettings {
    public var methods: [ExplainMethod]
    public var rollout: AttentionRollout
    public var keepMass: Double
    /// The class to explain per image for chefer2021 (nil: the predicted class).
    public var targetClass: Int?
    /// One colour scale per image for its head maps (false: each map its own, `--scale per-map`).
    public var sharedScale = true

    public init(methods: [ExplainMethod] = ExplainMethod.allCases, rollout: AttentionRollout = .standard,
                keepMass: Double = 0.6, targetClass: Int? = nil) {
        self.methods = methods
        self.rollout = rollout
        self.keepMass = keepMass
        self.targetClass = targetClass
    }

    /// The maps beyond the dump's own (CLS maps, head mean, rollout) for `images` explained for
    /// `targets` (one class per image), in `methods` order. chefer2021 reuses `relevance` when it
    /// was computed for the same targets in the pass that gave `snapshot`.
    public func extraMaps(model: VisionTransformer, images: Tensor, snapshot: AttentionSnapshot,
                          targets: [Int], names: [String],
                          relevance: (classes: [Int], maps: Tensor)? = nil) throws -> [MethodMap] {
        var result: [MethodMap] = []
        let (l, b, h, n) = (snapshot.layers, snapshot.images, snapshot.heads, snapshot.patches)
        for method in methods {
            switch method {
            case .attention:
                // Head max and min of the CLS maps, [L, B, N], beside the dump's head mean.
                var maxima = [Float](repeating: 0, count: l * b * n), minima = maxima
                for layer in 0..<l { for image in 0..<b { for p in 0..<n {
                    var hi = -Float.infinity, lo = Float.infinity
                    for head in 0..<h {
                        let v = snapshot.cls.data[((layer * b + image) * h + head) * n + p]
                        hi = max(hi, v); lo = min(lo, v)
                    }
                    maxima[(layer * b + image) * n + p] = hi
                    minima[(layer * b + image) * n + p] = lo
                } } }
                let last = (l - 1) * b * n
                result.append(MethodMap(name: "head_max", caption: "last layer (\(l - 1)), head max",
                                        maps: Tensor(shape: [b, n], data: Array(maxima[last...])),
                                        stored: Tensor(shape: [l, b, n], data: maxima)))
                result.append(MethodMap(name: "head_min", caption: "last layer (\(l - 1)), head min",
                                        maps: Tensor(shape: [b, n], data: Array(minima[last...])),
                                        stored: Tensor(shape: [l, b, n], data: minima)))
            case .rollout:
                continue   // the dump's own rollout map, drawn with these settings
            case .dino:
                let lastCLS = Tensor(shape: [b, h, n], data: Array(snapshot.cls.data[((l - 1) * b * h * n)...]))
                let masks = try DinoMask.masks(lastCLS, keepMass: keepMass)
                var counts = [Float](repeating: 0, count: b * n)
                for image in 0..<b { for head in 0..<h { for p in 0..<n {
                    counts[image * n + p] += masks.data[(image * h + head) * n + p]
                } } }
                result.append(MethodMap(name: "dino_mask", caption: "DINO masks, last layer, keep \(keepMass) of the mass (heads keeping each patch)",
                                        maps: Tensor(shape: [b, n], data: counts), stored: masks))
            case .chefer2021:
                let maps = try relevance.flatMap { $0.classes == targets ? $0.maps : nil }
                    ?? ClassRelevance.chefer2021(model: model, images: images, classes: targets)
                let caption = "chefer2021 relevance for " + zip(names, targets).map { "\($0): \($1)" }.joined(separator: ", ")
                result.append(MethodMap(name: "chefer2021", caption: caption, maps: maps))
            }
        }
        return result
    }
}
