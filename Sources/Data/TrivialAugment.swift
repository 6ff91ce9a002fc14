// TrivialAugment (Müller & Hutter 2021) with torchvision's TrivialAugmentWide semantics (timm has
// no TrivialAugment): one op drawn uniformly from 14, one of 31 magnitude bins drawn uniformly,
// signed ops negated with probability ½; nearest-neighbour resampling and black fill, as
// torchvision's defaults. Shear, translate and rotate map onto the same PIL affine as timm's ops.

public enum TrivialAugment {
    /// torchvision's op order in `_augmentation_space` of TrivialAugmentWide.
    public enum Op: Int, CaseIterable, Sendable {
        case identity, shearX, shearY, translateX, translateY, rotate, brightness, color, contrast,
             sharpness, posterize, solarize, autoContrast, equalize
    }

    public static let bins = 31

    /// The magnitude of `op` at bin `bin` (0…30), before the sign flip.
    public static func magnitude(_ op: Op, bin: Int) -> Double {
        let t = Double(bin) / Double(bins - 1)
        switch op {
        case .identity, .autoContrast, .equalize: return 0
        case .shearX, .shearY: return 0.99 * t
        case .translateX, .translateY: return 32 * t
        case .rotate: return 135 * t
        case .brightness, .color, .contrast, .sharpness: return 0.99 * t
        // 8 − round(bin / 5), as torch's round (half to even) does on these exact quotients.
        case .posterize: return Double(8 - Int((Double(bin) / (Double(bins - 1) / 6)).rounded(.toNearestOrEven)))
        case .solarize: return 255 * (1 - t)
        }
    }

    static func isSigned(_ op: Op) -> Bool {
        switch op {
        case .shearX, .shearY, .translateX, .translateY, .rotate, .brightness, .color, .contrast, .sharpness: return true
        default: return false
        }
    }

    /// One draw of op, bin and sign, then the op (torchvision's `_apply_op`).
    public static func random(_ image: PixelImage, rng: inout RandomGenerator) -> PixelImage {
        let op = Op(rawValue: rng.nextInt(below: Op.allCases.count))!
        var m = magnitude(op, bin: rng.nextInt(below: bins))
        if isSigned(op) && rng.nextInt(below: 2) == 1 { m = -m }
        return apply(op, image, magnitude: m)
    }

    public static func apply(_ op: Op, _ image: PixelImage, magnitude m: Double) -> PixelImage {
        let black = [UInt8](repeating: 0, count: image.channels)
        switch op {
        case .identity: return image
        // torchvision shears by atan(m) degrees about (0, 0): the PIL matrix is (1, m, 0, 0, 1, 0).
        case .shearX: return AffineOps.shearX(image, factor: m, filter: .nearest, fill: black)
        case .shearY: return AffineOps.shearY(image, factor: m, filter: .nearest, fill: black)
        // torchvision translates by int(m) pixels: the inverse map samples at x − int(m).
        case .translateX: return AffineOps.translateX(image, pixels: -Double(Int(m)), filter: .nearest, fill: black)
        case .translateY: return AffineOps.translateY(image, pixels: -Double(Int(m)), filter: .nearest, fill: black)
        case .rotate: return AffineOps.rotate(image, degrees: m, filter: .nearest, fill: black)
        case .brightness: return ColorOps.brightness(image, factor: 1 + m)
        case .color: return ColorOps.color(image, factor: 1 + m)
        case .contrast: return ColorOps.contrast(image, factor: 1 + m)
        case .sharpness: return ColorOps.sharpness(image, factor: 1 + m)
        case .posterize: return ColorOps.posterize(image, bits: Int(m))
        case .solarize: return ColorOps.solarize(image, threshold: m)
        case .autoContrast: return ColorOps.autoContrast(image)
        case .equalize: return ColorOps.equalize(image)
        }
    }
}
