// The layer animation of the page as an animated PNG (APNG, plays in every current browser and
// falls back to its first frame elsewhere): each frame a PNG encoded by libpng, its IDAT data
// re-wrapped as fdAT after an fcTL frame header, with acTL announcing the frame count.

import Foundation
import FileFormats

public enum LayerAnimation {
    /// APNG bytes of `frames` (all the same size), each shown `delayMilliseconds`, looping forever.
    public static func encode(_ frames: [RGBImage], delayMilliseconds: Int = 700) throws -> Data {
        guard let first = frames.first, frames.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw InterpretError("layer animation: expected one or more frames of one size")
        }
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var sequence: UInt32 = 0
        for (index, frame) in frames.enumerated() {
            let chunks = try Self.chunks(PNG.encode(frame))
            if index == 0 {
                for chunk in chunks where chunk.type == "IHDR" { append(&out, "IHDR", chunk.data) }
                append(&out, "acTL", be32(UInt32(frames.count)) + be32(0))
            }
            // fcTL: sequence, size, offset 0,0, delay numerator/denominator, dispose none, blend source.
            append(&out, "fcTL", be32(sequence) + be32(UInt32(frame.width)) + be32(UInt32(frame.height)) + be32(0) + be32(0)
                   + be16(UInt16(clamping: delayMilliseconds)) + be16(1000) + [0, 0])
            sequence += 1
            for chunk in chunks where chunk.type == "IDAT" {
                if index == 0 {
                    append(&out, "IDAT", chunk.data)
                } else {
                    append(&out, "fdAT", be32(sequence) + chunk.data)
                    sequence += 1
                }
            }
        }
        append(&out, "IEND", [])
        return out
    }

    static func chunks(_ png: Data) throws -> [(type: String, data: [UInt8])] {
        let bytes = [UInt8](png)
        var result: [(String, [UInt8])] = []
        var i = 8
        while i + 12 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard i + 12 + length <= bytes.count else { throw InterpretError("layer animation: libpng wrote a truncated chunk") }
            result.append((String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self), Array(bytes[(i + 8)..<(i + 8 + length)])))
            i += 12 + length
        }
        return result
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static func append(_ out: inout Data, _ type: String, _ data: [UInt8]) {
        let typed = Array(type.utf8) + data
        out.append(contentsOf: be32(UInt32(data.count)) + typed + be32(crc32(typed)))
    }

    /// CRC-32 (ISO 3309, as PNG), over the chunk type and data.
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
