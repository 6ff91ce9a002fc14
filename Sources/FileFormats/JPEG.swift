// JPEG images with libjpeg-turbo (TurboJPEG): decode to 8-bit RGB, as PIL's
// `Image.open(p).convert("RGB")` (PIL links the same library), then apply the EXIF orientation
// (tag 0x0112) so phone photos stand upright, as `ImageOps.exif_transpose` does.
import CJPEG
import Foundation

public enum JPEG {
    /// Reads a JPEG file as 8-bit RGB, upright according to its EXIF orientation.
    public static func read(_ path: String) throws -> RGBImage {
        try decode(try ImageFile.contents(of: path, expected: "a JPEG file"), name: path)
    }

    /// Decodes JPEG bytes (see `read`); `name` is used in error messages.
    public static func decode(_ data: Data, name: String) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else {
                return vt_jpeg_decode_rgb8(nil, 0, &pixels, &width, &height, &message, message.count)
            }
            return vt_jpeg_decode_rgb8(base.assumingMemoryBound(to: UInt8.self), UInt(raw.count),
                                       &pixels, &width, &height, &message, message.count)
        }
        guard status == 0, let pixels else {
            let reason = String(cString: message)
            throw FileFormatError(file: name, message: "cannot decode JPEG: \(reason.isEmpty ? "unknown libjpeg-turbo error" : reason)")
        }
        defer { free(pixels) }
        let image = RGBImage(width: Int(width), height: Int(height),
                             pixels: Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 3)))
        return oriented(image, orientation: exifOrientation(data))
    }

    /// The EXIF orientation (1…8) from the APP1 segment, or 1 when there is none or it is malformed.
    static func exifOrientation(_ data: Data) -> Int {
        let bytes = [UInt8](data.prefix(1 << 16))
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if marker == 0xDA || length < 2 { break }   // start of scan: no more metadata
            let start = i + 4, end = min(bytes.count, i + 2 + length)
            if marker == 0xE1, end - start > 14, Array(bytes[start..<(start + 6)]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
                return tiffOrientation(Array(bytes[(start + 6)..<end])) ?? 1
            }
            i += 2 + length
        }
        return 1
    }

    /// Orientation tag of IFD0 in a TIFF header (either byte order).
    static func tiffOrientation(_ t: [UInt8]) -> Int? {
        guard t.count >= 8 else { return nil }
        let little = t[0] == 0x49
        func u16(_ o: Int) -> Int? { o + 2 <= t.count ? (little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])) : nil }
        func u32(_ o: Int) -> Int? { guard let a = u16(o), let b = u16(o + 2) else { return nil }; return little ? a | b << 16 : a << 16 | b }
        guard let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for e in 0..<entries {
            let o = ifd + 2 + 12 * e
            guard let tag = u16(o) else { return nil }
            if tag == 0x0112, let value = u16(o + 8), (1...8).contains(value) { return value }
        }
        return nil
    }

    /// Applies an EXIF orientation: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
    /// 7 transverse, 8 rotate 90° counter-clockwise.
    static func oriented(_ image: RGBImage, orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return image }
        let w = image.width, h = image.height
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        for y in 0..<oh {
            for x in 0..<ow {
                // Source pixel of output (x, y).
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                case 4: (sx, sy) = (x, h - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, h - 1 - x)
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                default: (sx, sy) = (w - 1 - y, x)
                }
                for c in 0..<3 { out[(y * ow + x) * 3 + c] = image.pixels[(sy * w + sx) * 3 + c] }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}
