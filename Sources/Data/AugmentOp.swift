// One named timm augmentation op (auto_augment.py's NAME_TO_OP and LEVEL_TO_ARG): how a
// magnitude on timm's 0…10 scale becomes the op's argument (with the random sign flips timm
// draws), and the op itself on a uint8 image.

/// The settings timm passes as `hparams` to every op.
public struct AugmentHyperparameters: Codable, Equatable, Sendable {
    /// Pixels at magnitude 10 for TranslateX/Y (timm: 0.45 × the shorter image side).
    public var translateConst: Double
    /// Fraction of the side at magnitude 10 for TranslateX/YRel.
    public var translatePct: Double = 0.45
    /// Fill for pixels a geometric op uncovers (timm: the dataset mean, as uint8).
    public var fill: [UInt8]
    /// nil = timm's default: bilinear or bicubic drawn at random per op.
    public var interpolation: String?
    /// Gaussian noise on the magnitude per op call (`mstd`); infinity = uniform in 0…magnitude.
    public var magnitudeStd: Double = 0
    /// Upper clip of the magnitude (`mmax`; timm's default 10).
    public var magnitudeMax: Double?

    public init(translateConst: Double, fill: [UInt8], interpolation: String? = nil) {
        self.translateConst = translateConst
        self.fill = fill
        self.interpolation = interpolation
    }
}

/// timm's op names, character for character.
public enum AugmentOpName: String, Codable, CaseIterable, Sendable {
    case autoContrast = "AutoContrast", equalize = "Equalize", invert = "Invert", rotate = "Rotate"
    case posterize = "Posterize", posterizeIncreasing = "PosterizeIncreasing", posterizeOriginal = "PosterizeOriginal"
    case solarize = "Solarize", solarizeIncreasing = "SolarizeIncreasing", solarizeAdd = "SolarizeAdd"
    case color = "Color", colorIncreasing = "ColorIncreasing", contrast = "Contrast", contrastIncreasing = "ContrastIncreasing"
    case brightness = "Brightness", brightnessIncreasing = "BrightnessIncreasing"
    case sharpness = "Sharpness", sharpnessIncreasing = "SharpnessIncreasing"
    case shearX = "ShearX", shearY = "ShearY", translateX = "TranslateX", translateY = "TranslateY"
    case translateXRel = "TranslateXRel", translateYRel = "TranslateYRel"
}

/// timm's AugmentOp: applied with probability `prob` at `magnitude` (0…10 scale).
public struct AugmentOp: Codable, Equatable, Sendable {
    public var name: AugmentOpName
    public var prob: Double
    public var magnitude: Double

    public init(_ name: AugmentOpName, prob: Double = 0.5, magnitude: Double = 10) {
        self.name = name
        self.prob = prob
        self.magnitude = magnitude
    }

    /// timm's AugmentOp.__call__: the probability draw, the magnitude noise and clip, the level
    /// → argument mapping (with its random sign), the interpolation draw, then the op.
    public func callAsFunction(_ image: PixelImage, _ hp: AugmentHyperparameters,
                               rng: inout RandomGenerator) -> PixelImage {
        if prob < 1 && Double(rng.nextFloat()) > prob { return image }
        var m = magnitude
        if hp.magnitudeStd == .infinity {
            m = Double(rng.nextFloat()) * m
        } else if hp.magnitudeStd > 0 {
            m += Double(rng.nextNormal()) * hp.magnitudeStd
        }
        m = max(0, min(m, hp.magnitudeMax ?? 10))
        let argument = AugmentOp.argument(name, level: m, hp, rng: &rng)
        let filter: ResampleFilter
        switch hp.interpolation {
        case "bilinear"?: filter = .bilinear
        case "bicubic"?: filter = .bicubic
        case "nearest"?: filter = .nearest
        default: filter = rng.nextInt(below: 2) == 0 ? .bilinear : .bicubic
        }
        return AugmentOp.apply(name, image, argument: argument, filter: filter, fill: hp.fill)
    }

    /// LEVEL_TO_ARG: level on the 0…10 scale → the op's argument. `rng` draws the sign flips.
    public static func argument(_ name: AugmentOpName, level: Double, _ hp: AugmentHyperparameters,
                                rng: inout RandomGenerator) -> Double {
        func negate(_ v: Double) -> Double { Double(rng.nextFloat()) > 0.5 ? -v : v }
        let f = level / 10
        switch name {
        case .autoContrast, .equalize, .invert: return 0
        case .rotate: return negate(f * 30)
        case .posterize: return Double(Int(f * 4))
        case .posterizeIncreasing: return Double(4 - Int(f * 4))
        case .posterizeOriginal: return Double(Int(f * 4) + 4)
        case .solarize: return Double(min(256, Int(f * 256)))
        case .solarizeIncreasing: return Double(256 - min(256, Int(f * 256)))
        case .solarizeAdd: return Double(min(128, Int(f * 110)))
        case .color, .contrast, .brightness, .sharpness: return f * 1.8 + 0.1
        case .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing:
            return max(0.1, 1 + negate(f * 0.9))
        case .shearX, .shearY: return negate(f * 0.3)
        case .translateX, .translateY: return negate(f * hp.translateConst)
        case .translateXRel, .translateYRel: return negate(f * hp.translatePct)
        }
    }

    /// NAME_TO_OP: the op at a given argument.
    public static func apply(_ name: AugmentOpName, _ image: PixelImage, argument a: Double,
                             filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        switch name {
        case .autoContrast: return ColorOps.autoContrast(image)
        case .equalize: return ColorOps.equalize(image)
        case .invert: return ColorOps.invert(image)
        case .rotate: return AffineOps.rotate(image, degrees: a, filter: filter, fill: fill)
        case .posterize, .posterizeIncreasing, .posterizeOriginal: return ColorOps.posterize(image, bits: Int(a))
        case .solarize, .solarizeIncreasing: return ColorOps.solarize(image, threshold: a)
        case .solarizeAdd: return ColorOps.solarizeAdd(image, add: Int(a))
        case .color, .colorIncreasing: return ColorOps.color(image, factor: a)
        case .contrast, .contrastIncreasing: return ColorOps.contrast(image, factor: a)
        case .brightness, .brightnessIncreasing: return ColorOps.brightness(image, factor: a)
        case .sharpness, .sharpnessIncreasing: return ColorOps.sharpness(image, factor: a)
        case .shearX: return AffineOps.shearX(image, factor: a, filter: filter, fill: fill)
        case .shearY: return AffineOps.shearY(image, factor: a, filter: filter, fill: fill)
        case .translateX: return AffineOps.translateX(image, pixels: a, filter: filter, fill: fill)
        case .translateY: return AffineOps.translateY(image, pixels: a, filter: filter, fill: fill)
        case .translateXRel: return AffineOps.translateX(image, pixels: a * Double(image.width), filter: filter, fill: fill)
        case .translateYRel: return AffineOps.translateY(image, pixels: a * Double(image.height), filter: filter, fill: fill)
        }
    }
}
