// IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed: a big-endian header
// (two zero bytes, a type byte, the number of dimensions, then each dimension as UInt32) and
// the elements. Only unsigned bytes (type 0x08) are read, which is what image datasets use.

import Foundation

public enum IDXFile {
    /// Magic numbers of the two files a dataset uses.
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads a uint8 IDX file with the expected magic number; gzip is detected from the content.
    /// `what` describes the file in errors ("IDX images", "IDX labels").
    public static func read(_ path: String, expectedMagic: UInt32, what: String) throws -> (dims: [Int], bytes: [UInt8]) {
        var bytes = try FileBytes.read(path)
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, name: path) }
        guard bytes.count >= 4 else {
            throw DatasetError(file: path, message: "only \(bytes.count) bytes; expected an \(what) file (header of at least 4 bytes)")
        }
        let magic = bigEndian(bytes, 0)
        guard magic == expectedMagic else {
            throw DatasetError(file: path, message: "wrong magic number \(hex(magic)); expected \(hex(expectedMagic)) (\(what))")
        }
        let rank = Int(magic & 0xFF)
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DatasetError(file: path, message: "truncated header: \(bytes.count) bytes; expected \(headerSize) for \(rank) dimensions")
        }
        let dims = (0..<rank).map { Int(bigEndian(bytes, 4 + 4 * $0)) }
        // A corrupt header can claim dimensions whose product overflows Int: count with overflow
        // checks (nil = too many), so the comparison below rejects it instead of trapping.
        let elements = dims.reduce(Int?(1)) { product, d in
            product.flatMap { p in let (r, overflow) = p.multipliedReportingOverflow(by: d); return overflow ? nil : r }
        }
        let available = bytes.count - headerSize
        guard let elements, elements == available else {
            let shape = dims.map(String.init).joined(separator: "×")
            throw DatasetError(file: path, message: "\(available) data bytes; expected \(elements.map(String.init) ?? "more than \(Int.max)") for shape \(shape)\(available < (elements ?? Int.max) ? " (truncated)" : "")")
        }
        bytes.removeFirst(headerSize)
        return (dims, bytes)
    }

    /// Serialises a uint8 IDX file (header + bytes), for tests and tools.
    public static func encode(dims: [Int], bytes: [UInt8]) -> [UInt8] {
        precondition(dims.reduce(1, *) == bytes.count, "IDX dims \(dims) hold \(dims.reduce(1, *)) elements, got \(bytes.count)")
        var out: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return out + bytes
    }

    static func bigEndian(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
