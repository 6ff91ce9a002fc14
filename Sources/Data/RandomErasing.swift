// Random erasing (Zhong et al. 2017) with timm's RandomErasing semantics, on a normalised CHW
// image: with probability `probability`, 1…max_count boxes, each of area uniform in
// [min_area, max_area]·area/count and log-uniform aspect in [min_aspect, 1/min_aspect], tried up
// to 10 times to fit; filled with 0 (const), one normal value per channel (rand) or per pixel (pixel).

import Foundation

/// timm's RandomErasing parameters (`reprob`, `remode`, `recount`).
public struct RandomErasingOptions: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, CaseIterable, Sendable { case const, rand, pixel }
    public var probability: Double
    public var mode: Mode
    public var minArea = 0.02
    public var maxArea = 1.0 / 3
    public var minAspect = 0.3
    public var maxAspect: Double?
    public var minCount = 1
    public var maxCount: Int

    public init(probability: Double, mode: Mode = .pixel, maxCount: Int = 1) {
        self.probability = probability
        self.mode = mode
        self.maxCount = maxCount
    }
}

/// One erased box: rows top..<top+height, columns left..<left+width.
public struct ErasedBox: Equatable, Sendable {
    public var top, left, height, width: Int
    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }
}

public enum RandomErasing {
    /// Erases boxes in `image` [C, H, W] in place; returns the boxes (for tests and inspection).
    @discardableResult
    public static func apply(_ options: RandomErasingOptions, to image: inout [Float], channels: Int,
                             height: Int, width: Int, rng: inout RandomGenerator) -> [ErasedBox] {
        guard Double(rng.nextFloat()) <= options.probability, options.probability > 0 else { return [] }
        let area = Double(height * width)
        let count = options.minCount >= options.maxCount ? options.minCount
            : options.minCount + rng.nextInt(below: options.maxCount - options.minCount + 1)
        let logLo = log(options.minAspect), logHi = log(options.maxAspect ?? 1 / options.minAspect)
        var boxes: [ErasedBox] = []
        for _ in 0..<count {
            for _ in 0..<10 {
                let target = (options.minArea + Double(rng.nextFloat()) * (options.maxArea - options.minArea)) * area / Double(count)
                let aspect = exp(logLo + Double(rng.nextFloat()) * (logHi - logLo))
                let (h, w) = boxSize(targetArea: target, aspect: aspect)
                guard w < width, h < height else { continue }
                let box = ErasedBox(top: rng.nextInt(below: height - h + 1), left: rng.nextInt(below: width - w + 1),
                                    height: h, width: w)
                fill(box, in: &image, channels: channels, height: height, width: width, mode: options.mode, rng: &rng)
                boxes.append(box)
                break
            }
        }
        return boxes
    }

    /// The box's height and width for an area and aspect (h/w): Python's round, half to even.
    public static func boxSize(targetArea: Double, aspect: Double) -> (height: Int, width: Int) {
        (Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven)),
         Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven)))
    }

    /// Writes the box's fill: zeros, one N(0, 1) value per channel, or N(0, 1) per pixel.
    public static func fill(_ box: ErasedBox, in image: inout [Float], channels: Int, height: Int, width: Int,
                            mode: RandomErasingOptions.Mode, rng: inout RandomGenerator) {
        for c in 0..<channels {
            let channelValue: Float = mode == .rand ? rng.nextNormal() : 0
            for y in box.top..<(box.top + box.height) {
                let row = (c * height + y) * width
                for x in box.left..<(box.left + box.width) {
                    image[row + x] = mode == .pixel ? rng.nextNormal() : channelValue
                }
            }
        }
    }
}
