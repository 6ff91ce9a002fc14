// The built-in quick-start dataset: one coloured shape (6 classes) on a textured background,
// with its object mask. Samples are rendered lazily and independently: sample i is drawn from a
// generator seeded by (seed, split, i), so any sample costs O(H·W) and is reproducible alone.
//
// Colour, area and position are drawn from the same distributions for every class, so neither the
// mean colour nor the amount of foreground gives the class away; only the outline does.

import Foundation

public final class SyntheticShapesDataset: ImageDataset {
    /// The six shape classes, index = label.
    public static let shapeNames = ["circle", "square", "triangle", "cross", "ring", "diamond"]

    public let count: Int
    public let imageSize: Int
    public let seed: UInt64
    public let split: Split
    public let channels = 3
    public var height: Int { imageSize }
    public var width: Int { imageSize }
    public var classNames: [String] { Self.shapeNames }
    /// Maps [0, 1] to [-1, 1]; the backgrounds are centred near 0.5 by construction.
    public var defaultNormalization: (mean: [Float], std: [Float]) { NormalizationDefaults.half }

    /// `count` samples of `imageSize`×`imageSize`; labels cycle through the classes (balanced).
    /// Train and test draw from different streams of the same seed.
    public init(count: Int, imageSize: Int = 32, seed: UInt64, split: Split) {
        precondition(count >= 0 && imageSize >= 8, "synthetic dataset needs count ≥ 0 and imageSize ≥ 8, got \(count), \(imageSize)")
        self.count = count
        self.imageSize = imageSize
        self.seed = seed
        self.split = split
    }

    /// The label of sample i without rendering it.
    public func label(at index: Int) -> Int { index % Self.shapeNames.count }

    public func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        let r = render(index)
        return (r.pixels, r.label)
    }

    public func mask(at index: Int) -> [Float]? {
        render(index).mask
    }

    /// Pixels (CHW in [0, 1]), the H×W mask (1 inside the shape) and the label of sample i.
    public func render(_ index: Int) -> (pixels: [Float], mask: [Float], label: Int) {
        precondition(index >= 0 && index < count, "synthetic index \(index) out of range 0..<\(count)")
        let label = label(at: index)
        var rng = RandomGenerator(seed: Self.mix(seed, split == .train ? 0x7472_6169_6E00 : 0x7465_7374_0000, UInt64(index)))
        let s = imageSize
        let size = Float(s)
        func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * rng.nextFloat() }

        // Background: a base colour plus a faint, tinted texture (smooth waves or stripes).
        let background = (0..<3).map { _ in uniform(0.15, 0.85) }
        let stripes = rng.nextFloat() < 0.5
        let waveCount = stripes ? 1 : 3
        var waves: [(fx: Float, fy: Float, phase: Float, amplitude: Float)] = []
        for _ in 0..<waveCount {
            let angle = uniform(0, 2 * .pi)
            let cycles = stripes ? uniform(3, 6) : uniform(0.5, 2.5)
            let k = 2 * Float.pi * cycles / size
            waves.append((k * cos(angle), k * sin(angle), uniform(0, 2 * .pi), stripes ? uniform(0.03, 0.06) : uniform(0.02, 0.04)))
        }
        let tint = (0..<3).map { _ in uniform(0.5, 1.0) }

        // Foreground colour: any colour whose luminance differs enough from the background's.
        func luminance(_ c: [Float]) -> Float { 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] }
        var foreground = (0..<3).map { _ in rng.nextFloat() }
        var tries = 0
        while abs(luminance(foreground) - luminance(background)) < 0.3 && tries < 64 {
            foreground = (0..<3).map { _ in rng.nextFloat() }
            tries += 1
        }
        if abs(luminance(foreground) - luminance(background)) < 0.3 {
            foreground = luminance(background) > 0.5 ? [0.05, 0.05, 0.05] : [0.95, 0.95, 0.95]
        }

        // Geometry: the area (a fraction of the image) is drawn first, each shape's size follows
        // from it, so the foreground fraction does not depend on the class.
        let area = uniform(0.18, 0.30) * size * size
        let shape = Shape(label: label, area: area)
        let margin = shape.extent + 1  // keeps a clear one-pixel border
        let cx = margin < size - margin ? uniform(margin, size - margin) : size / 2
        let cy = margin < size - margin ? uniform(margin, size - margin) : size / 2
        let noiseSeed = rng.next()

        var pixels = [Float](repeating: 0, count: 3 * s * s)
        var mask = [Float](repeating: 0, count: s * s)
        var noise = RandomGenerator(seed: noiseSeed)
        let sub = 4  // 4×4 supersampling gives anti-aliased edges
        for y in 0..<s {
            for x in 0..<s {
                var inside = 0
                for sy in 0..<sub {
                    for sx in 0..<sub {
                        let px = Float(x) + (Float(sx) + 0.5) / Float(sub) - cx
                        let py = Float(y) + (Float(sy) + 0.5) / Float(sub) - cy
                        if shape.contains(px, py) { inside += 1 }
                    }
                }
                let coverage = Float(inside) / Float(sub * sub)
                mask[y * s + x] = coverage >= 0.5 ? 1 : 0
                var texture: Float = 0
                for w in waves { texture += w.amplitude * sin(w.fx * Float(x) + w.fy * Float(y) + w.phase) }
                let grain = 0.015 * noise.nextNormal()
                for c in 0..<3 {
                    let bg = background[c] + tint[c] * texture
                    let value = bg * (1 - coverage) + foreground[c] * coverage + grain
                    pixels[c * s * s + y * s + x] = min(1, max(0, value))
                }
            }
        }
        return (pixels, mask, label)
    }

    /// SplitMix64-style mixing of (seed, stream, index) into one well-spread seed.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        func finalise(_ v: UInt64) -> UInt64 {
            var z = v &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return finalise(finalise(finalise(a) ^ b) ^ c)
    }
}

/// An axis-aligned shape centred at the origin, sized so its area is `area` square pixels.
private struct Shape {
    let label: Int
    let size: Float     // radius, half-side or circumradius, by class
    let inner: Float    // ring hole radius, cross arm half-width
    /// Half the width of the bounding box (keeps the shape inside the image).
    let extent: Float

    init(label: Int, area: Float) {
        self.label = label
        switch label {
        case 0:  // circle: π r²
            size = (area / .pi).squareRoot(); inner = 0; extent = size
        case 1:  // square with half-side h: 4h²
            size = area.squareRoot() / 2; inner = 0; extent = size
        case 2:  // equilateral triangle with circumradius R: (3√3/4) R²
            size = (area / (3 * Float(3).squareRoot() / 4)).squareRoot(); inner = 0; extent = size
        case 3:  // plus sign with arm half-length h and half-width 0.2h: 8·0.2h² − (0.4h)² = 1.44h²
            // (thin arms: with 0.3h a small ViT confused the cross with the square)
            size = (area / 1.44).squareRoot(); inner = 0.2 * size
            extent = size
        case 4:  // ring with outer radius R and hole 0.6R: 0.64πR²
            size = (area / (0.64 * .pi)).squareRoot(); inner = 0.6 * size; extent = size
        default:  // diamond (square turned 45°) with half-diagonal h: 2h²
            size = (area / 2).squareRoot(); inner = 0; extent = size
        }
    }

    func contains(_ x: Float, _ y: Float) -> Bool {
        switch label {
        case 0: return x * x + y * y <= size * size
        case 1: return abs(x) <= size && abs(y) <= size
        case 2:
            // Apex up (image y grows downwards): inside all three edges, each at the inradius R/2
            // along the outward normal opposite a vertex.
            let r = size / 2
            let h: Float = Float(3).squareRoot() / 2
            return y <= r && (-0.5 * y + h * x) <= r && (-0.5 * y - h * x) <= r
        case 3:
            return (abs(x) <= inner && abs(y) <= size) || (abs(y) <= inner && abs(x) <= size)
        case 4:
            let d = x * x + y * y
            return d <= size * size && d >= inner * inner
        default:
            return abs(x) + abs(y) <= size
        }
    }
}
