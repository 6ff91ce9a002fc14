// Training-time augmentation on CHW images in [0, 1]: random crop with zero padding (torchvision
// RandomCrop(size, padding=4)), horizontal flip (p = 0.5), then timm's RandAugment / TrivialAugment
// on uint8, and normalisation (x − mean)/std; random erasing and mixup/cutmix run in the loader.
// All randomness comes from the RandomGenerator passed in, so a sample's augmentation is repeatable.

/// Which augmentations the loader applies; each is switchable.
public struct AugmentationOptions: Codable, Equatable, Sendable {
    /// Random crop of the original size from the image zero-padded by `cropPadding` on each side.
    public var randomCrop: Bool
    public var cropPadding: Int
    /// Mirror left-right with probability `flipProbability`.
    public var horizontalFlip: Bool
    public var flipProbability: Float
    /// RandAugment or TrivialAugment after crop and flip (timm's `auto_augment`).
    public var autoAugment: AutoAugmentPolicy?
    /// The ops' translate range, fill and interpolation; nil: timm's defaults for the image size.
    public var hyperparameters: AugmentHyperparameters?
    /// Random erasing on the normalised image (timm's `reprob`, `remode`, `recount`).
    public var erasing: RandomErasingOptions?
    /// Mixup / CutMix on each batch, giving soft targets.
    public var mixup: MixupOptions?

    public init(randomCrop: Bool = false, cropPadding: Int = 4, horizontalFlip: Bool = false,
                flipProbability: Float = 0.5, autoAugment: AutoAugmentPolicy? = nil,
                hyperparameters: AugmentHyperparameters? = nil, erasing: RandomErasingOptions? = nil,
                mixup: MixupOptions? = nil) {
        self.randomCrop = randomCrop
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.flipProbability = flipProbability
        self.autoAugment = autoAugment
        self.hyperparameters = hyperparameters
        self.erasing = erasing
        self.mixup = mixup
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

    /// Applies the switched-on augmentations in torchvision's usual order: crop, flip, then the
    /// auto-augment policy (on the image rounded to uint8, as timm's PIL ops see it).
    public static func apply(_ options: AugmentationOptions, to image: [Float], channels: Int, height: Int,
                             width: Int, rng: inout RandomGenerator) -> [Float] {
        var out = image
        if options.randomCrop {
            out = randomCrop(out, channels: channels, height: height, width: width, padding: options.cropPadding, rng: &rng)
        }
        if options.horizontalFlip && rng.nextFloat() < options.flipProbability {
            out = flipHorizontal(out, channels: channels, height: height, width: width)
        }
        if let policy = options.autoAugment {
            let image = PixelImage(floats: out, channels: channels, height: height, width: width)
            let hp = options.hyperparameters ?? AugmentHyperparameters.timmDefaults(height: height, width: width, mean: nil)
            out = policy(image, hp, rng: &rng).floats()
        }
        return out
    }
}

/// timm's `auto_augment` choices: a RandAugment string, or TrivialAugment (torchvision's Wide).
public enum AutoAugmentPolicy: Codable, Equatable, Sendable {
    case rand(RandAugment)
    case trivial

    /// "rand-…" (timm's rand_augment_transform) or "trivial" (TrivialAugmentWide).
    public init(config: String, key: String = "data.auto_augment") throws {
        if config == "trivial" || config == "trivialaugment" || config == "ta_wide" {
            self = .trivial
        } else if config.hasPrefix("rand") {
            self = .rand(try RandAugment(config: config, key: key))
        } else {
            throw DatasetError(file: key, message: "\"\(config)\" is not supported; expected a timm RandAugment string (\"rand-m9-mstd0.5-inc1\") or \"trivial\"")
        }
    }

    public func callAsFunction(_ image: PixelImage, _ hp: AugmentHyperparameters, rng: inout RandomGenerator) -> PixelImage {
        switch self {
        case .rand(let policy): return policy(image, hp, rng: &rng)
        case .trivial: return TrivialAugment.random(image, rng: &rng)
        }
    }
}

extension AugmentHyperparameters {
    /// What timm's create_transform passes: translate_const = int(0.45 × shorter side), fill =
    /// round(255 × mean) per channel (128 gray without a mean), random bilinear/bicubic.
    public static func timmDefaults(height: Int, width: Int, mean: [Float]?) -> AugmentHyperparameters {
        let fill = mean.map { $0.map { UInt8(Swift.min(255, Swift.max(0, (255 * $0).rounded()))) } } ?? [128, 128, 128]
        return AugmentHyperparameters(translateConst: Double(Int(Double(Swift.min(height, width)) * 0.45)), fill: fill)
    }
}
