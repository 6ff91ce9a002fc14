// The geometric ops of timm's auto_augment.py (rotate, shear x/y, translate x/y) as PIL's
// Image.transform(AFFINE): output pixel (x, y) samples the input at
// (a·(x+½) + b·(y+½) + c, d·(x+½) + e·(y+½) + f); samples outside the image take the fill colour.
// Filters are PIL's transform filters: nearest (PIL's fixed-point / scale paths), bilinear, and
// bicubic with a = −1 (not resize's −0.5), edge pixels clamped, results truncated to uint8.

import Foundation

/// PIL's resampling filter for affine transforms.
public enum ResampleFilter: String, Sendable, CaseIterable {
    case nearest, bilinear, bicubic
}

public enum AffineOps {
    /// Image.transform(size, AFFINE, matrix, resample, fillcolor).
    public static func transform(_ image: PixelImage, matrix m: [Double], filter: ResampleFilter,
                                 fill: [UInt8]) -> PixelImage {
        precondition(m.count == 6, "affine matrix needs 6 coefficients, got \(m.count)")
        var out = PixelImage(channels: image.channels, height: image.height, width: image.width, fill: fill)
        let (h, w, plane) = (image.height, image.width, image.planeSize)
        if filter == .nearest {
            nearest(image, matrix: m, into: &out)
            return out
        }
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                for x in 0..<w {
                    let xo = Double(x) + 0.5, yo = Double(y) + 0.5
                    let xin = m[0] * xo + m[1] * yo + m[2]
                    let yin = m[3] * xo + m[4] * yo + m[5]
                    guard xin >= 0, xin < Double(w), yin >= 0, yin < Double(h) else { continue }
                    for c in 0..<image.channels {
                        let channel = UnsafeBufferPointer(rebasing: src[(c * plane)..<((c + 1) * plane)])
                        out.pixels[c * plane + y * w + x] = sample(channel, width: w, height: h,
                                                                   x: xin, y: yin, filter: filter)
                    }
                }
            }
        }
        return out
    }

    /// PIL's nearest-neighbour affine paths: a pure scale/translation steps a double along each
    /// axis (ImagingScaleAffine); anything else walks in 16.16 fixed point (affine_fixed), whose
    /// rounding decides which pixel an edge sample takes.
    private static func nearest(_ image: PixelImage, matrix a: [Double], into out: inout PixelImage) {
        let (h, w, plane) = (image.height, image.width, image.planeSize)
        func copy(_ y: Int, _ x: Int, _ yin: Int, _ xin: Int) {
            for c in 0..<image.channels { out.pixels[c * plane + y * w + x] = image.pixels[c * plane + yin * w + xin] }
        }
        func coord(_ v: Double) -> Int { v < 0 ? -1 : Int(v) }
        if a[1] == 0 && a[3] == 0 {
            var xo = a[2] + a[0] * 0.5
            var xs = [Int](repeating: -1, count: w)
            for x in 0..<w { xs[x] = coord(xo); xo += a[0] }
            var yo = a[5] + a[4] * 0.5
            for y in 0..<h {
                let yi = coord(yo)
                yo += a[4]
                guard yi >= 0 && yi < h else { continue }
                for x in 0..<w where xs[x] >= 0 && xs[x] < w { copy(y, x, yi, xs[x]) }
            }
            return
        }
        func fix(_ v: Double) -> Int { Int(floor(v * 65536 + 0.5)) }
        let a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4])
        var a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5), a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5)
        for y in 0..<h {
            var xx = a2, yy = a5
            for x in 0..<w {
                let xin = xx >> 16, yin = yy >> 16
                if xin >= 0 && xin < w && yin >= 0 && yin < h { copy(y, x, yin, xin) }
                xx += a0
                yy += a3
            }
            a2 += a1
            a5 += a4
        }
    }

    private static func sample(_ p: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int,
                               x xin: Double, y yin: Double, filter: ResampleFilter) -> UInt8 {
        func at(_ x: Int, _ y: Int) -> Double { Double(p[y * w + min(max(x, 0), w - 1)]) }
        switch filter {
        case .nearest:
            return p[Int(yin) * w + Int(xin)]   // not reached: nearest takes PIL's own paths above
        case .bilinear:
            let xs = xin - 0.5, ys = yin - 0.5
            let x = Int(floor(xs)), y = Int(floor(ys))
            let dx = xs - Double(x), dy = ys - Double(y)
            let row0 = min(max(y, 0), h - 1)
            var v1 = at(x, row0) + (at(x + 1, row0) - at(x, row0)) * dx
            // PIL clamps the first row index but repeats the row when the second falls outside.
            let v2 = y + 1 >= 0 && y + 1 < h ? at(x, y + 1) + (at(x + 1, y + 1) - at(x, y + 1)) * dx : v1
            v1 = v1 + (v2 - v1) * dy
            return UInt8(v1)
        case .bicubic:
            let xs = xin - 0.5, ys = yin - 0.5
            let x = Int(floor(xs)) - 1, y = Int(floor(ys)) - 1
            let dx = xs - floor(xs), dy = ys - floor(ys)
            func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ d: Double) -> Double {
                let p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4
                return p1 + d * (p2 + d * (p3 + d * p4))
            }
            func row(_ r: Int) -> Double { cubic(at(x, r), at(x + 1, r), at(x + 2, r), at(x + 3, r), dx) }
            let v1 = row(min(max(y, 0), h - 1))
            let v2 = y + 1 >= 0 && y + 1 < h ? row(y + 1) : v1
            let v3 = y + 2 >= 0 && y + 2 < h ? row(y + 2) : v2
            let v4 = y + 3 >= 0 && y + 3 < h ? row(y + 3) : v3
            let v = cubic(v1, v2, v3, v4, dy)
            return v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
        }
    }

    /// PIL's Image.rotate(degrees) about the centre (w/2, h/2), counter-clockwise, same size.
    public static func rotate(_ image: PixelImage, degrees: Double, filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        // Python's modulo: the angle is taken in [0, 360), as PIL does, before the matrix.
        var angle = degrees.truncatingRemainder(dividingBy: 360)
        if angle < 0 { angle += 360 }
        if angle == 0 { return image }
        let radians = -angle * Double.pi / 180
        // PIL rounds the matrix to 15 decimals so that right angles come out exact.
        func round15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        var m = [round15(cos(radians)), round15(sin(radians)), 0, round15(-sin(radians)), round15(cos(radians)), 0]
        let cx = Double(image.width) / 2, cy = Double(image.height) / 2
        m[2] = m[0] * -cx + m[1] * -cy + cx
        m[5] = m[3] * -cx + m[4] * -cy + cy
        return transform(image, matrix: m, filter: filter, fill: fill)
    }

    /// timm's shear_x: matrix (1, factor, 0, 0, 1, 0).
    public static func shearX(_ image: PixelImage, factor: Double, filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        transform(image, matrix: [1, factor, 0, 0, 1, 0], filter: filter, fill: fill)
    }

    /// timm's shear_y: matrix (1, 0, 0, factor, 1, 0).
    public static func shearY(_ image: PixelImage, factor: Double, filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        transform(image, matrix: [1, 0, 0, factor, 1, 0], filter: filter, fill: fill)
    }

    /// timm's translate_x_abs: the output at x samples the input at x + pixels.
    public static func translateX(_ image: PixelImage, pixels: Double, filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        transform(image, matrix: [1, 0, pixels, 0, 1, 0], filter: filter, fill: fill)
    }

    /// timm's translate_y_abs.
    public static func translateY(_ image: PixelImage, pixels: Double, filter: ResampleFilter, fill: [UInt8]) -> PixelImage {
        transform(image, matrix: [1, 0, 0, 0, 1, pixels], filter: filter, fill: fill)
    }
}
