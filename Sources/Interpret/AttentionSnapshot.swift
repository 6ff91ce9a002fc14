// Every measure of one forward pass's captured attention, computed together: what the attention
// dump draws and what the per-epoch attention record stores.
// Legend: L layers, B images, H heads, N = gridHeight · gridWidth patches, T = P + N (P prefix
// tokens: class, distillation, registers). "cls" maps are the query row's (TokenLayout.classIndex).

import Models
import Tensor

/// All attention measures for a batch of images, from the full maps of every layer.
public struct AttentionSnapshot {
    public let layers: Int, images: Int, heads: Int
    public let gridHeight: Int, gridWidth: Int
    /// CLS→patch attention `[L, B, H, N]`.
    public let cls: Tensor
    /// Head mean of `cls`: `[L, B, N]`.
    public let headMean: Tensor
    /// Rollout CLS map `[B, N]`.
    public let rollout: Tensor
    /// Entropy (nats) of the CLS row `[L, B, H]`.
    public let clsEntropy: Tensor
    /// Entropy (nats) averaged over all query rows `[L, B, H]`.
    public let rowEntropy: Tensor
    /// Mean attention distance in patches `[L, B, H]`.
    public let distance: Tensor
    /// The share of the query row's attention on register tokens `[L, B, H]` (zeros without registers).
    public let registerShare: Tensor
    /// Where the tokens sit.
    public let layout: TokenLayout

    public var patches: Int { gridHeight * gridWidth }

    /// - Parameter attentions: layer-ordered `[B, H, T, T]` maps (`AttentionMeasures.ordered(output.attentions)`).
    /// - Throws: `InterpretError` when a layer is missing, maps are query-row-only, or T ≠ the layout's.
    public init(attentions: [Tensor], layout: TokenLayout, rollout: AttentionRollout = .standard) throws {
        guard let first = attentions.first else {
            throw InterpretError("attention snapshot: no attention maps were captured")
        }
        let t = layout.tokenCount
        for (layer, a) in attentions.enumerated() {
            guard a.rank == 4, a.shape == [first.shape[0], first.shape[1], t, t] else {
                throw InterpretError("attention snapshot layer \(layer): expected full maps [B, H, \(t), \(t)] for \(layout.prefixCount) prefix tokens and a \(layout.gridHeight)×\(layout.gridWidth) grid, got \(a.shape)")
            }
        }
        let (l, b, h, n) = (attentions.count, first.shape[0], first.shape[1], layout.patchCount)
        (layers, images, heads) = (l, b, h)
        (self.gridHeight, self.gridWidth) = (layout.gridHeight, layout.gridWidth)
        self.layout = layout
        let perLayerCLS = attentions.map { AttentionMeasures.clsToPatch($0, layout: layout) }
        cls = Tensor(shape: [l, b, h, n], data: perLayerCLS.flatMap(\.data))
        headMean = Tensor(shape: [l, b, n], data: perLayerCLS.flatMap { AttentionMeasures.headMean($0).data })
        clsEntropy = Tensor(shape: [l, b, h], data: attentions.flatMap { AttentionMeasures.clsEntropy($0, layout: layout).data })
        rowEntropy = Tensor(shape: [l, b, h], data: attentions.flatMap { AttentionMeasures.meanRowEntropy($0).data })
        distance = Tensor(shape: [l, b, h], data: attentions.flatMap {
            AttentionMeasures.meanAttentionDistance($0, gridHeight: layout.gridHeight, gridWidth: layout.gridWidth,
                                                    prefixTokens: layout.prefixCount).data })
        registerShare = Tensor(shape: [l, b, h], data: attentions.flatMap { AttentionMeasures.registerShare($0, layout: layout).data })
        self.rollout = try rollout.clsMap(attentions, layout: layout)
    }

    /// A plain ViT's snapshot: one class token, then the grid.
    public init(attentions: [Tensor], gridHeight: Int, gridWidth: Int, rollout: AttentionRollout = .standard) throws {
        try self.init(attentions: attentions, layout: TokenLayout(gridHeight: gridHeight, gridWidth: gridWidth), rollout: rollout)
    }

    /// The CLS map of one image, layer and head as a grid.
    public func clsMap(layer: Int, image: Int, head: Int) -> ScalarMap {
        let n = patches, start = ((layer * images + image) * heads + head) * n
        return ScalarMap(width: gridWidth, height: gridHeight, values: Array(cls.data[start..<(start + n)]))
    }

    /// The head-mean CLS map of one image and layer.
    public func headMeanMap(layer: Int, image: Int) -> ScalarMap {
        let n = patches, start = (layer * images + image) * n
        return ScalarMap(width: gridWidth, height: gridHeight, values: Array(headMean.data[start..<(start + n)]))
    }

    /// The rollout map of one image.
    public func rolloutMap(image: Int) -> ScalarMap {
        let n = patches
        return ScalarMap(width: gridWidth, height: gridHeight, values: Array(rollout.data[(image * n)..<((image + 1) * n)]))
    }

    /// One entry of a `[L, B, H]` measure (`clsEntropy`, `rowEntropy`, `distance`).
    public func value(of measure: Tensor, layer: Int, image: Int, head: Int) -> Float {
        AttentionSnapshot.value(measure, layer: layer, image: image, head: head, images: images, heads: heads)
    }

    static func value(_ t: Tensor, layer: Int, image: Int, head: Int, images: Int, heads: Int) -> Float {
        t.data[(layer * images + image) * heads + head]
    }
}
