// Class-specific relevance, Chefer, Gur & Wolf, ICCV 2021 ("Generic attention-model
// explainability", the self-attention rule): R = I; per block Ā = mean_h (∇A ⊙ A)⁺ with
// ∇A = ∂ logit_c / ∂A; R ← R + Ā·R. The map is R's class-token row over the patches (the mean of
// the patch rows for a model without a class token; see ExplainTokens).
// Legend: B images, H heads, T tokens, N patches, K classes.

import Foundation
import Models
import Tensor

public enum ClassRelevance {
    /// Relevance maps `[B, N]` of `images` `[B, C, H, W]` (normalised as the model expects), image b
    /// explained for class `classes[b]`. One forward pass with the tape and one backward pass; the
    /// model's mode and its parameters' gradients are left as they were found.
    /// - Throws: a one-line error when the images do not fit the model or a class is out of range.
    public static func chefer2021(model: VisionTransformer, images: Tensor, classes: [Int]) throws -> Tensor {
        try capture(model: model, images: images) { _ in classes }.relevance!.maps
    }

    /// One forward pass that serves both the attention maps and chefer2021: it runs in evaluation
    /// mode on the tape, keeping every layer's attention, asks `choose` for each image's class from
    /// the logits `[B, K]`, then runs one backward pass from those logits.
    /// The tape starts at `pos_embed` alone (every other parameter is set not to require a
    /// gradient meanwhile), so the backward computes the activations' gradients down to the
    /// first block and no weight gradient or patch-embedding backward: about half the work of a
    /// training backward. Mode, `requiresGrad` flags and gradients are restored afterwards.
    public static func capture(model: VisionTransformer, images: Tensor,
                               classes choose: (Tensor) throws -> [Int]) throws -> CapturedForward {
        try model.checkInput(shape: images.shape)
        let b = images.shape[0], k = model.config.numClasses
        let tokens = ExplainTokens(model: model)
        let wasTraining = model.isTraining
        model.setTraining(false)
        let attentionLayers = model.blocks.modules.map(\.attn)
        let sinks = attentionLayers.map { _ in AttentionProbabilityGradient() }
        // The parameters' own gradients and flags (pos_embed's among them) are kept aside, so an
        // explanation never leaks into training.
        let parameters = model.namedParameters().map(\.tensor)
        let savedGrads = parameters.map(\.grad), savedFlags = parameters.map(\.requiresGrad)
        defer {
            for layer in attentionLayers { layer.probabilityGradientSink = nil }
            for (p, (g, flag)) in zip(parameters, zip(savedGrads, savedFlags)) { p.grad = g; p.requiresGrad = flag }
            model.setTraining(wasTraining)
        }
        for p in parameters { p.requiresGrad = false }
        model.posEmbed.requiresGrad = true
        for (layer, sink) in zip(attentionLayers, sinks) { layer.probabilityGradientSink = sink }
        let output = model.forward(images.detached(), capture: AttentionCaptureRequest())
        let classes = try choose(output.logits)
        guard classes.count == b else {
            throw InterpretError("chefer2021: \(classes.count) classes for \(b) images")
        }
        for c in classes where c < 0 || c >= k {
            throw InterpretError("chefer2021: class \(c) is outside the model's \(k) classes (0…\(k - 1))")
        }
        var seed = [Float](repeating: 0, count: b * k)                       // ∂(Σ_b logit[b, c_b]) / ∂logits
        for (image, c) in classes.enumerated() { seed[image * k + c] = 1 }
        output.logits.backward(gradient: seed)
        let attentions = AttentionMeasures.ordered(output.attentions)
        let gradients = try sinks.enumerated().map { layer, sink -> Tensor in
            guard let g = sink.value else { throw InterpretError("chefer2021: layer \(layer) received no attention gradient") }
            return g
        }
        var forward = CapturedForward(output: output, attentions: attentions, layout: model.tokenLayout)
        forward.relevance = (classes, relevance(attentions: attentions, gradients: gradients, tokens: tokens))
        return forward
    }

    /// The relevance rule on captured `[B, H, T, T]` probabilities and their gradients: `[B, N]`.
    /// R_L = (I + Ā_L)⋯(I + Ā_1), so its class row is the row vector e·(I + Ā_L)⋯(I + Ā_1), taken
    /// from the top layer down: O(L·T²) per image instead of O(L·T³) for R itself.
    public static func relevance(attentions: [Tensor], gradients: [Tensor], tokens: ExplainTokens) -> Tensor {
        let b = attentions[0].shape[0], h = attentions[0].shape[1], t = attentions[0].shape[3]
        let n = tokens.patches.count
        var out = [Float](repeating: 0, count: b * n)
        out.withUnsafeMutableBufferPointer { o in
            Parallel.forEach(b) { image in
                var v = tokens.queryVector
                var cam = [Double](repeating: 0, count: t * t)
                for (a, g) in zip(attentions, gradients).reversed() {
                    // Ā = mean over heads of (∇A ⊙ A)⁺
                    for i in 0..<(t * t) { cam[i] = 0 }
                    a.data.withUnsafeBufferPointer { ap in
                        g.data.withUnsafeBufferPointer { gp in
                            for head in 0..<h {
                                let offset = (image * h + head) * t * t
                                for i in 0..<(t * t) {
                                    let x = Double(gp[offset + i]) * Double(ap[offset + i])
                                    if x > 0 { cam[i] += x }
                                }
                            }
                        }
                    }
                    // v ← v + v·Ā
                    var next = v
                    let scale = 1 / Double(h)
                    for i in 0..<t where v[i] != 0 {
                        let vi = v[i] * scale
                        for j in 0..<t { next[j] += vi * cam[i * t + j] }
                    }
                    v = next
                }
                let map = tokens.patchValues(v)
                for j in 0..<n { o[image * n + j] = Float(map[j]) }
            }
        }
        return Tensor(shape: [b, n], data: out)
    }
}
