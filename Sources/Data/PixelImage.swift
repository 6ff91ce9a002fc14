// A uint8 image with planar channels [C, H, W]: the form timm's PIL-based augmentations work on.
// Loader images are floats in [0, 1]; they are rounded to uint8 before the PIL-style ops and
// divided by 255 after, as a PIL pipeline would see them (exact for uint8 datasets).

/// A uint8 image, channel planes one after another (C = 1 gray, C = 3 RGB).
public struct PixelImage: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// [C, H, W] values.
    public var pixels: [UInt8]

    public init(channels: Int, height: Int, width: Int, pixels: [UInt8]) {
        precondition(pixels.count == channels * height * width,
                     "PixelImage: \(pixels.count) values for \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// An image filled with one value per channel.
    public init(channels: Int, height: Int, width: Int, fill: [UInt8]) {
        var pixels = [UInt8](repeating: 0, count: channels * height * width)
        for c in 0..<channels {
            let value = fill[min(c, fill.count - 1)]
            for i in c * height * width..<(c + 1) * height * width { pixels[i] = value }
        }
        self.init(channels: channels, height: height, width: width, pixels: pixels)
    }

    /// From CHW floats in [0, 1] (clamped), rounded to the nearest of 256 levels.
    public init(floats: [Float], channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  pixels: floats.map { UInt8(Swift.max(0, Swift.min(255, ($0 * 255).rounded()))) })
    }

    /// CHW floats in [0, 1].
    public func floats() -> [Float] { pixels.map { Float($0) / 255 } }

    public var planeSize: Int { height * width }

    /// Applies one 256-entry lookup table per channel (PIL's `Image.point` / `_lut`).
    public func applying(luts: [[UInt8]]) -> PixelImage {
        var out = self
        let plane = planeSize
        for c in 0..<channels {
            let lut = luts[min(c, luts.count - 1)]
            for i in c * plane..<(c + 1) * plane { out.pixels[i] = lut[Int(pixels[i])] }
        }
        return out
    }

    /// One 256-bin histogram per channel.
    public func histograms() -> [[Int]] {
        let plane = planeSize
        return (0..<channels).map { c in
            var h = [Int](repeating: 0, count: 256)
            for i in c * plane..<(c + 1) * plane { h[Int(pixels[i])] += 1 }
            return h
        }
    }

    /// PIL's RGB → L conversion (ITU-R 601-2 luma in 16-bit fixed point, rounded); a gray
    /// image is its own luma.
    public func luma() -> [UInt8] {
        guard channels == 3 else { return Array(pixels[0..<planeSize]) }
        let plane = planeSize
        return (0..<plane).map { i in
            let r = UInt32(pixels[i]), g = UInt32(pixels[plane + i]), b = UInt32(pixels[2 * plane + i])
            return UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
    }
}
