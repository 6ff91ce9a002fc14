// Heatmap overlays: an attention map (patch grid) is normalised to [0, 1], upsampled bilinearly to
// the image size, coloured and alpha-blended over the image. Also image conversions and scaling.

import FileFormats

/// How an attention map is drawn over an image.
public struct OverlayStyle: Equatable, Sendable {
    public var colormap: Colormap
    /// Weight of the heatmap colour in the blend: out = (1 − alpha)·image + alpha·colour.
    public var alpha: Float
    public var normalisation: MapNormalisation

    public init(colormap: Colormap = .jet, alpha: Float = 0.5, normalisation: MapNormalisation = .minMax) {
        self.colormap = colormap
        self.alpha = alpha
        self.normalisation = normalisation
    }
}

public enum Overlay {
    /// `map` (any size, usually the patch grid) normalised at its own resolution, resized bilinearly
    /// to the image, coloured and blended. The result has the image's size.
    public static func blend(_ map: ScalarMap, over image: RGBImage, style: OverlayStyle = OverlayStyle()) -> RGBImage {
        let unit = map.normalised(style.normalisation)
        let resized = (unit.width == image.width && unit.height == image.height)
            ? unit : unit.resizedBilinear(width: image.width, height: image.height)
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        let a = Swift.min(Swift.max(style.alpha, 0), 1)
        let table = style.colormap.table
        table.withUnsafeBufferPointer { lut in
            image.pixels.withUnsafeBufferPointer { src in
                pixels.withUnsafeMutableBufferPointer { dst in
                    for p in 0..<(image.width * image.height) {
                        let c = 3 * Colormap.index(resized.values[p])
                        dst[3 * p] = mix(src[3 * p], lut[c], a)
                        dst[3 * p + 1] = mix(src[3 * p + 1], lut[c + 1], a)
                        dst[3 * p + 2] = mix(src[3 * p + 2], lut[c + 2], a)
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// The map alone as a colour image of `width`×`height` (bilinear), e.g. for a legend-free heatmap.
    public static func heatmap(_ map: ScalarMap, width: Int, height: Int, style: OverlayStyle = OverlayStyle()) -> RGBImage {
        let unit = map.normalised(style.normalisation)
        let resized = (unit.width == width && unit.height == height) ? unit : unit.resizedBilinear(width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            let (r, g, b) = style.colormap.rgb(resized.values[p])
            pixels[3 * p] = r; pixels[3 * p + 1] = g; pixels[3 * p + 2] = b
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Nearest-neighbour scaling, so small inputs (32×32) stay crisp when shown large.
    public static func scaledNearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let sy = Swift.min(y * image.height / height, image.height - 1)
            for x in 0..<width {
                let sx = Swift.min(x * image.width / width, image.width - 1)
                for c in 0..<3 { pixels[(y * width + x) * 3 + c] = image.pixels[(sy * image.width + sx) * 3 + c] }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A `[C, H, W]` Float image with values in [0, 1] (clamped) as RGB bytes; one channel is grey.
    /// - Throws: `InterpretError` unless C is 1 or 3 and the count matches.
    public static func image(chw values: [Float], channels: Int, height: Int, width: Int) throws -> RGBImage {
        guard channels == 1 || channels == 3, values.count == channels * height * width, height > 0, width > 0 else {
            throw InterpretError("image of \(values.count) values: expected [C, H, W] with C 1 or 3, got C \(channels), H \(height), W \(width)")
        }
        var pixels = [UInt8](repeating: 0, count: height * width * 3)
        let plane = height * width
        for p in 0..<plane {
            for c in 0..<3 {
                let v = values[(channels == 1 ? 0 : c) * plane + p]
                pixels[3 * p + c] = UInt8((Swift.min(Swift.max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @inline(__always)
    static func mix(_ base: UInt8, _ colour: UInt8, _ alpha: Float) -> UInt8 {
        UInt8(((1 - alpha) * Float(base) + alpha * Float(colour)).rounded())
    }
}
