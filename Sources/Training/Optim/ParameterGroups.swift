// Per-parameter optimizer settings: which learning-rate scale and weight decay each parameter
// path gets. Defaults follow timm: no decay on 1-D tensors, biases, pos_embed and cls_token;
// config groups override by glob; layer-wise decay (BEiT) scales the lr by depth.

import NN

/// The optimizer settings of one parameter.
public struct ParameterSettings: Equatable {
    public var lrScale: Double
    public var weightDecay: Double

    public init(lrScale: Double, weightDecay: Double) {
        self.lrScale = lrScale
        self.weightDecay = weightDecay
    }
}

public enum ParameterGroups {
    /// Settings for every trainable parameter, in path order.
    public static func settings(for parameters: [(path: String, tensor: Tensor)], optim: OptimSection,
                                depth: Int) -> [ParameterSettings] {
        parameters.map { settings(path: $0.path, rank: $0.tensor.rank, optim: optim, depth: depth) }
    }

    public static func settings(path: String, rank: Int, optim: OptimSection, depth: Int) -> ParameterSettings {
        var result = ParameterSettings(lrScale: 1, weightDecay: optim.weightDecay)
        if optim.noDecayOnNormsAndBiases && isNoDecay(path: path, rank: rank) {
            result.weightDecay = 0
        }
        if let decay = optim.layerDecay {
            result.lrScale = pow(decay, Double(depth + 1 - layerID(path: path, depth: depth)))
        }
        if let group = optim.groups.first(where: { globMatches($0.pattern, path) }) {
            if let scale = group.lrScale { result.lrScale *= scale }
            if let decay = group.weightDecay { result.weightDecay = decay }
        }
        return result
    }

    /// timm's `no_weight_decay` set plus its 1-D rule (norm weights, biases).
    static func isNoDecay(path: String, rank: Int) -> Bool {
        rank <= 1 || path.hasSuffix(".bias") || path == "pos_embed" || path == "cls_token"
    }

    /// BEiT's layer id: 0 for the embeddings, i + 1 for block i, depth + 1 for the final norm and head.
    static func layerID(path: String, depth: Int) -> Int {
        if path.hasPrefix("patch_embed.") || path == "cls_token" || path == "pos_embed" { return 0 }
        if path.hasPrefix("blocks.") {
            let index = path.dropFirst("blocks.".count).prefix { $0.isNumber }
            if let i = Int(index) { return i + 1 }
        }
        return depth + 1
    }
}

import Foundation
