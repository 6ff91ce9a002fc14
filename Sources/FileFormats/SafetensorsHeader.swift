// Parsing and validation of a safetensors header: the length prefix, the JSON entries, and the
// byte ranges (in range, matching shape × dtype size, no overlap, no gap, no trailing bytes).
import Foundation

/// A JSON value as found in the header, decoded without Foundation's loose number bridging
/// (so `true` is never taken for 1 and 2.5 never for 2).
enum HeaderJSON: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([HeaderJSON]), object([String: HeaderJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .int(value); return }
        if let value = try? container.decode(Double.self) { self = .double(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([HeaderJSON].self) { self = .array(value); return }
        self = .object(try container.decode([String: HeaderJSON].self))
    }

    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

struct SafetensorsHeader {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        /// Byte range relative to the start of the data section.
        let begin: Int
        let end: Int
    }

    let entries: [Entry]
    let metadata: [String: String]
    /// Absolute byte offset of the data section (8 + header length).
    let dataStart: Int

    static func parse(_ data: Data, file: String) throws -> SafetensorsHeader {
        func fail(_ message: String) -> FileFormatError { FileFormatError(file: file, message: message) }
        guard data.count >= 8 else {
            throw fail("file is \(data.count) bytes; a safetensors file starts with an 8-byte header length")
        }
        let declared = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(data.count - 8) else {
            throw fail("header length \(declared) (bytes 0..<8) exceeds the \(data.count - 8) bytes after it; file truncated or not safetensors")
        }
        guard declared <= UInt64(Safetensors.maximumHeaderBytes) else {
            throw fail("header length \(declared) exceeds the \(Safetensors.maximumHeaderBytes)-byte limit")
        }
        let headerLength = Int(declared)
        let dataStart = 8 + headerLength
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail("header (bytes 8..<\(dataStart)) is not a JSON object; it must start with '{'")
        }
        let root: HeaderJSON
        do {
            root = try JSONDecoder().decode(HeaderJSON.self, from: headerBytes)
        } catch {
            throw fail("header (bytes 8..<\(dataStart)) is not valid JSON")
        }
        guard case .object(let fields) = root else { throw fail("header (bytes 8..<\(dataStart)) is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for key in fields.keys.sorted() {
            let value = fields[key]!
            if key == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("'__metadata__' is \(value.kind); expected an object of strings") }
                for (k, v) in pairs {
                    guard case .string(let s) = v else { throw fail("'__metadata__' value for '\(k)' is \(v.kind); expected a string") }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try parseEntry(key, value, fail: fail))
        }

        // Byte ranges: inside the data section, sized by shape × dtype, tiling it exactly.
        let dataLength = data.count - dataStart
        for entry in entries {
            guard entry.end <= dataLength else {
                throw fail("key '\(entry.name)': data_offsets [\(entry.begin), \(entry.end)] reach past the \(dataLength)-byte data section; file truncated?")
            }
            if let size = Safetensors.dtypeSizes[entry.dtype] {
                var (needed, overflow) = (size, false)
                for dim in entry.shape where !overflow { (needed, overflow) = needed.multipliedReportingOverflow(by: dim) }
                guard !overflow, needed == entry.end - entry.begin else {
                    throw fail("key '\(entry.name)': data_offsets [\(entry.begin), \(entry.end)] span \(entry.end - entry.begin) bytes but shape \(entry.shape) of \(entry.dtype) needs \(overflow ? "more" : String(needed))")
                }
            }
        }
        var position = 0
        var previous: Entry? = nil
        for entry in entries.sorted(by: { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }) {
            if entry.begin < position, let previous {
                throw fail("key '\(entry.name)' (bytes \(entry.begin)..<\(entry.end)) overlaps key '\(previous.name)' (bytes \(previous.begin)..<\(previous.end)) in the data section")
            }
            if entry.begin > position {
                throw fail("bytes \(position)..<\(entry.begin) of the data section belong to no tensor (before key '\(entry.name)')")
            }
            position = entry.end
            previous = entry
        }
        if position != dataLength {
            throw fail("data section has \(dataLength - position) bytes after the last tensor (at byte \(dataStart + position)); expected none")
        }
        return SafetensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    private static func parseEntry(_ key: String, _ value: HeaderJSON, fail: (String) -> FileFormatError) throws -> Entry {
        guard case .object(let info) = value else {
            throw fail("key '\(key)' is \(value.kind); expected an object with dtype, shape and data_offsets")
        }
        for field in ["dtype", "shape", "data_offsets"] where info[field] == nil {
            throw fail("key '\(key)' lacks '\(field)'")
        }
        guard case .string(let dtype) = info["dtype"]! else { throw fail("key '\(key)': 'dtype' is \(info["dtype"]!.kind); expected a string") }
        guard case .array(let dims) = info["shape"]! else { throw fail("key '\(key)': 'shape' is \(info["shape"]!.kind); expected an array of integers") }
        var shape: [Int] = []
        for dim in dims {
            guard case .int(let n) = dim, n >= 0 else {
                throw fail("key '\(key)': 'shape' holds \(dim.kind == "a number" ? "a negative or fractional number" : dim.kind); expected non-negative integers")
            }
            shape.append(n)
        }
        guard case .array(let offsets) = info["data_offsets"]!, offsets.count == 2,
              case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, end >= begin else {
            throw fail("key '\(key)': 'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end")
        }
        return Entry(name: key, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
