// Mixup (Zhang et al. 2017) and CutMix (Yun et al. 2019) with timm's `Mixup` semantics, on a
// batch the loader has built: λ ~ Beta(α, α) per batch, pair or element, applied with `prob`,
// CutMix instead of mixup with `switch_prob` when both are on; each image i mixes with image
// B−1−i (the flipped batch). Targets are soft: smoothed one-hot·λ + flipped·(1−λ).
// Shape legend: B = batch, C = channels, H = height, W = width, K = classes.

import Foundation

/// timm's Mixup arguments (`mixup`, `cutmix`, `cutmix_minmax`, `mixup_prob`,
/// `mixup_switch_prob`, `mixup_mode`, `smoothing`; correct_lam as timm's default, on).
public struct MixupOptions: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, CaseIterable, Sendable { case batch, pair, elem }
    public var mixupAlpha: Double
    public var cutmixAlpha: Double
    /// When set, CutMix boxes take a side fraction uniform in [min, max) and cutmix_alpha is 1.
    public var cutmixMinMax: [Double]?
    public var prob = 1.0
    public var switchProb = 0.5
    public var mode = Mode.batch
    public var correctLam = true
    public var labelSmoothing = 0.1
    public var numClasses: Int

    public init(mixupAlpha: Double, cutmixAlpha: Double, cutmixMinMax: [Double]? = nil, numClasses: Int) {
        self.mixupAlpha = mixupAlpha
        self.cutmixAlpha = cutmixMinMax == nil ? cutmixAlpha : 1
        self.cutmixMinMax = cutmixMinMax
        self.numClasses = numClasses
    }
}

/// The random outcome for one image (or the whole batch in batch mode).
public struct MixDraw: Equatable, Sendable {
    /// λ as drawn (1 = left alone); CutMix replaces it with the kept area when correct_lam is on.
    public var lam: Double
    public var useCutmix: Bool
    /// CutMix box rows yl..<yh, columns xl..<xh.
    public var box: (yl: Int, yh: Int, xl: Int, xh: Int)?

    public init(lam: Double, useCutmix: Bool, box: (yl: Int, yh: Int, xl: Int, xh: Int)? = nil) {
        self.lam = lam
        self.useCutmix = useCutmix
        self.box = box
    }

    public static func == (a: MixDraw, b: MixDraw) -> Bool {
        a.lam == b.lam && a.useCutmix == b.useCutmix && a.box.map { [$0.yl, $0.yh, $0.xl, $0.xh] } == b.box.map { [$0.yl, $0.yh, $0.xl, $0.xh] }
    }
}

public enum Mixup {
    /// timm's rand_bbox for a box centred at (cy, cx): side √(1−λ)·size, clipped to the image.
    public static func centeredBox(height: Int, width: Int, lam: Double, cy: Int, cx: Int) -> (yl: Int, yh: Int, xl: Int, xh: Int) {
        let ratio = (1 - lam).squareRoot()
        let cutH = Int(Double(height) * ratio), cutW = Int(Double(width) * ratio)
        func clip(_ v: Int, _ hi: Int) -> Int { min(max(v, 0), hi) }
        return (clip(cy - cutH / 2, height), clip(cy + (cutH + 1) / 2, height),
                clip(cx - cutW / 2, width), clip(cx + (cutW + 1) / 2, width))
    }

    /// The λ that matches the box's area (correct_lam): 1 − box area / image area.
    public static func correctedLam(height: Int, width: Int, box: (yl: Int, yh: Int, xl: Int, xh: Int)) -> Double {
        1 - Double((box.yh - box.yl) * (box.xh - box.xl)) / Double(height * width)
    }

    /// One draw as timm's _params_per_batch / _params_per_elem, then the CutMix box.
    public static func draw(_ o: MixupOptions, height: Int, width: Int, rng: inout RandomGenerator) -> MixDraw {
        guard Double(rng.nextFloat()) < o.prob else { return MixDraw(lam: 1, useCutmix: false) }
        var useCutmix = false
        var lam: Double
        if o.mixupAlpha > 0 && o.cutmixAlpha > 0 {
            useCutmix = Double(rng.nextFloat()) < o.switchProb
            lam = beta(useCutmix ? o.cutmixAlpha : o.mixupAlpha, rng: &rng)
        } else if o.mixupAlpha > 0 {
            lam = beta(o.mixupAlpha, rng: &rng)
        } else {
            useCutmix = true
            lam = beta(o.cutmixAlpha, rng: &rng)
        }
        guard useCutmix else { return MixDraw(lam: lam, useCutmix: false) }
        let box: (yl: Int, yh: Int, xl: Int, xh: Int)
        if let minmax = o.cutmixMinMax {
            // timm's rand_bbox_minmax: side fractions uniform in [min, max), corner uniform.
            func side(_ size: Int) -> Int {
                let lo = Int(Double(size) * minmax[0]), hi = Int(Double(size) * minmax[1])
                return hi > lo ? lo + rng.nextInt(below: hi - lo) : lo
            }
            let cutH = side(height), cutW = side(width)
            let yl = rng.nextInt(below: max(1, height - cutH + 1)), xl = rng.nextInt(below: max(1, width - cutW + 1))
            box = (yl, yl + cutH, xl, xl + cutW)
        } else {
            box = centeredBox(height: height, width: width, lam: lam,
                              cy: rng.nextInt(below: height), cx: rng.nextInt(below: width))
        }
        if o.correctLam || o.cutmixMinMax != nil { lam = correctedLam(height: height, width: width, box: box) }
        return MixDraw(lam: lam, useCutmix: true, box: box)
    }

    /// The draws for a batch of `count`: one shared (batch), one per pair mirrored, or one each.
    public static func draws(_ o: MixupOptions, count: Int, height: Int, width: Int, rng: inout RandomGenerator) -> [MixDraw] {
        switch o.mode {
        case .batch:
            return [MixDraw](repeating: draw(o, height: height, width: width, rng: &rng), count: count)
        case .elem:
            return (0..<count).map { _ in draw(o, height: height, width: width, rng: &rng) }
        case .pair:
            let half = (0..<(count / 2)).map { _ in draw(o, height: height, width: width, rng: &rng) }
            // An odd batch's middle image would mix with itself; it is left alone.
            let middle = count % 2 == 1 ? [MixDraw(lam: 1, useCutmix: false)] : []
            return half + middle + half.reversed()
        }
    }

    /// Mixes `pixels` [B, C, H, W] in place: image i with image B−1−i of the unmixed batch.
    /// In pair mode both images of a pair use the same draw.
    public static func mix(_ pixels: inout [Float], count: Int, channels: Int, height: Int, width: Int,
                           draws: [MixDraw]) {
        let original = pixels
        let per = channels * height * width
        for i in 0..<count where draws[i].lam != 1 || draws[i].useCutmix {
            let j = count - 1 - i
            let d = draws[i]
            if d.useCutmix, let box = d.box {
                for c in 0..<channels {
                    for y in box.yl..<box.yh {
                        let row = c * height * width + y * width
                        for x in box.xl..<box.xh { pixels[i * per + row + x] = original[j * per + row + x] }
                    }
                }
            } else {
                let lam = Float(d.lam), rest = Float(1 - d.lam)
                for k in 0..<per { pixels[i * per + k] = original[i * per + k] * lam + original[j * per + k] * rest }
            }
        }
    }

    /// timm's mixup_target: smoothed one-hot (off = ε/K, on = 1 − ε + ε/K), mixed with the
    /// flipped batch's by each image's λ. Returns [B, K] row-major.
    public static func targets(labels: [Int], lams: [Double], numClasses k: Int, smoothing: Double) -> [Float] {
        let off = Float(smoothing / Double(k)), on = Float(1 - smoothing) + off
        let n = labels.count
        var out = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            let lam = Float(lams[i]), rest = Float(1 - lams[i])
            for c in 0..<k {
                let y1: Float = labels[i] == c ? on : off
                let y2: Float = labels[n - 1 - i] == c ? on : off
                out[i * k + c] = y1 * lam + y2 * rest
            }
        }
        return out
    }

    /// Beta(α, α) from two Gamma(α) draws.
    public static func beta(_ alpha: Double, rng: inout RandomGenerator) -> Double {
        let x = gamma(alpha, rng: &rng), y = gamma(alpha, rng: &rng)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 boosted by U^(1/shape).
    static func gamma(_ shape: Double, rng: inout RandomGenerator) -> Double {
        if shape < 1 {
            var u = Double(rng.nextFloat())
            while u <= 0 { u = Double(rng.nextFloat()) }
            return gamma(shape + 1, rng: &rng) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = Double(rng.nextNormal())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double(rng.nextFloat())
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if u > 0, log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
