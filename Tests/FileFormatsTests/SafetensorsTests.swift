// safetensors: round trip, the reference implementation's file (F32/F16/BF16 + metadata), exact
// F16/BF16 bit-pattern decoding, and one-line errors for each kind of malformed file.
import Foundation
import XCTest
import FileFormats

final class SafetensorsTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTemporaryDirectory(name) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testRoundTripKeepsShapesValuesAndMetadata() throws {
        let path = dir + "/model.safetensors"
        let w: [Float] = (0..<12).map { Float($0) * -0.5 + 0.125 }
        let tensors: [(name: String, shape: [Int], values: [Float])] = [
            ("patch_embed.proj.weight", [2, 1, 2, 3], w),
            ("cls_token", [1, 1, 3], [Float.greatestFiniteMagnitude, -Float.leastNonzeroMagnitude, .infinity]),
            ("scalar", [], [42]),
            ("empty", [0, 4], []),
            ("名前 \"quoted\"\\", [1], [7]),
        ]
        try Safetensors.write(tensors, metadata: ["format": "pt", "config": "{\"a\": 1}\n"], to: path)
        let (read, metadata) = try Safetensors.read(path)
        XCTAssertEqual(metadata, ["format": "pt", "config": "{\"a\": 1}\n"])
        XCTAssertEqual(Set(read.keys), Set(tensors.map(\.name)))
        for t in tensors {
            XCTAssertEqual(read[t.name]?.shape, t.shape, t.name)
            XCTAssertEqual(read[t.name]?.values, t.values, t.name)
            XCTAssertEqual(read[t.name]?.dtype, "F32", t.name)
        }
        // Layout: header length is a multiple of 8, data follows in the given order.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * (12 + 3 + 1 + 0 + 1))
        let firstValue = bytes[(8 + headerLength)..<(12 + headerLength)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        XCTAssertEqual(Float(bitPattern: firstValue), 0.125, "first tensor in the given order comes first")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["model.safetensors"])
    }

    func testWriteRejectsBadInput() throws {
        let path = dir + "/bad.safetensors"
        assertFileError(try Safetensors.write([("a", [2, 2], [1, 2, 3])], to: path), file: path, contains: ["'a': shape [2, 2] holds 4 values but 3"])
        assertFileError(try Safetensors.write([("a", [1], [1]), ("a", [1], [2])], to: path), file: path, contains: ["'a' is given twice"])
        assertFileError(try Safetensors.write([("__metadata__", [1], [1])], to: path), file: path, contains: ["not allowed"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testReadsReferenceImplementationFile() throws {
        // Written by safetensors.torch.save_file (Scripts/make_fileformats_fixtures.py).
        let (tensors, metadata) = try Safetensors.read(fixturePath("reference.safetensors"))
        XCTAssertEqual(metadata, ["format": "pt", "note": "made by safetensors.torch"])
        XCTAssertEqual(tensors["head.weight"]?.shape, [2, 3])
        XCTAssertEqual(tensors["head.weight"]?.values, [0, 0.25, 0.5, 0.75, 1, 1.25])
        XCTAssertEqual(tensors["blocks.0.norm1.weight"]?.dtype, "F16")
        XCTAssertEqual(tensors["blocks.0.norm1.weight"]?.values, [1, -2.5, 65504])
        XCTAssertEqual(tensors["pos_embed"]?.dtype, "BF16")
        XCTAssertEqual(tensors["pos_embed"]?.shape, [1, 1, 3])
        XCTAssertEqual(tensors["pos_embed"]?.values, [0.15625, -3.00405527047391e+38, 1])
        XCTAssertEqual(tensors["cls_token"]?.shape, [1, 1, 0])
        XCTAssertEqual(tensors["cls_token"]?.values, [])
    }

    func testHalfAndBFloat16BitPatterns() throws {
        let half: [(UInt16, Float)] = [
            (0x0000, 0), (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x3555, 0.333251953125),
            (0x0001, 5.9604645e-08), (0x03FF, 6.097555e-05), (0x0400, 6.1035156e-05), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in half { XCTAssertEqual(Safetensors.floatFromHalf(bits), value, String(bits, radix: 16)) }
        XCTAssertTrue(Safetensors.floatFromHalf(0x7E00).isNaN)
        XCTAssertEqual(Safetensors.floatFromHalf(0x8000).sign, .minus, "negative zero keeps its sign")

        // The same patterns through a whole file, F16 and BF16 side by side.
        let bf16: [(UInt16, Float)] = [(0x3F80, 1), (0xC049, -3.140625), (0x7F7F, 3.3895314e38), (0x0001, 9.18355e-41), (0xFF80, -.infinity)]
        var data = Data()
        for (bits, _) in half { withUnsafeBytes(of: bits.littleEndian) { data.append(contentsOf: $0) } }
        for (bits, _) in bf16 { withUnsafeBytes(of: bits.littleEndian) { data.append(contentsOf: $0) } }
        let header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[10],\"data_offsets\":[0,20]},\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[20,30]}}"
        let (tensors, _) = try Safetensors.decode(file(header: header, data: data), name: "mem")
        XCTAssertEqual(tensors["h"]?.values, half.map(\.1))
        XCTAssertEqual(tensors["b"]?.values, bf16.map(\.1))
    }

    /// A safetensors byte string with the given header text and data section.
    func file(header: String, data: Data = Data(), declaredLength: UInt64? = nil) -> Data {
        var out = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + Data(header.utf8) + data
    }

    func entry(_ name: String, _ dtype: String = "F32", _ shape: String, _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    func testMalformedFilesGiveOneLineErrors() throws {
        let path = dir + "/bad.safetensors"
        func check(_ bytes: Data, _ fragments: [String], line: UInt = #line) throws {
            try bytes.write(to: URL(fileURLWithPath: path))
            assertFileError(try Safetensors.read(path), file: path, contains: fragments, line: line)
        }
        let twelve = Data(repeating: 0, count: 12)
        try check(Data([1, 2, 3]), ["file is 3 bytes"])
        try check(file(header: "{}", declaredLength: 5000), ["header length 5000", "exceeds the 2 bytes after it"])
        try check(file(header: "{\"a\": [1, 2", data: Data()), ["is not valid JSON"])
        try check(file(header: "not json at all"), ["must start with '{'"])
        try check(file(header: "{\(entry("head.weight", "I64", "[3]", 0, 24))}", data: Data(repeating: 0, count: 24)),
                  ["key 'head.weight' has dtype I64; expected F32, F16 or BF16"])
        try check(file(header: "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,12]}}", data: twelve), ["key 'w' lacks 'shape'"])
        try check(file(header: "{\"w\":{\"shape\":[3],\"data_offsets\":[0,12]}}", data: twelve), ["key 'w' lacks 'dtype'"])
        try check(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[3]}}", data: twelve), ["key 'w' lacks 'data_offsets'"])
        try check(file(header: "{\"w\":[1,2]}", data: twelve), ["key 'w' is an array"])
        try check(file(header: "{\(entry("w", "F32", "[3, -1]", 0, 12))}", data: twelve), ["key 'w': 'shape'", "non-negative integers"])
        try check(file(header: "{\(entry("w", "F32", "[true]", 0, 12))}", data: twelve), ["key 'w': 'shape' holds a boolean"])
        try check(file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,0]}}", data: twelve), ["key 'w': 'data_offsets' must be [begin, end]"])
        try check(file(header: "{\(entry("w", "F32", "[3]", 0, 40))}", data: twelve), ["key 'w': data_offsets [0, 40] reach past the 12-byte data section"])
        try check(file(header: "{\(entry("w", "F32", "[2]", 0, 12))}", data: twelve), ["key 'w': data_offsets [0, 12] span 12 bytes but shape [2] of F32 needs 8"])
        try check(file(header: "{\(entry("a", "F32", "[2]", 0, 8)),\(entry("b", "F32", "[2]", 4, 12))}", data: twelve),
                  ["key 'b' (bytes 4..<12) overlaps key 'a' (bytes 0..<8)"])
        try check(file(header: "{\(entry("a", "F32", "[1]", 0, 4)),\(entry("b", "F32", "[1]", 8, 12))}", data: twelve),
                  ["bytes 4..<8 of the data section belong to no tensor (before key 'b')"])
        try check(file(header: "{\(entry("a", "F32", "[2]", 0, 8))}", data: twelve), ["4 bytes after the last tensor"])
        try check(file(header: "{\"__metadata__\":{\"k\":3}}"), ["'__metadata__' value for 'k' is a number; expected a string"])
        try check(file(header: "[1]"), ["must start with '{'"])
        // Deeply nested JSON must be rejected, not overflow the stack.
        try check(file(header: "{\"a\":" + String(repeating: "[", count: 200_000)), ["is not valid JSON"])
        // A real file cut short: the data section no longer covers the last tensor.
        let good = try Safetensors.encode([("a", [4], [1, 2, 3, 4]), ("b", [2], [5, 6])])
        try check(good.prefix(good.count - 3), ["key 'b'", "reach past", "file truncated?"])
        try check(good.prefix(20), ["exceeds the 12 bytes after it"])
        assertFileError(try Safetensors.read(dir + "/missing.safetensors"), file: dir + "/missing.safetensors", contains: ["no such file"])
    }

    func testSkippingUnsupportedDTypes() throws {
        var data = Data(repeating: 0, count: 8)  // I64 [1]
        data += Data([0, 0, 0x80, 0x3F])          // F32 1.0
        let bytes = file(header: "{\(entry("position_ids", "I64", "[1]", 0, 8)),\(entry("w", "F32", "[1]", 8, 12))}", data: data)
        assertFileError(try Safetensors.decode(bytes, name: "m"), file: "m", contains: ["key 'position_ids' has dtype I64"])
        let (tensors, _) = try Safetensors.decode(bytes, name: "m", skippingUnsupportedDTypes: true)
        XCTAssertEqual(Array(tensors.keys), ["w"])
        XCTAssertEqual(tensors["w"]?.values, [1])
    }

    func testInspectListsEveryDTypeWithoutConverting() throws {
        let (entries, metadata) = try Safetensors.inspect(fixturePath("reference.safetensors"))
        XCTAssertEqual(entries.map(\.name), ["blocks.0.norm1.weight", "cls_token", "head.weight", "pos_embed"])
        XCTAssertEqual(entries.map(\.dtype), ["F16", "F32", "F32", "BF16"])
        XCTAssertEqual(entries.map(\.shape), [[3], [1, 1, 0], [2, 3], [1, 1, 3]])
        XCTAssertEqual(metadata["format"], "pt")
        let path = dir + "/ints.safetensors"
        try file(header: "{\(entry("ids", "I64", "[2]", 0, 16))}", data: Data(repeating: 0, count: 16)).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try Safetensors.inspect(path).entries.map(\.dtype), ["I64"])
    }

    func testStreamingWriteMatchesEncode() throws {
        let tensors: [(name: String, shape: [Int], values: [Float])] = [("b", [3], [1, 2, 3]), ("a", [2, 2], [4, 5, 6, 7])]
        let path = dir + "/same.safetensors"
        try Safetensors.write(tensors, metadata: ["k": "v"], to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Safetensors.encode(tensors, metadata: ["k": "v"]))
    }
}
