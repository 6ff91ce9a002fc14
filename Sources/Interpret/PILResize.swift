// Image resizing with PIL's semantics (Image.resize, libImaging/Resample.c), which timm's eval
// transform uses through torchvision: separable convolution with the filter stretched by the
// downscale factor (antialiasing), horizontal pass then vertical, each rounded to 8 bits with
// PIL's 22-bit fixed-point coefficients — so the result equals PIL's byte for byte.

import FileFormats

/// The interpolation of a resize, by timm's `pretrained_cfg` names.
public enum Interpolation: String, CaseIterable, Codable, Sendable {
    case bilinear, bicubic

    var support: Double { self == .bilinear ? 1 : 2 }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:  // Keys' cubic with a = −0.5, as PIL
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

public enum PILResize {
    static let precisionBits = 32 - 8 - 2

    /// `image` resized to `width`×`height` exactly as PIL's `image.resize((width, height), filter)`.
    public static func resize(_ image: RGBImage, width: Int, height: Int, interpolation: Interpolation) -> RGBImage {
        var current = image
        if width != current.width { current = pass(current, outSize: width, horizontal: true, interpolation) }
        if height != current.height { current = pass(current, outSize: height, horizontal: false, interpolation) }
        return current
    }

    /// Per output index: the first source index and the fixed-point weights (ImagingResample's precompute_coeffs).
    static func coefficients(inSize: Int, outSize: Int, _ interpolation: Interpolation) -> [(start: Int, weights: [Int])] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = interpolation.support * filterScale
        return (0..<outSize).map { o in
            let center = (Double(o) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), inSize)
            var w = (lo..<hi).map { interpolation.weight((Double($0) - center + 0.5) / filterScale) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            let fixed = w.map { v -> Int in
                let s = v * Double(1 << precisionBits)
                return Int(s < 0 ? s - 0.5 : s + 0.5)
            }
            return (lo, fixed)
        }
    }

    static func pass(_ image: RGBImage, outSize: Int, horizontal: Bool, _ interpolation: Interpolation) -> RGBImage {
        let w = image.width, h = image.height
        let coeffs = coefficients(inSize: horizontal ? w : h, outSize: outSize, interpolation)
        let ow = horizontal ? outSize : w, oh = horizontal ? h : outSize
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        let half = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<oh {
                for x in 0..<ow {
                    let (start, weights) = coeffs[horizontal ? x : y]
                    for c in 0..<3 {
                        var sum = half
                        for (k, wk) in weights.enumerated() {
                            let index = horizontal ? (y * w + start + k) * 3 + c : ((start + k) * w + x) * 3 + c
                            sum += Int(src[index]) * wk
                        }
                        out[(y * ow + x) * 3 + c] = UInt8(clamping: sum >> precisionBits)
                    }
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}
