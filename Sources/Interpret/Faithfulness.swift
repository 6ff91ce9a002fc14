// Faithfulness of a saliency map: deletion and insertion (Petsiuk, Das & Saenko, RISE, BMVC 2018).
// Patches are removed from the image (deletion) or revealed on a blank one (insertion) in the map's
// order, most salient first, `step` patches at a time; the curve is the class probability after each
// step and its trapezoidal area the score (deletion: lower is better; insertion: higher is better).
// The blank is 0 in the model's normalised input space, i.e. the normalisation's mean colour.

import Foundation
import Models
import Tensor

/// Deletion and insertion curves of one image for one ordering of its patches.
public struct FaithfulnessCurves: Equatable, Sendable {
    /// Probability of the target class after 0, 1, … steps (`steps + 1` values each).
    public let deletion: [Float]
    public let insertion: [Float]
    public var deletionAUC: Double { Faithfulness.auc(deletion) }
    public var insertionAUC: Double { Faithfulness.auc(insertion) }
}

public enum Faithfulness {
    /// Area under a curve sampled at evenly spaced fractions 0…1 (trapezoid rule, as RISE's `auc`).
    public static func auc(_ curve: [Float]) -> Double {
        guard curve.count > 1 else { return curve.first.map(Double.init) ?? 0 }
        let sum = curve.reduce(0.0) { $0 + Double($1) }
        return (sum - Double(curve[0]) / 2 - Double(curve[curve.count - 1]) / 2) / Double(curve.count - 1)
    }

    /// Patch indices by decreasing saliency; ties keep the lower index first (numpy's stable argsort of −map).
    public static func order(_ saliency: [Float]) -> [Int] {
        saliency.indices.sorted { saliency[$0] > saliency[$1] || (saliency[$0] == saliency[$1] && $0 < $1) }
    }

    /// A seeded random order of `count` patches (Fisher–Yates on the project's generator).
    public static func randomOrder(count: Int, seed: UInt64) -> [Int] {
        var rng = RandomGenerator(seed: seed)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// The curves of `image` `[1, C, H, W]` (normalised) for patches taken in `order`, tracking the
    /// softmax probability of `target`. All steps run as batched forward passes of `batchSize`.
    /// - Throws: a one-line error when the image does not fit the model or the order is not a
    ///   permutation of the model's patches.
    public static func curves(model: VisionTransformer, image: Tensor, order: [Int], target: Int,
                              step: Int = 1, batchSize: Int = 32) throws -> FaithfulnessCurves {
        try model.checkInput(shape: image.shape)
        let (gh, gw) = model.gridSize
        let n = gh * gw
        guard image.shape[0] == 1 else { throw InterpretError("faithfulness: expected one image [1, C, H, W], got \(image.shape)") }
        guard Set(order) == Set(0..<n), order.count == n else {
            throw InterpretError("faithfulness: the patch order must be a permutation of the \(n) patches, got \(order.count) entries")
        }
        guard target >= 0, target < model.config.numClasses else {
            throw InterpretError("faithfulness: class \(target) is outside the model's \(model.config.numClasses) classes")
        }
        guard step > 0, batchSize > 0 else { throw InterpretError("faithfulness: step \(step) and batch size \(batchSize) must be positive") }
        let c = image.shape[1], side = image.shape[2]
        let patchH = side / gh, patchW = side / gw
        let steps = (n + step - 1) / step
        // Touched[s] = the patches removed (deletion) or revealed (insertion) after s steps.
        func variant(_ s: Int, deleting: Bool) -> [Float] {
            var touched = [Bool](repeating: false, count: n)
            for p in order.prefix(min(n, s * step)) { touched[p] = true }
            var pixels = image.data
            for ch in 0..<c {
                for y in 0..<side {
                    let row = min(y / patchH, gh - 1)
                    for x in 0..<side {
                        let patch = row * gw + min(x / patchW, gw - 1)
                        if touched[patch] == deleting { pixels[(ch * side + y) * side + x] = 0 }
                    }
                }
            }
            return pixels
        }
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        func probabilities(deleting: Bool) -> [Float] {
            var result: [Float] = []
            var start = 0
            while start <= steps {
                let end = min(steps + 1, start + batchSize)
                let batch = (start..<end).flatMap { variant($0, deleting: deleting) }
                let logits = Tensor.withoutGrad {
                    model(Tensor(shape: [end - start, c, side, side], data: batch)).softmax(axis: -1)
                }
                let k = model.config.numClasses
                result += (0..<(end - start)).map { logits.data[$0 * k + target] }
                start = end
            }
            return result
        }
        return FaithfulnessCurves(deletion: probabilities(deleting: true), insertion: probabilities(deleting: false))
    }
}
