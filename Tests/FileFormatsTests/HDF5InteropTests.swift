// HDF5 files made by h5py (committed fixture, Scripts/make_fileformats_fixtures.py) read back
// correctly, including conversions and clean errors for what we cannot read; and Swift-written
// HDF5 files read back in h5py (Debian's python3-h5py, run by the test). The Swift-written
// safetensors file is kept for Scripts/check_safetensors_interop.py when VITTRAIN_INTEROP_DIR
// names a directory (the reference `safetensors` package is a pip install, not a system one).
import Foundation
import XCTest
import FileFormats
import SharedTestHelpers

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

    /// Writes `swift_written.h5` and `swift_written.safetensors` (into `$VITTRAIN_INTEROP_DIR`
    /// when set, else a temporary directory), reads both back, and has h5py check the HDF5 file
    /// with Scripts/check_hdf5_interop.py.
    func testSwiftWrittenFilesReadBackHereAndInH5py() throws {
        let keep = ProcessInfo.processInfo.environment["VITTRAIN_INTEROP_DIR"]
        let dir = try keep ?? makeTemporaryDirectory(name)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let h5 = dir + "/swift_written.h5", st = dir + "/swift_written.safetensors"
        do {
            let f = try HDF5File.create(h5)
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
            f.close()
        }
        try Safetensors.write([("head.weight", [2, 3], (0..<6).map { Float($0) / 4 }), ("cls_token", [1, 1, 2], [-1, 1e-8]),
                               ("empty", [0], [])],
                              metadata: ["format": "pt", "note": "ünïcødé"], to: st)

        let f = try HDF5File.open(h5)
        XCTAssertEqual(try f.stringAttribute("config"), "{\"note\": \"ünïcødé\"}")
        XCTAssertEqual(try f.int64sAttribute("steps"), [10, 20])
        XCTAssertEqual(try f.readFloats("model/blocks.0.attn.qkv.weight").values, (0..<24).map(Float.init))
        XCTAssertEqual(try f.readUInt8("probe/labels").values, [1, 2, 3])
        f.close()
        let (tensors, metadata) = try Safetensors.read(st)
        XCTAssertEqual(tensors["cls_token"]?.values, [-1, 1e-8])
        XCTAssertEqual(tensors["empty"]?.shape, [0])
        XCTAssertEqual(metadata["note"], "ünïcødé")

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/check_hdf5_interop.py").path
        let (status, output) = try runProcess("/usr/bin/python3", [script, h5])
        XCTAssertEqual(status, 0, "h5py could not read \(h5) (install python3-h5py, README set-up): \(output)")
        XCTAssertTrue(output.contains("OK"), output)
    }
}
