// The colour and tone ops of timm's auto_augment.py, with PIL's uint8 semantics: ImageOps
// (invert, solarize, posterize, autocontrast, equalize) as lookup tables, timm's solarize_add,
// and ImageEnhance (colour, contrast, brightness, sharpness) as PIL's Image.blend of the image
// with a "degenerate" image: out = trunc(degenerate + factor·(image − degenerate)), clipped to 0…255.

public enum ColorOps {
    static let identity: [UInt8] = (0..<256).map { UInt8($0) }

    /// 255 − x (ImageOps.invert).
    public static func invert(_ image: PixelImage) -> PixelImage {
        image.applying(luts: [identity.map { 255 - $0 }])
    }

    /// Values at or above `threshold` are inverted (ImageOps.solarize).
    public static func solarize(_ image: PixelImage, threshold: Double) -> PixelImage {
        image.applying(luts: [identity.map { Double($0) < threshold ? $0 : 255 - $0 }])
    }

    /// Values below `threshold` get `add` added, saturating at 255 (timm's solarize_add).
    public static func solarizeAdd(_ image: PixelImage, add: Int, threshold: Int = 128) -> PixelImage {
        image.applying(luts: [identity.map { Int($0) < threshold ? UInt8(min(255, Int($0) + add)) : $0 }])
    }

    /// Keeps the top `bits` bits (ImageOps.posterize); 8 or more leaves the image as it is.
    public static func posterize(_ image: PixelImage, bits: Int) -> PixelImage {
        guard bits < 8 else { return image }
        let mask = UInt8(truncatingIfNeeded: ~((1 << (8 - max(0, bits))) - 1))
        return image.applying(luts: [identity.map { $0 & mask }])
    }

    /// Stretches each channel so its darkest value becomes 0 and its lightest 255 (ImageOps.autocontrast, cutoff 0).
    public static func autoContrast(_ image: PixelImage) -> PixelImage {
        let luts = image.histograms().map { h -> [UInt8] in
            guard let lo = h.firstIndex(where: { $0 > 0 }), let hi = h.lastIndex(where: { $0 > 0 }), hi > lo else {
                return identity
            }
            let scale = 255.0 / Double(hi - lo), offset = -Double(lo) * scale
            return (0..<256).map { UInt8(max(0, min(255, Int(Double($0) * scale + offset)))) }
        }
        return image.applying(luts: luts)
    }

    /// Histogram equalisation per channel (ImageOps.equalize): PIL's integer step of
    /// (pixels − count of the last used level) // 255, starting half a step in.
    public static func equalize(_ image: PixelImage) -> PixelImage {
        let luts = image.histograms().map { h -> [UInt8] in
            let used = h.filter { $0 > 0 }
            guard used.count > 1 else { return identity }
            let step = (used.reduce(0, +) - used.last!) / 255
            guard step > 0 else { return identity }
            var n = step / 2
            return (0..<256).map { i in
                let value = UInt8(min(255, n / step))
                n += h[i]
                return value
            }
        }
        return image.applying(luts: luts)
    }

    /// PIL's Image.blend(degenerate, image, factor) on uint8: interpolation truncates, and
    /// extrapolation (factor outside [0, 1]) also clips.
    static func blend(_ degenerate: [UInt8], _ image: PixelImage, factor: Double) -> PixelImage {
        var out = image
        let alpha = Float(factor)
        for i in 0..<image.pixels.count {
            let a = Int(degenerate[i]), b = Int(image.pixels[i])
            let value = Float(a) + alpha * Float(b - a)
            out.pixels[i] = value <= 0 ? 0 : value >= 255 ? 255 : UInt8(value)
        }
        return out
    }

    /// Blends towards the image's gray version (ImageEnhance.Color; 0 = gray, 1 = unchanged).
    public static func color(_ image: PixelImage, factor: Double) -> PixelImage {
        guard image.channels == 3 else { return image }
        let gray = image.luma()
        return blend(gray + gray + gray, image, factor: factor)
    }

    /// Blends towards a flat image at the mean luma, rounded (ImageEnhance.Contrast).
    public static func contrast(_ image: PixelImage, factor: Double) -> PixelImage {
        let luma = image.luma()
        let mean = Double(luma.reduce(0) { $0 + Int($1) }) / Double(max(1, luma.count))
        let level = UInt8(Int(mean + 0.5))
        return blend([UInt8](repeating: level, count: image.pixels.count), image, factor: factor)
    }

    /// Blends towards black (ImageEnhance.Brightness).
    public static func brightness(_ image: PixelImage, factor: Double) -> PixelImage {
        blend([UInt8](repeating: 0, count: image.pixels.count), image, factor: factor)
    }

    /// Blends towards PIL's SMOOTH filter of the image (ImageEnhance.Sharpness): the 3×3 kernel
    /// [1 1 1; 1 5 1; 1 1 1]/13, rounded, with the one-pixel border copied unfiltered.
    public static func sharpness(_ image: PixelImage, factor: Double) -> PixelImage {
        blend(smooth(image), image, factor: factor)
    }

    static func smooth(_ image: PixelImage) -> [UInt8] {
        var out = image.pixels
        let (h, w) = (image.height, image.width)
        guard h > 2, w > 2 else { return out }
        let k: [Float] = [1, 1, 1, 1, 5, 1, 1, 1, 1].map { $0 / 13 }
        for c in 0..<image.channels {
            let base = c * h * w
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    var sum: Float = 0.5
                    // PIL sums row y+1 first with kernel[0…2]; the kernel is symmetric.
                    for (row, dy) in [1, 0, -1].enumerated() {
                        let r = base + (y + dy) * w + x
                        sum += Float(image.pixels[r - 1]) * k[row * 3] + Float(image.pixels[r]) * k[row * 3 + 1]
                            + Float(image.pixels[r + 1]) * k[row * 3 + 2]
                    }
                    out[base + y * w + x] = sum <= 0 ? 0 : sum >= 255 ? 255 : UInt8(sum)
                }
            }
        }
        return out
    }
}
