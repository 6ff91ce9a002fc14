// PNG images with libpng: decode any PNG (gray, gray+alpha, RGB, RGBA, palette; 1–16 bits) to
// 8-bit RGB, and encode 8-bit RGB or RGBA. Reading drops alpha like PIL's convert("RGB").
import CPNG
import Foundation

/// An 8-bit RGB image: `pixels` holds width × height × 3 bytes, interleaved RGB, row-major.
public struct RGBImage: Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: max(0, width * height * 3)))
    }
}

public enum PNG {
    /// Reads a PNG file as 8-bit RGB. Gray is replicated to R=G=B, palettes expand, 16-bit
    /// samples keep their high byte, and alpha (or tRNS transparency) is dropped — the same
    /// pixels as PIL's `Image.open(p).convert("RGB")` for 8-bit files. Gamma chunks are ignored.
    public static func read(_ path: String) throws -> RGBImage {
        try decode(try ImageFile.contents(of: path, expected: "a PNG file"), name: path)
    }

    /// Decodes PNG bytes (see `read`); `name` is used in error messages.
    public static func decode(_ data: Data, name: String) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: UInt32 = 0
        var height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else {
                return vt_png_decode_rgb8(nil, 0, &pixels, &width, &height, &message, message.count)
            }
            return vt_png_decode_rgb8(base.assumingMemoryBound(to: UInt8.self), raw.count,
                                      &pixels, &width, &height, &message, message.count)
        }
        guard status == 0, let pixels else {
            let reason = String(cString: message)
            throw FileFormatError(file: name, message: "cannot decode PNG: \(reason.isEmpty ? "unknown libpng error" : reason)")
        }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * 3
        return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes an RGB image as PNG bytes.
    public static func encode(_ image: RGBImage) throws -> Data {
        try encode(pixels: image.pixels, width: image.width, height: image.height, channels: 3, name: "<RGB image>")
    }

    /// Writes an RGB image to `path` atomically.
    public static func write(_ image: RGBImage, to path: String) throws {
        let data = try encode(pixels: image.pixels, width: image.width, height: image.height, channels: 3, name: path)
        try AtomicFile.write(data, to: path)
    }

    /// Writes an 8-bit RGBA image (width × height × 4 bytes, not premultiplied) to `path` atomically.
    public static func write(rgba: [UInt8], width: Int, height: Int, to path: String) throws {
        let data = try encode(pixels: rgba, width: width, height: height, channels: 4, name: path)
        try AtomicFile.write(data, to: path)
    }

    /// Encodes an 8-bit RGBA image as PNG bytes.
    public static func encode(rgba: [UInt8], width: Int, height: Int) throws -> Data {
        try encode(pixels: rgba, width: width, height: height, channels: 4, name: "<RGBA image>")
    }

    private static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int, name: String) throws -> Data {
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24 else {
            throw FileFormatError(file: name, message: "cannot write a \(width)×\(height) PNG; both sides must be at least 1")
        }
        guard pixels.count == width * height * channels else {
            throw FileFormatError(file: name, message:
                "a \(width)×\(height) \(channels == 3 ? "RGB" : "RGBA") image needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)
        let rowStride = Int32(width * channels)
        var size = 0
        // First call measures, second call writes.
        let measured = pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, rowStride, nil)
        }
        guard measured != 0, size > 0 else { throw encodeError(&image, name) }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, rowStride, nil)
            }
        }
        guard written != 0 else { throw encodeError(&image, name) }
        png_image_free(&image)
        return Data(bytes.prefix(size))
    }

    private static func encodeError(_ image: inout png_image, _ name: String) -> FileFormatError {
        let reason = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        png_image_free(&image)
        return FileFormatError(file: name, message: "cannot encode PNG: \(reason.isEmpty ? "unknown libpng error" : reason)")
    }
}
