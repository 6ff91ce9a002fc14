// HDF5 files made by h5py (committed fixture, Scripts/make_fileformats_fixtures.py) read back
// correctly, including conversions and clean errors for what we cannot read; and, when asked via
// VITTRAIN_INTEROP_DIR, Swift-written HDF5 and safetensors files for the Python checks in Scripts/.
import Foundation
import XCTest
import FileFormats

/// Path of a committed fixture under Tests/Fixtures/FileFormats.
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/FileFormats/\(name)").path
}

final class HDF5InteropTests: XCTestCase {
    func testReadsH5pyWrittenFile() throws {
        let path = fixturePath("h5py_written.h5")
        let f = try HDF5File.open(path)
        XCTAssertEqual(try f.children(of: "/"), ["group", "half", "images", "labels", "lzf", "names"])
        XCTAssertEqual(try f.stringAttribute("format"), "made-by-h5py")
        XCTAssertEqual(try f.stringAttribute("fixed"), "fixed-ascii")
        XCTAssertEqual(try f.intAttribute("count"), 42)
        XCTAssertEqual(try f.doubleAttribute("scale"), 0.5)
        XCTAssertEqual(try f.doublesAttribute("history"), [1.0, 0.5, 0.25])
        XCTAssertEqual(try f.attributeNames(), ["count", "fixed", "format", "history", "scale"])

        let images = try f.readUInt8("images")
        XCTAssertEqual(images.shape, [4, 2, 2, 3])
        var expected: [UInt8] = []
        for n in 0..<4 { for p in 0..<4 { for c in 0..<3 { expected.append(UInt8(10 * n + 3 * p + c)) } } }
        XCTAssertEqual(images.values, expected)
        XCTAssertEqual(try f.readUInt8Rows("images", range: 2..<4), Array(expected[24...]))
        XCTAssertEqual(try f.readInt64("labels").values, [3, 1, 4, 1])
        XCTAssertEqual(try f.readFloats("labels").values, [3, 1, 4, 1])
        XCTAssertEqual(try f.elementType(of: "half"), .other, "float16 is not one of our element types")
        XCTAssertEqual(try f.readFloats("half").values, [1.5, -2.0, 0.099975586], "HDF5 converts float16 on read")
        XCTAssertEqual(try f.readFloats("group/sub/x").values, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try f.readFloats("group/sub/x").shape, [2, 3])
        // h5py's LZF filter is not in libhdf5: a clear error, not a crash.
        assertFileError(try f.readFloats("lzf"), file: path, contains: ["dataset '/lzf' uses compression filter 32000 (lzf)", "lacks"])
        assertFileError(try f.readFloats("names"), file: path, contains: ["'/names' does not hold integers or floats"])
    }

    /// Writes `$VITTRAIN_INTEROP_DIR/swift_written.h5` and `swift_written.safetensors` for
    /// Scripts/check_hdf5_interop.py and Scripts/check_safetensors_interop.py.
    func testWriteInteropFileWhenAsked() throws {
        guard let dir = ProcessInfo.processInfo.environment["VITTRAIN_INTEROP_DIR"] else {
            throw XCTSkip("set VITTRAIN_INTEROP_DIR to write files for the Python interop checks in Scripts/")
        }
        let f = try HDF5File.create(dir + "/swift_written.h5")
        try f.setAttribute("format", "vittrain-checkpoint")
        try f.setAttribute("config", "{\"note\": \"ünïcødé\"}")
        try f.setAttribute("epoch", 7)
        try f.setAttribute("lr", 0.001)
        try f.setAttribute("losses", [2.0, 1.5])
        try f.setAttribute("steps", [Int64(10), 20])
        try f.write((0..<24).map(Float.init), shape: [2, 3, 4], to: "model/blocks.0.attn.qkv.weight", compression: 4)
        try f.write([UInt8(1), 2, 3], shape: [3], to: "probe/labels")
        try f.write([Float(0.5)], shape: [], to: "scalar")
        try f.setAttribute("unit", "nats", on: "probe/labels")
        try Safetensors.write([("head.weight", [2, 3], (0..<6).map { Float($0) / 4 }), ("cls_token", [1, 1, 2], [-1, 1e-8]),
                               ("empty", [0], [])],
                              metadata: ["format": "pt", "note": "ünïcødé"], to: dir + "/swift_written.safetensors")
    }
}
