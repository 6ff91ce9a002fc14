// Running a model for explanation: one forward pass in evaluation mode and without the tape,
// keeping every layer's full attention maps, then the snapshot, dump and embeddings built on it.

import Models
import Tensor

/// A forward pass kept for explanation.
public struct CapturedForward {
    public let output: ViTOutput
    /// Layer-ordered `[B, H, T, T]` attention probabilities.
    public let attentions: [Tensor]
    public let layout: TokenLayout
    /// chefer2021 maps `[B, N]` for `classes`, when the pass was taped for them
    /// (`ClassRelevance.capture`).
    public var relevance: (classes: [Int], maps: Tensor)? = nil
    public var gridHeight: Int { layout.gridHeight }
    public var gridWidth: Int { layout.gridWidth }

    /// All measures of this pass.
    public func snapshot(rollout: AttentionRollout = .standard) throws -> AttentionSnapshot {
        try AttentionSnapshot(attentions: attentions, layout: layout, rollout: rollout)
    }

    /// Pooled-feature and rollout-weighted embeddings of the images of this pass.
    public func embeddings(names: [String], rollout: AttentionRollout = .standard) throws -> ImageEmbeddings {
        try ImageEmbeddings(names: names, features: output.features, tokens: output.tokens,
                            rollout: try rollout.clsMap(attentions, layout: layout), layout: layout)
    }
}

public enum ModelCapture {
    /// Runs `model` on `images` [B, C, H, W] in evaluation mode (restoring its mode afterwards)
    /// with no tape, capturing the full attention maps of every layer.
    /// - Throws: the model's one-line error when the images do not fit it.
    public static func run(_ model: VisionTransformer, images: Tensor) throws -> CapturedForward {
        try model.checkInput(shape: images.shape)
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let output = Tensor.withoutGrad { model.forward(images, capture: AttentionCaptureRequest()) }
        return CapturedForward(output: output, attentions: AttentionMeasures.ordered(output.attentions),
                               layout: model.tokenLayout)
    }
}

extension AttentionDump {
    /// Runs `model` on `inputs` [B, C, H, W] (normalised as the model expects) and writes the dump
    /// for `images` (the same B images for display, e.g. un-normalised), plus `embeddings.h5|json`.
    public static func write(model: VisionTransformer, inputs: Tensor, images: [ExplainedImage], to directory: String,
                             options: AttentionDumpOptions = AttentionDumpOptions()) throws -> AttentionDumpSummary {
        let captured = try ModelCapture.run(model, images: inputs)
        let summary = try write(images: images, attentions: captured.attentions, layout: captured.layout,
                                to: directory, options: options)
        try captured.embeddings(names: images.map(\.name), rollout: options.rollout).writeEmbeddings(to: directory)
        return summary
    }
}
