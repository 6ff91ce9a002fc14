// Training-time augmentation on CHW images in [0, 1]: random crop with zero padding (torchvision
// RandomCrop(size, padding=4)), horizontal flip (p = 0.5), and normalisation (x − mean)/std.
// All randomness comes from the RandomGenerator passed in, so a sample's augmentation is repeatable.

/// Which augmentations the loader applies; each is switchable.
public struct AugmentationOptions: Codable, Equatable, Sendable {
    /// Random crop of the original size from the image zero-padded by `cropPadding` on each side.
    public var randomCrop: Bool
    public var cropPadding: Int
    /// Mirror left-right with probability `flipProbability`.
    public var horizontalFlip: Bool
    public var flipProbability: Float

    public init(randomCrop: Bool = false, cropPadding: Int = 4, horizontalFlip: Bool = false,
                flipProbability: Float = 0.5) {
        self.randomCrop = randomCrop
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.flipProbability = flipProbability
    }

    /// No augmentation (evaluation).
    public static let none = AugmentationOptions()
    /// The usual CIFAR recipe: crop with 4-pixel padding and horizontal flip.
    public static let standard = AugmentationOptions(randomCrop: true, cropPadding: 4, horizontalFlip: true)
}

public enum Augment {
    /// Shifts the image by (dy, dx) with zero fill: the crop at offset (padding+dy, padding+dx)
    /// of the zero-padded image. dy, dx in −padding...padding.
    public static func crop(_ image: [Float], channels: Int, height: Int, width: Int, dy: Int, dx: Int) -> [Float] {
        precondition(image.count == channels * height * width,
                     "crop: image has \(image.count) values, expected \(channels)×\(height)×\(width)")
        var out = [Float](repeating: 0, count: image.count)
        // Output (y, x) reads input (y + dy, x + dx) where that lies inside the image.
        let y0 = max(0, -dy), y1 = min(height, height - dy)
        let x0 = max(0, -dx), x1 = min(width, width - dx)
        guard y0 < y1, x0 < x1 else { return out }
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    let plane = c * height * width
                    for y in y0..<y1 {
                        let s = plane + (y + dy) * width + dx
                        let d = plane + y * width
                        for x in x0..<x1 { dst[d + x] = src[s + x] }
                    }
                }
            }
        }
        return out
    }

    /// Random crop with zero padding: each offset uniform in −padding...padding (as torchvision
    /// draws the crop corner uniformly in the padded image).
    public static func randomCrop(_ image: [Float], channels: Int, height: Int, width: Int, padding: Int,
                                  rng: inout RandomGenerator) -> [Float] {
        guard padding > 0 else { return image }
        let dy = rng.nextInt(below: 2 * padding + 1) - padding
        let dx = rng.nextInt(below: 2 * padding + 1) - padding
        return crop(image, channels: channels, height: height, width: width, dy: dy, dx: dx)
    }

    /// Mirrors each row.
    public static func flipHorizontal(_ image: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        precondition(image.count == channels * height * width,
                     "flip: image has \(image.count) values, expected \(channels)×\(height)×\(width)")
        var out = image
        for row in 0..<(channels * height) {
            let base = row * width
            for x in 0..<width { out[base + x] = image[base + width - 1 - x] }
        }
        return out
    }

    /// (x − mean[c]) / std[c] per channel, in place.
    public static func normalize(_ image: inout [Float], channels: Int, mean: [Float], std: [Float]) {
        precondition(mean.count == channels && std.count == channels,
                     "normalize: \(mean.count) means and \(std.count) stds for \(channels) channels")
        let plane = image.count / channels
        image.withUnsafeMutableBufferPointer { p in
            for c in 0..<channels {
                let m = mean[c], s = std[c]
                for i in c * plane..<(c + 1) * plane { p[i] = (p[i] - m) / s }
            }
        }
    }

    /// Repeats a single channel `copies` times (gray → RGB).
    public static func replicateChannels(_ image: [Float], copies: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(image.count * copies)
        for _ in 0..<copies { out.append(contentsOf: image) }
        return out
    }

    /// Applies the switched-on augmentations in torchvision's usual order: crop, then flip.
    public static func apply(_ options: AugmentationOptions, to image: [Float], channels: Int, height: Int,
                             width: Int, rng: inout RandomGenerator) -> [Float] {
        var out = image
        if options.randomCrop {
            out = randomCrop(out, channels: channels, height: height, width: width, padding: options.cropPadding, rng: &rng)
        }
        if options.horizontalFlip && rng.nextFloat() < options.flipProbability {
            out = flipHorizontal(out, channels: channels, height: height, width: width)
        }
        return out
    }
}
