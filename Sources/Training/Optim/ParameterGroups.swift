// Per-parameter optimizer settings: which learning-rate scale and weight decay each parameter
// path gets. The model says which paths skip decay and which layer each belongs to (its
// ParameterPolicy: timm's no_weight_decay and group_matcher); config groups override by glob;
// layer-wise decay (BEiT) scales the lr by layer id.

import Foundation
import Models

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
                                policy: ParameterPolicy) -> [ParameterSettings] {
        parameters.map { settings(path: $0.path, rank: $0.tensor.rank, optim: optim, policy: policy) }
    }

    public static func settings(path: String, rank: Int, optim: OptimSection, policy: ParameterPolicy) -> ParameterSettings {
        var result = ParameterSettings(lrScale: 1, weightDecay: optim.weightDecay)
        if optim.noDecayOnNormsAndBiases && policy.excludedFromWeightDecay(path: path, rank: rank) {
            result.weightDecay = 0
        }
        if let decay = optim.layerDecay {
            result.lrScale = pow(decay, Double(policy.layerIDCount - 1 - policy.layerID(path: path)))
        }
        if let group = optim.groups.first(where: { globMatches($0.pattern, path) }) {
            if let scale = group.lrScale { result.lrScale *= scale }
            if let decay = group.weightDecay { result.weightDecay = decay }
        }
        return result
    }
}
