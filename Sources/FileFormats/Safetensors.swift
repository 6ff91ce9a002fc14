// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data
// section (offsets relative to its start). Reads F32/F16/BF16 as Float; writes F32. Validates all.
import Foundation

/// One tensor read from a safetensors file, converted to Float.
public struct SafetensorsTensor {
    public let name: String
    /// The stored dtype: "F32", "F16" or "BF16".
    public let dtype: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, dtype: String, shape: [Int], values: [Float]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }
}

public enum Safetensors {
    /// Headers larger than this are refused, as the reference implementation does.
    static let maximumHeaderBytes = 100_000_000

    /// Element sizes of the dtypes the format defines; only F32, F16 and BF16 are converted.
    static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// Reads every tensor (F32, F16 and BF16, converted to Float) and the `__metadata__` strings.
    /// Any other dtype is an error naming the key, unless `skippingUnsupportedDTypes` is true,
    /// in which case those tensors are left out (their offsets are still validated).
    public static func read(_ path: String, skippingUnsupportedDTypes: Bool = false) throws
        -> (tensors: [String: SafetensorsTensor], metadata: [String: String]) {
        try decode(try mappedFile(path), name: path, skippingUnsupportedDTypes: skippingUnsupportedDTypes)
    }

    private static func mappedFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw FileFormatError(file: path, message: "no such file")
            }
            if isDirectory.boolValue { throw FileFormatError(file: path, message: "is a directory, expected a .safetensors file") }
            throw FileFormatError(file: path, message: "cannot read file: \((error as NSError).localizedDescription)")
        }
    }

    /// Decodes safetensors bytes (see `read`); `name` is used in error messages.
    public static func decode(_ data: Data, name: String, skippingUnsupportedDTypes: Bool = false) throws
        -> (tensors: [String: SafetensorsTensor], metadata: [String: String]) {
        let header = try SafetensorsHeader.parse(data, file: name)
        var tensors: [String: SafetensorsTensor] = [:]
        for entry in header.entries {
            guard ["F32", "F16", "BF16"].contains(entry.dtype) else {
                if skippingUnsupportedDTypes { continue }
                throw FileFormatError(file: name, message: "key '\(entry.name)' has dtype \(entry.dtype); expected F32, F16 or BF16")
            }
            let begin = header.dataStart + entry.begin
            let count = entry.shape.reduce(1, *)
            let values: [Float] = data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[begin..<(begin + entry.end - entry.begin)])
                return decodeValues(bytes, dtype: entry.dtype, count: count)
            }
            tensors[entry.name] = SafetensorsTensor(name: entry.name, dtype: entry.dtype, shape: entry.shape, values: values)
        }
        return (tensors, header.metadata)
    }

    /// Writes F32 tensors (data in the given order; header keys sorted, padded with spaces to a
    /// multiple of 8 bytes) and optional `__metadata__`, atomically. Tensors stream to disk one by
    /// one, so a large model is not copied into one big buffer first.
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                             metadata: [String: String] = [:], to path: String) throws {
        let header = try encodeHeader(tensors, metadata: metadata, name: path)
        try AtomicFile.write(to: path) { temporary in
            let writer = try FileWriter(path: temporary, reportAs: path)
            defer { writer.close() }
            try header.withUnsafeBytes { try writer.append($0) }
            for tensor in tensors { try appendLittleEndian(tensor.values) { try writer.append($0) } }
        }
    }

    /// The bytes `write` would store.
    public static func encode(_ tensors: [(name: String, shape: [Int], values: [Float])],
                              metadata: [String: String] = [:], name: String = "<safetensors>") throws -> Data {
        var out = try encodeHeader(tensors, metadata: metadata, name: name)
        for tensor in tensors { appendLittleEndian(tensor.values) { out.append(contentsOf: $0) } }
        return out
    }

    /// Hands `sink` the values as little-endian Float32 bytes (no copy on little-endian hosts).
    private static func appendLittleEndian(_ values: [Float], _ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        #if _endian(little)
        try values.withUnsafeBytes(sink)
        #else
        try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes(sink)
        #endif
    }

    /// The 8-byte length prefix and the padded JSON header for `tensors`, after validating them.
    private static func encodeHeader(_ tensors: [(name: String, shape: [Int], values: [Float])],
                                     metadata: [String: String], name: String) throws -> Data {
        var seen = Set<String>()
        var offsets: [String: (Int, Int)] = [:]
        var shapes: [String: [Int]] = [:]
        var cursor = 0
        for tensor in tensors {
            guard !tensor.name.isEmpty, tensor.name != "__metadata__" else {
                throw FileFormatError(file: name, message: "tensor name '\(tensor.name)' is not allowed")
            }
            guard seen.insert(tensor.name).inserted else {
                throw FileFormatError(file: name, message: "tensor '\(tensor.name)' is given twice")
            }
            if let bad = tensor.shape.first(where: { $0 < 0 }) {
                throw FileFormatError(file: name, message: "tensor '\(tensor.name)' has negative dimension \(bad) in shape \(tensor.shape)")
            }
            let count = tensor.shape.reduce(1, *)
            guard count == tensor.values.count else {
                throw FileFormatError(file: name, message:
                    "tensor '\(tensor.name)': shape \(tensor.shape) holds \(count) values but \(tensor.values.count) were given")
            }
            offsets[tensor.name] = (cursor, cursor + 4 * count)
            shapes[tensor.name] = tensor.shape
            cursor += 4 * count
        }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for key in offsets.keys.sorted() {
            let (begin, end) = offsets[key]!
            let shape = shapes[key]!.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(key)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}")
        }
        var headerBytes = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        // The data section starts 8-byte aligned, so readers can map F32/F64 tensors in place.
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        return out
    }

    /// Name, dtype and shape of every tensor (any dtype), sorted by name, plus the metadata,
    /// without converting any data. The file is validated exactly as by `read`.
    public static func inspect(_ path: String) throws
        -> (entries: [(name: String, dtype: String, shape: [Int])], metadata: [String: String]) {
        let data = try mappedFile(path)
        let header = try SafetensorsHeader.parse(data, file: path)
        return (header.entries.map { ($0.name, $0.dtype, $0.shape) }, header.metadata)
    }

    // MARK: conversions

    static func decodeValues(_ bytes: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            switch dtype {
            case "F32":
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case "F16":
                for i in 0..<count { out[i] = floatFromHalf(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default:  // BF16: the top 16 bits of a Float32
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            }
        }
        return values
    }

    /// IEEE 754 binary16 → Float, exactly (subnormals, infinities and NaN included).
    public static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {  // Inf / NaN: keep the payload
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {  // zero or subnormal: mantissa × 2^-24
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
    }

    /// A JSON string literal for `s`.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
