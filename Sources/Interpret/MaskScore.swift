// How much of the rollout mass lands on the object: for images with an object mask (the
// synthetic dataset), mass on the mask divided by the mask's area fraction. 1 means attention
// no more on the object than a uniform map; larger means concentrated on it.

import Tensor

public enum MaskScore {
    public struct Result: Equatable {
        /// Per image; nil where the mask is empty or the map has no mass (the ratio is undefined).
        public let perImage: [Float?]
        /// Mean over the images that have a score (NaN if none has).
        public let mean: Float
    }

    /// A Float mask (the synthetic dataset's `mask(at:)`, 1 inside the object) as bytes: 1 where ≥ 0.5.
    public static func byteMask(_ mask: [Float]) -> [UInt8] {
        mask.map { $0 >= 0.5 ? 1 : 0 }
    }

    /// Scores rollout maps `[B, N]` on a `gridHeight × gridWidth` patch grid against byte masks
    /// (`maskHeight × maskWidth` each, non-zero = object).
    ///
    /// The mask is brought to the patch grid, not the map to the pixels: pixel (y, x) belongs to
    /// patch (⌊y·gh/H⌋, ⌊x·gw/W⌋), and a patch's object weight mⱼ is the fraction of its pixels
    /// on the object (exact area weighting; with H, W multiples of the grid these are the patches).
    /// Score = (Σⱼ rⱼ mⱼ / Σⱼ rⱼ) / (Σⱼ mⱼ / N).
    public static func scores(rollout: Tensor, masks: [[UInt8]], maskHeight: Int, maskWidth: Int,
                              gridHeight: Int, gridWidth: Int) throws -> Result {
        let n = gridHeight * gridWidth
        guard rollout.rank == 2, rollout.shape[1] == n, rollout.shape[0] == masks.count else {
            throw InterpretError("mask score: rollout \(rollout.shape) must be [\(masks.count), \(n)] for \(masks.count) masks on a \(gridHeight)×\(gridWidth) grid")
        }
        guard maskHeight >= gridHeight, maskWidth >= gridWidth, masks.allSatisfy({ $0.count == maskHeight * maskWidth }) else {
            throw InterpretError("mask score: every mask must hold \(maskHeight)×\(maskWidth) bytes, at least the \(gridHeight)×\(gridWidth) grid")
        }
        var perImage: [Float?] = []
        for (b, mask) in masks.enumerated() {
            var object = [Double](repeating: 0, count: n), pixels = [Double](repeating: 0, count: n)
            for y in 0..<maskHeight {
                let py = y * gridHeight / maskHeight
                for x in 0..<maskWidth {
                    let patch = py * gridWidth + x * gridWidth / maskWidth
                    pixels[patch] += 1
                    if mask[y * maskWidth + x] != 0 { object[patch] += 1 }
                }
            }
            var mass = 0.0, onObject = 0.0, area = 0.0
            for j in 0..<n {
                let m = object[j] / pixels[j], r = Double(rollout.data[b * n + j])
                mass += r
                onObject += r * m
                area += m
            }
            perImage.append(area > 0 && mass > 0 ? Float((onObject / mass) / (area / Double(n))) : nil)
        }
        let valid = perImage.compactMap { $0 }
        return Result(perImage: perImage, mean: valid.isEmpty ? .nan : valid.reduce(0, +) / Float(valid.count))
    }
}
