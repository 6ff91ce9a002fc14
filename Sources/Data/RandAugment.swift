// RandAugment from a timm config string (rand_augment_transform): "rand-m9-mstd0.5-inc1" means
// magnitude 9, magnitude noise σ 0.5, the "increasing" op set; also n (ops per image), p (each
// op's probability), mmax (magnitude clip), t (transform set: "weights" for timm's weighted
// choice). Ops are drawn uniformly with replacement, or by weight without replacement.

/// A parsed RandAugment policy.
public struct RandAugment: Codable, Equatable, Sendable {
    public var ops: [AugmentOp]
    public var numLayers: Int
    /// Choice weights (summing to 1) when the transform set is weighted.
    public var weights: [Double]?
    public var magnitudeStd: Double
    public var magnitudeMax: Double?

    /// timm's _RAND_TRANSFORMS.
    public static let standardOps: [AugmentOpName] = [
        .autoContrast, .equalize, .invert, .rotate, .posterize, .solarize, .solarizeAdd, .color, .contrast,
        .brightness, .sharpness, .shearX, .shearY, .translateXRel, .translateYRel]
    /// timm's _RAND_INCREASING_TRANSFORMS.
    public static let increasingOps: [AugmentOpName] = [
        .autoContrast, .equalize, .invert, .rotate, .posterizeIncreasing, .solarizeIncreasing, .solarizeAdd,
        .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing, .shearX, .shearY,
        .translateXRel, .translateYRel]
    /// timm's _RAND_WEIGHTED_0 ("tweights").
    public static let weightedOps: [(AugmentOpName, Double)] = [
        (.rotate, 3), (.shearX, 2), (.shearY, 2), (.translateXRel, 1), (.translateYRel, 1),
        (.colorIncreasing, 0.25), (.sharpnessIncreasing, 0.25), (.autoContrast, 0.25),
        (.solarizeIncreasing, 0.05), (.solarizeAdd, 0.05), (.contrastIncreasing, 0.05),
        (.brightnessIncreasing, 0.05), (.equalize, 0.05), (.posterizeIncreasing, 0.05), (.invert, 0.05)]

    /// Parses a timm RandAugment string. Throws, naming `key` and the bad section, on anything
    /// timm would reject.
    public init(config: String, key: String = "data.auto_augment") throws {
        func fail(_ why: String) -> DatasetError {
            DatasetError(file: key, message: "\"\(config)\": \(why); expected e.g. \"rand-m9-mstd0.5-inc1\" (sections m, n, p, mstd, mmax, inc, t)")
        }
        let sections = config.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard sections.first == "rand" else { throw fail("a RandAugment string starts with \"rand\"") }
        var magnitude = 10.0, layers = 2, prob = 0.5, std = 0.0, increasing = false
        var maximum: Double?, set: String?
        for section in sections.dropFirst() {
            if section.hasPrefix("t") {
                set = String(section.dropFirst())
                continue
            }
            // timm splits at the first digit: "mstd0.5" → ("mstd", "0.5"); no digit → ignored.
            guard let digit = section.firstIndex(where: { $0.isNumber }) else { continue }
            let name = String(section[..<digit]), value = String(section[digit...])
            switch name {
            case "mstd":
                guard let v = Double(value), v >= 0 else { throw fail("mstd \(value) is not a non-negative number") }
                std = v > 100 ? .infinity : v
            case "mmax":
                guard let v = Int(value) else { throw fail("mmax \(value) is not an integer") }
                maximum = Double(v)
            case "inc":
                guard let v = Int(value) else { throw fail("inc \(value) is not an integer") }
                increasing = v != 0
            case "m":
                guard let v = Int(value) else { throw fail("magnitude m\(value) is not an integer") }
                magnitude = Double(v)
            case "n":
                guard let v = Int(value), v >= 0 else { throw fail("n\(value) is not a non-negative integer") }
                layers = v
            case "p":
                guard let v = Double(value), v >= 0, v <= 1 else { throw fail("p\(value) is not a probability") }
                prob = v
            default:
                throw fail("unknown section \"\(section)\"")
            }
        }
        var names = increasing ? RandAugment.increasingOps : RandAugment.standardOps
        var weights: [Double]?
        switch set {
        case nil: break
        case "weights"?:
            names = RandAugment.weightedOps.map(\.0)
            let total = RandAugment.weightedOps.reduce(0) { $0 + $1.1 }
            weights = RandAugment.weightedOps.map { $0.1 / total }
            if layers > names.count { throw fail("n\(layers) is more than the \(names.count) weighted ops (drawn without replacement)") }
        case let other?:
            throw fail("transform set \"t\(other)\" is not supported (only \"tweights\")")
        }
        ops = names.map { AugmentOp($0, prob: prob, magnitude: magnitude) }
        numLayers = layers
        self.weights = weights
        magnitudeStd = std
        magnitudeMax = maximum
    }

    /// The op indices for one image: uniform with replacement, or weighted without replacement
    /// (numpy's choice: each draw renormalises the remaining weights).
    public func choose(rng: inout RandomGenerator) -> [Int] {
        guard var remaining = weights else {
            return (0..<numLayers).map { _ in rng.nextInt(below: ops.count) }
        }
        var picks: [Int] = []
        for _ in 0..<numLayers {
            let total = remaining.reduce(0, +)
            var u = Double(rng.nextFloat()) * total
            var pick = remaining.lastIndex(where: { $0 > 0 }) ?? 0
            for (i, w) in remaining.enumerated() where w > 0 {
                if u < w { pick = i; break }
                u -= w
            }
            picks.append(pick)
            remaining[pick] = 0
        }
        return picks
    }

    /// Applies `numLayers` chosen ops in turn.
    public func callAsFunction(_ image: PixelImage, _ hp: AugmentHyperparameters, rng: inout RandomGenerator) -> PixelImage {
        var params = hp
        params.magnitudeStd = magnitudeStd
        params.magnitudeMax = magnitudeMax
        var out = image
        for index in choose(rng: &rng) { out = ops[index](out, params, rng: &rng) }
        return out
    }
}
