// HDF5File: round trips of every element type and rank, gzip, groups, attributes, overwrite,
// listing, row reads, type conversion on read, and clean one-line errors for bad files.
import Foundation
import XCTest
import FileFormats

final class HDF5Tests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTemporaryDirectory(name) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testRoundTripEveryTypeAndRank() throws {
        let path = dir + "/types.h5"
        let floats: [Float] = (0..<120).map { Float($0) * 0.25 - 7.5 }
        do {
            let f = try HDF5File.create(path)
            try f.write(floats, shape: [2, 3, 4, 5], to: "f32/4d")
            try f.write([Float(3.5)], shape: [], to: "f32/scalar")
            try f.write([Float](), shape: [0], to: "f32/empty")
            try f.write([Float](), shape: [3, 0, 2], to: "f32/empty3d")
            try f.write((0..<256).map { UInt8($0) }, shape: [16, 16], to: "u8")
            try f.write([Int64.min, -1, 0, 1, Int64.max], shape: [5], to: "i64")
            try f.write([Int32.min, -7, Int32.max], shape: [3], to: "i32")
            try f.write([Double.pi, -1e300, Double.leastNonzeroMagnitude], shape: [3, 1], to: "f64")
            try f.write([1, -2, 3], shape: [3], to: "int")  // Swift Int → int64
            f.close()
        }
        let f = try HDF5File.open(path)
        let r4 = try f.readFloats("f32/4d")
        XCTAssertEqual(r4.shape, [2, 3, 4, 5]); XCTAssertEqual(r4.values, floats)
        XCTAssertEqual(try f.readFloats("/f32/scalar").shape, [])
        XCTAssertEqual(try f.readFloats("f32/scalar").values, [3.5])
        XCTAssertEqual(try f.readFloats("f32/empty").shape, [0])
        XCTAssertEqual(try f.readFloats("f32/empty").values, [])
        XCTAssertEqual(try f.shape(of: "f32/empty3d"), [3, 0, 2])
        XCTAssertEqual(try f.readUInt8("u8").values, (0..<256).map { UInt8($0) })
        XCTAssertEqual(try f.readInt64("i64").values, [Int64.min, -1, 0, 1, Int64.max])
        XCTAssertEqual(try f.readInt32("i32").values, [Int32.min, -7, Int32.max])
        let d = try f.readDoubles("f64")
        XCTAssertEqual(d.shape, [3, 1]); XCTAssertEqual(d.values, [Double.pi, -1e300, Double.leastNonzeroMagnitude])
        XCTAssertEqual(try f.read("int", as: Int.self).values, [1, -2, 3])
        XCTAssertEqual(try f.elementType(of: "f32/4d"), .float32)
        XCTAssertEqual(try f.elementType(of: "u8"), .uint8)
        XCTAssertEqual(try f.elementType(of: "i64"), .int64)
        XCTAssertEqual(try f.elementType(of: "i32"), .int32)
        XCTAssertEqual(try f.elementType(of: "f64"), .float64)
        XCTAssertEqual(try f.elementType(of: "int"), .int64)
    }

    func testReadConvertsBetweenStoredTypes() throws {
        let path = dir + "/convert.h5"
        let f = try HDF5File.create(path)
        try f.write([UInt8(0), 7, 255], shape: [3], to: "bytes")
        try f.write([Int64(-3), 4_000_000], shape: [2], to: "longs")
        try f.write([Double(1.5), -2.25], shape: [2], to: "doubles")
        XCTAssertEqual(try f.readFloats("bytes").values, [0, 7, 255])
        XCTAssertEqual(try f.readFloats("longs").values, [-3, 4_000_000])
        XCTAssertEqual(try f.readFloats("doubles").values, [1.5, -2.25])
        XCTAssertEqual(try f.readDoubles("bytes").values, [0, 7, 255])
        XCTAssertEqual(try f.readInt64("bytes").values, [0, 7, 255])
        XCTAssertEqual(try f.readUInt8("longs").values.first, 0, "negative values clip to 0")
    }

    func testGzipRoundTripAndChunking() throws {
        let path = dir + "/gzip.h5"
        // 600 rows of 32×32×3 bytes: big enough for several 1 MB chunks, and compressible.
        let rowSize = 32 * 32 * 3
        let images: [UInt8] = (0..<(600 * rowSize)).map { UInt8(($0 / 7) % 251) }
        let weights: [Float] = (0..<(1000 * 300)).map { Float(($0 % 17) - 8) }
        do {
            let f = try HDF5File.create(path)
            try f.write(images, shape: [600, 32, 32, 3], to: "x", compression: 4)
            try f.write(weights, shape: [1000, 300], to: "w", compression: 9)
            try f.write([Float(1)], shape: [], to: "scalar", compression: 4)  // scalars are stored uncompressed
            try f.write([UInt8](), shape: [0, 3], to: "empty", compression: 4)
            assertFileError(try f.write([Float(1)], shape: [1], to: "bad", compression: 12), file: path, contains: ["gzip level 12"])
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        XCTAssertLessThan(size, (images.count + weights.count * 4) / 4, "gzip should shrink repetitive data")
        let f = try HDF5File.open(path)
        XCTAssertEqual(try f.readUInt8("x").values, images)
        XCTAssertEqual(try f.readFloats("w").values, weights)
        XCTAssertEqual(try f.readFloats("scalar").values, [1])
        XCTAssertEqual(try f.shape(of: "empty"), [0, 3])
        XCTAssertEqual(try f.readUInt8Rows("x", range: 250..<253), Array(images[(250 * rowSize)..<(253 * rowSize)]))
    }

    func testPartialRowReads() throws {
        let path = dir + "/rows.h5"
        let f = try HDF5File.create(path)
        let values: [Float] = (0..<(10 * 2 * 3)).map(Float.init)
        try f.write(values, shape: [10, 2, 3], to: "data/x")
        try f.write(values.map { UInt8($0) }, shape: [10, 6], to: "data/u")
        XCTAssertEqual(try f.readFloatRows("data/x", range: 3..<5), Array(values[18..<30]))
        XCTAssertEqual(try f.readFloatRows("data/x", range: 9..<10), Array(values[54..<60]))
        XCTAssertEqual(try f.readUInt8Rows("data/u", range: 0..<2), (0..<12).map(UInt8.init))
        XCTAssertEqual(try f.readFloatRows("data/x", range: 4..<4), [])
        assertFileError(try f.readFloatRows("data/x", range: 8..<11), file: path, contains: ["'/data/x'", "out of range 0..<10"])
        try f.write([Float(2)], shape: [], to: "s")
        assertFileError(try f.readFloatRows("s", range: 0..<1), file: path, contains: ["scalar"])
    }

    func testGroupsChildrenExistsAndOverwrite() throws {
        let path = dir + "/groups.h5"
        let f = try HDF5File.create(path)
        try f.write([Float](repeating: 1, count: 6), shape: [2, 3], to: "model/blocks.0.attn.qkv.weight")
        try f.write([Float](repeating: 2, count: 3), shape: [3], to: "model/blocks.0.attn.qkv.bias")
        try f.write([Float(0)], shape: [1], to: "model/cls_token")
        try f.createGroup("optimizer/exp_avg")
        try f.createGroup("optimizer")  // already there: no-op
        XCTAssertEqual(try f.children(of: "/"), ["model", "optimizer"])
        XCTAssertEqual(try f.children(of: "model"), ["blocks.0.attn.qkv.bias", "blocks.0.attn.qkv.weight", "cls_token"])
        XCTAssertEqual(try f.children(of: "/optimizer/"), ["exp_avg"])
        XCTAssertEqual(try f.children(of: "optimizer/exp_avg"), [])
        XCTAssertTrue(f.exists("model/blocks.0.attn.qkv.weight"))
        XCTAssertTrue(f.exists("/model"))
        XCTAssertTrue(f.exists("/"))
        XCTAssertFalse(f.exists("model/blocks.1.attn.qkv.weight"))
        XCTAssertFalse(f.exists("missing/deeper/still/x"))
        XCTAssertFalse(f.exists("model/cls_token/child"), "a dataset has no children")
        XCTAssertTrue(try f.isGroup("model"))
        XCTAssertFalse(try f.isGroup("model/cls_token"))

        // Overwrite with a different shape and type.
        try f.write([Int64(5), 6], shape: [2], to: "model/cls_token")
        XCTAssertEqual(try f.elementType(of: "model/cls_token"), .int64)
        XCTAssertEqual(try f.readInt64("model/cls_token").values, [5, 6])
        assertFileError(try f.write([Float(1)], shape: [1], to: "model"), file: path, contains: ["'/model' is a group"])
        assertFileError(try f.createGroup("model/cls_token"), file: path, contains: ["not a group"])
        assertFileError(try f.children(of: "model/cls_token"), file: path, contains: ["is a dataset"])
        assertFileError(try f.children(of: "nope/x"), file: path, contains: ["group '/nope/x' not found"])
        assertFileError(try f.readFloats("model/missing.weight"), file: path, contains: ["dataset '/model/missing.weight' not found"])
        assertFileError(try f.readFloats("a/b/c"), file: path, contains: ["'/a/b/c' not found"])
        assertFileError(try f.readFloats("model"), file: path, contains: ["is a group"])
        assertFileError(try f.write([Float(1), 2], shape: [3], to: "x"), file: path, contains: ["shape [3] holds 3 values but 2"])
        try f.remove("optimizer")
        XCTAssertEqual(try f.children(of: "/"), ["model"])
        f.close()
        assertFileError(try f.readFloats("model/cls_token"), file: path, contains: ["closed"])
        let ro = try HDF5File.open(path)
        assertFileError(try ro.write([Float(1)], shape: [1], to: "y"), file: path, contains: ["read-only"])
        ro.close()  // HDF5 refuses to open one file twice with different modes
        let rw = try HDF5File.open(path, writable: true)
        try rw.write([Float(1)], shape: [1], to: "y")
        XCTAssertTrue(rw.exists("y"))
    }

    func testAttributes() throws {
        let path = dir + "/attrs.h5"
        do {
            let f = try HDF5File.create(path)
            try f.setAttribute("format", "vittrain-checkpoint")
            try f.setAttribute("config", "{\"model\": {\"arch\": \"vit-tiny\"}, \"note\": \"ünïcødé ✓\"}")
            try f.setAttribute("epoch", 12)
            try f.setAttribute("lr", 3e-4)
            try f.setAttribute("losses", [2.5, 1.25, 0.5])
            try f.setAttribute("seeds", [Int64(1), 2, Int64.max])
            try f.setAttribute("empty", [Double]())
            try f.write([Float(0)], shape: [1], to: "model/head.bias")
            try f.setAttribute("note", "on a dataset", on: "model/head.bias")
            try f.setAttribute("kind", "group attr", on: "model")
            try f.setAttribute("epoch", 13)  // replace
        }
        let f = try HDF5File.open(path)
        XCTAssertEqual(try f.stringAttribute("format"), "vittrain-checkpoint")
        XCTAssertEqual(try f.stringAttribute("config"), "{\"model\": {\"arch\": \"vit-tiny\"}, \"note\": \"ünïcødé ✓\"}")
        XCTAssertEqual(try f.intAttribute("epoch"), 13)
        XCTAssertEqual(try f.doubleAttribute("lr"), 3e-4)
        XCTAssertEqual(try f.doubleAttribute("epoch"), 13)
        XCTAssertEqual(try f.doublesAttribute("losses"), [2.5, 1.25, 0.5])
        XCTAssertEqual(try f.int64sAttribute("seeds"), [1, 2, Int64.max])
        XCTAssertEqual(try f.doublesAttribute("empty"), [])
        XCTAssertEqual(try f.stringAttribute("note", on: "/model/head.bias"), "on a dataset")
        XCTAssertEqual(try f.stringAttribute("kind", on: "model"), "group attr")
        XCTAssertEqual(try f.attributeNames(), ["config", "empty", "epoch", "format", "losses", "lr", "seeds"])
        XCTAssertEqual(try f.attributeNames(on: "model"), ["kind"])
        XCTAssertTrue(f.hasAttribute("lr"))
        XCTAssertFalse(f.hasAttribute("lr", on: "missing/group"))
        assertFileError(try f.intAttribute("missing"), file: path, contains: ["attribute 'missing' on '/' not found"])
        assertFileError(try f.intAttribute("format"), file: path, contains: ["is not numeric"])
        assertFileError(try f.stringAttribute("epoch"), file: path, contains: ["is not a string"])
        assertFileError(try f.intAttribute("losses"), file: path, contains: ["holds 3 values"])
        assertFileError(try f.stringAttribute("x", on: "no/such"), file: path, contains: ["'/no/such' not found"])
    }

    func testBadFilesGiveOneLineErrors() throws {
        let missing = dir + "/missing.h5"
        assertFileError(try HDF5File.open(missing), file: missing, contains: ["no such file"])

        let random = dir + "/random.h5"
        var rng = SystemRandomNumberGenerator()
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: random))
        assertFileError(try HDF5File.open(random), file: random, contains: ["not an HDF5 file"])

        let text = dir + "/text.h5"
        try Data("hello, not hdf5\n".utf8).write(to: URL(fileURLWithPath: text))
        assertFileError(try HDF5File.open(text), file: text, contains: ["not an HDF5 file"])

        let empty = dir + "/empty.h5"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertFileError(try HDF5File.open(empty), file: empty)

        // A real file cut in half: the superblock survives, the data does not.
        let good = dir + "/good.h5"
        do {
            let f = try HDF5File.create(good)
            try f.write((0..<50_000).map(Float.init), shape: [500, 100], to: "model/w")
            try f.setAttribute("format", "vittrain-checkpoint")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        for cut in [bytes.count / 2, 1000, 100, bytes.count - 1] {
            let truncated = dir + "/truncated-\(cut).h5"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: truncated))
            assertFileError(try HDF5File.open(truncated), file: truncated, contains: ["truncated"], "cut at \(cut)")
        }

        assertFileError(try HDF5File.open(dir), file: dir, contains: ["directory"])
        let noDir = dir + "/no/such/dir/x.h5"
        assertFileError(try HDF5File.create(noDir), file: noDir, contains: ["cannot create HDF5 file"])
    }

    func testAtomicHDF5Write() throws {
        let path = dir + "/ckpt.h5"
        try AtomicFile.write(to: path) { tmp in
            let f = try HDF5File.create(tmp)
            try f.write([Float(1), 2], shape: [2], to: "model/w")
            f.close()
        }
        XCTAssertEqual(try HDF5File.open(path).readFloats("model/w").values, [1, 2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["ckpt.h5"])
    }

    func testConcurrentReadsAreSafe() throws {
        let path = dir + "/shared.h5"
        let values: [UInt8] = (0..<(64 * 100)).map { UInt8($0 % 256) }
        try HDF5File.create(path).write(values, shape: [64, 100], to: "x", compression: 1)
        let f = try HDF5File.open(path)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 64)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let rows = (try? f.readUInt8Rows("x", range: i..<(i + 1))) ?? []
            results[i] = rows == Array(values[(i * 100)..<((i + 1) * 100)])
        }
        XCTAssertTrue(results.allSatisfy { $0 })
    }

    func testStringDatasetsAndRecursiveListing() throws {
        let path = dir + "/strings.h5"
        let f = try HDF5File.create(path)
        let names = ["airplane", "automobile", "ünïcødé ✓", ""]
        try f.write(strings: names, to: "meta/classes")
        try f.write(strings: [], to: "meta/none")
        try f.write([Float(1)], shape: [1], to: "model/blocks.0.norm1.weight")
        try f.write([Float(1)], shape: [1], to: "model/head.bias")
        try f.createGroup("empty/group")
        XCTAssertEqual(try f.readStrings("meta/classes"), names)
        XCTAssertEqual(try f.readStrings("meta/none"), [])
        try f.write(strings: ["replaced"], to: "meta/classes")
        XCTAssertEqual(try f.readStrings("/meta/classes"), ["replaced"])
        assertFileError(try f.readStrings("model/head.bias"), file: path, contains: ["does not hold strings"])
        assertFileError(try f.readFloats("meta/classes"), file: path, contains: ["does not hold integers or floats"])
        XCTAssertEqual(try f.datasetPaths(), ["/meta/classes", "/meta/none", "/model/blocks.0.norm1.weight", "/model/head.bias"])
        XCTAssertEqual(try f.datasetPaths(under: "model"), ["/model/blocks.0.norm1.weight", "/model/head.bias"])
        XCTAssertEqual(try f.datasetPaths(under: "empty"), [])
        // h5py's fixed-length byte strings.
        XCTAssertEqual(try HDF5File.open(fixturePath("h5py_written.h5")).readStrings("names"), ["cat", "dog"])
    }

    func testWriteAtomicallyReplacesOnlyOnSuccess() throws {
        let path = dir + "/checkpoint.h5"
        try HDF5File.writeAtomically(to: path) { f in
            try f.setAttribute("epoch", 1)
            try f.write([Float(1), 2], shape: [2], to: "model/w")
        }
        XCTAssertEqual(try HDF5File.open(path).intAttribute("epoch"), 1)
        // A failure inside the body: the old checkpoint survives and the error names the real path.
        assertFileError(try HDF5File.writeAtomically(to: path) { f in
            try f.setAttribute("epoch", 2)
            try f.write([Float(1), 2, 3], shape: [2], to: "model/w")
        }, file: path, contains: ["'/model/w': shape [2] holds 2 values but 3 were given"])
        let reopened = try HDF5File.open(path)
        XCTAssertEqual(try reopened.intAttribute("epoch"), 1)
        XCTAssertEqual(try reopened.readFloats("model/w").values, [1, 2])
        reopened.close()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["checkpoint.h5"])
    }

    /// A write the file system refuses part-way: an error naming the file, and the old file kept.
    /// The refusal comes from a file-size limit (RLIMIT_FSIZE, 1 MB, set for this test and
    /// restored after), which needs no small file system or mount; the write then fails with
    /// EFBIG ("File too large") as a full disk fails with ENOSPC, through the same path.
    func testRefusedWriteIsAnErrorAndKeepsOldFile() throws {
        let path = dir + "/full.h5"
        try HDF5File.writeAtomically(to: path) { try $0.write([Float(1)], shape: [1], to: "w") }
        let big = [Float](repeating: 1, count: 4_000_000)   // 16 MB, over the limit
        let st = dir + "/full.safetensors"
        let (error, stError) = try withFileSizeLimit(1 << 20) {
            (assertFileError(try HDF5File.writeAtomically(to: path) { f in
                try f.write(big, shape: [4_000_000], to: "w")
            }, file: path),
             assertFileError(try Safetensors.write([("w", [4_000_000], big)], to: st), file: st))
        }
        XCTAssertEqual(error?.message, "cannot write dataset '/w': can't write data (File too large)")
        XCTAssertEqual(try HDF5File.open(path).readFloats("w").values, [1])
        XCTAssertTrue(stError?.message.contains("File too large") ?? false, "\(String(describing: stError))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["full.h5"],
                       "the refused writes left no temporary file behind")
    }
}

/// Runs `body` with the process's file-size soft limit at `bytes` (SIGXFSZ ignored, so an
/// oversized write fails with EFBIG instead of killing the process), then restores both.
private func withFileSizeLimit<T>(_ bytes: rlim_t, _ body: () throws -> T) throws -> T {
    var saved = rlimit()
    guard getrlimit(RLIMIT_FSIZE_VALUE, &saved) == 0 else { throw currentPOSIXError() }
    let oldHandler = signal(SIGXFSZ, SIG_IGN)
    // Restores both on every exit, a refused setrlimit included (its errno is read first).
    defer {
        setrlimit(RLIMIT_FSIZE_VALUE, &saved)
        signal(SIGXFSZ, oldHandler)
    }
    var limited = saved
    limited.rlim_cur = bytes
    guard setrlimit(RLIMIT_FSIZE_VALUE, &limited) == 0 else { throw currentPOSIXError() }
    return try body()
}

/// The error `errno` names (EPERM should it name none Swift knows).
private func currentPOSIXError() -> POSIXError { POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM) }

/// Glibc's RLIMIT_FSIZE is an enum constant that Swift imports as `__rlimit_resource`.
private let RLIMIT_FSIZE_VALUE = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
