import FileFormats
import Foundation
import Training
import XCTest

/// Every CLI path where outside data used to reach a Swift trap (a precondition, an index out of
/// range, a NaN converted to Int, an allocation of 2^44 bytes): now one line naming the file, key
/// or flag, and exit status 1. One small trained checkpoint (6 classes) is shared by the tests.
final class BadInputTrapTests: XCTestCase {
    nonisolated(unsafe) static var shared: CLIRunner?

    /// The runner holding `base.json` (TrainCommandTests' tiny run, one epoch) and `ck/last.h5`.
    private func runner() throws -> CLIRunner {
        if let cli = Self.shared { return cli }
        let cli = try CLIRunner()
        try cli.write(TrainCommandTests.tinyConfig, to: "base.json")
        let trained = try cli.run(["--config", "base.json", "--set", "train.epochs=1", "--set", "checkpoint.dir=ck"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        Self.shared = cli
        return cli
    }

    override class func tearDown() {
        shared?.remove()
        shared = nil
        super.tearDown()
    }

    /// Runs `arguments` and checks exit status 1, a single `Error:` line and each of `expected`.
    @discardableResult
    private func assertOneLineError(_ arguments: [String], _ expected: [String],
                                    file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try runner().run(arguments)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("Error: "), result.stderr, file: file, line: line)
        for text in expected {
            XCTAssertTrue(result.stderr.contains(text), "\(arguments): missing '\(text)' in \(result.stderr)", file: file, line: line)
        }
        return result.stderr
    }

    // MARK: fixtures

    /// `root/c0 … c{classes-1}`, two 20×20 noise PNGs each.
    private func writeFolder(_ name: String, classes: Int) throws {
        let cli = try runner()
        var generator = SystemRandomNumberGenerator()
        for c in 0..<classes {
            let folder = cli.path("\(name)/c\(c)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for i in 0..<2 {
                let pixels = (0..<(20 * 20 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                try PNG.write(RGBImage(width: 20, height: 20, pixels: pixels), to: "\(folder)/\(i).png")
            }
        }
    }

    /// An HDF5 array dataset of 16×16 RGB images with `labels`.
    private func writeArrays(_ name: String, labels: [Int64]) throws {
        let file = try HDF5File.create(try runner().path(name))
        defer { file.close() }
        try file.write([UInt8](repeating: 128, count: labels.count * 3 * 16 * 16), shape: [labels.count, 3, 16, 16], to: "images")
        try file.write(labels, shape: [labels.count], to: "labels")
    }

    /// The shared checkpoint, changed by `edit`, written to `name`.
    private func writeCheckpoint(_ name: String, _ edit: (inout Checkpoint) -> Void) throws {
        let cli = try runner()
        var checkpoint = try Checkpoint.read(cli.path("ck/last.h5"))
        edit(&checkpoint)
        try checkpoint.write(to: cli.path(name))
    }

    /// The shared checkpoint's weights as a timm safetensors file, changed by `edit`.
    private func writeSafetensors(_ name: String, _ edit: (inout [String: (shape: [Int], values: [Float])]) -> Void) throws {
        let cli = try runner()
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for p in try Checkpoint.read(cli.path("ck/last.h5")).parameters { tensors[p.path] = (p.shape, p.values) }
        edit(&tensors)
        try Safetensors.write(tensors.keys.sorted().map { ($0, tensors[$0]!.shape, tensors[$0]!.values) }, to: cli.path(name))
    }

    // MARK: eval

    func testEvalOnDataWithMoreClassesThanTheHead() throws {
        try writeFolder("folder7", classes: 7)
        try assertOneLineError(["eval", "--checkpoint", "ck/last.h5", "--data", "folder7"],
                               ["folder7", "label 6", "6 classes"])
        try writeArrays("labels8.h5", labels: [0, 1, 2, 3, 4, 5, 6, 7])
        try assertOneLineError(["eval", "--checkpoint", "ck/last.h5", "--data", "labels8.h5"],
                               ["labels8.h5", "label 6", "6 classes"])
    }

    func testEvalNegativeProbeImages() throws {
        try assertOneLineError(["eval", "--checkpoint", "ck/last.h5", "--probe-images=-1", "--dump-attention", "dump"],
                               ["--probe-images", "-1"])
    }

    func testAHeadlessImportFineTunesWithAFreshHead() throws {
        try writeSafetensors("headless.safetensors") { $0["head.weight"] = nil; $0["head.bias"] = nil }
        let imported = try runner().run(["import", "--from", "headless.safetensors", "--heads", "2", "--out", "headless.h5"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        // Its stored config leaves num_classes to the data (the key must be positive), so it reads back.
        XCTAssertNil(try Checkpoint.read(try runner().path("headless.h5")).config.model.numClasses)
        let tuned = try runner().run(["--config", "base.json", "--set", "train.epochs=1", "--set", "checkpoint.dir=tuned",
                                      "--set", "init.checkpoint=headless.h5"])
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertTrue(tuned.stderr.contains("head re-initialised"), tuned.stderr)
    }

    func testUnwritableOutputFoldersNameTheOSReason() throws {
        try runner().write("a file, not a folder", to: "notadir")
        for (flag, value) in [("--dump-attention", "notadir/dump"), ("--embeddings", "notadir/emb"), ("--predictions", "notadir/p.h5")] {
            let message = try assertOneLineError(["eval", "--checkpoint", "ck/last.h5", flag, value], ["Not a directory"])
            XCTAssertFalse(message.contains("NSCocoaErrorDomain") || message.contains(".tmp-"), message)
        }
        try writeSafetensors("good.safetensors") { _ in }
        try assertOneLineError(["import", "--from", "good.safetensors", "--heads", "2", "--out", "notadir/x.h5"],
                               ["notadir/x.h5", "Not a directory"])
        try assertOneLineError(["--config", "base.json", "--set", "checkpoint.dir=notadir/run"],
                               ["checkpoint.dir", "notadir/run", "Not a directory"])
    }

    // MARK: train

    func testValidationDataWithMoreClassesThanTheModel() throws {
        try writeFolder("train3", classes: 3)
        try writeFolder("val5", classes: 5)
        try assertOneLineError(["--config", "base.json", "--set", "data.dataset=folder", "--set", "data.root=train3",
                                "--set", "data.val_root=val5", "--set", "model.img_size=16", "--set", "checkpoint.dir=v5"],
                               ["val5", "5 classes", "3"])
    }

    func testHugeHDF5LabelIsRefusedBeforeAllocatingItsClasses() throws {
        try writeArrays("huge.h5", labels: [0, 1, 1 << 40])
        try assertOneLineError(["--config", "base.json", "--set", "data.dataset=hdf5", "--set", "data.root=huge.h5",
                                "--set", "checkpoint.dir=huge"], ["huge.h5", "label 2", "1099511627776"])
    }

    func testMLPOfZeroUnits() throws {
        try assertOneLineError(["--config", "base.json", "--set", "model.mlp_ratio=0.001", "--set", "checkpoint.dir=mlp"],
                               ["model.mlp_ratio", "0 units"])
    }

    func testResumeFromAnotherArchitectureNamesTheCheckpoint() throws {
        let cli = try runner()
        let wide = try cli.run(["--config", "base.json", "--set", "train.epochs=1", "--set", "model.embed_dim=32",
                                "--set", "checkpoint.dir=wide"])
        XCTAssertEqual(wide.status, 0, wide.stderr)
        try assertOneLineError(["--config", "base.json", "--set", "checkpoint.dir=wide", "--resume"],
                               ["wide/last.h5", "cls_token", "[1, 1, 32]"])
    }

    func testDamagedCheckpointStateIsRefusedBeforeResuming() throws {
        try writeCheckpoint("moments.h5") { c in
            let name = c.optimizerState.keys.sorted()[0]
            c.optimizerState[name]!.firstMoment = [0, 0, 0]
        }
        try assertOneLineError(["--config", "base.json", "--set", "train.epochs=2", "--resume-from", "moments.h5"],
                               ["moments.h5", "damaged checkpoint", "optimizer moments"])
        try writeCheckpoint("rng.h5") { $0.modelRandomState = [1, 2] }
        try assertOneLineError(["--config", "base.json", "--set", "train.epochs=2", "--resume-from", "rng.h5"],
                               ["rng.h5", "rng/model"])
        try writeCheckpoint("step.h5") { $0.step = -3 }
        try assertOneLineError(["--config", "base.json", "--set", "train.epochs=2", "--resume-from", "step.h5"],
                               ["step.h5", "step is -3"])
        try writeCheckpoint("mc.h5") { $0.modelConfig.mlpRatio = 0.001 }
        try assertOneLineError(["eval", "--checkpoint", "mc.h5"], ["mc.h5", "model_config", "mlp_ratio"])
    }

    func testBitFlippedRootHeaderIsReportedAsDamage() throws {
        let cli = try runner()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cli.path("ck/last.h5"))))
        // Superblock v2/v3: the root object header's address is the 8 bytes at offset 36.
        let root = (0..<8).reduce(0) { $0 | Int(bytes[36 + $1]) << (8 * $1) }
        XCTAssertEqual(Array(bytes[root..<root + 4]), Array("OHDR".utf8))
        bytes[root + 20] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: cli.path("bitflip.h5")))
        for arguments in [["inspect", "bitflip.h5"], ["eval", "--checkpoint", "bitflip.h5"]] {
            let message = try assertOneLineError(arguments, ["bitflip.h5", "damaged"])
            XCTAssertFalse(message.contains("'format' is missing"), message)
        }
    }

    // MARK: import and init

    func testImportOfShapesThatAreNotAViT() throws {
        try writeSafetensors("scalar-head.safetensors") { $0["head.weight"] = ([], [0]) }
        try assertOneLineError(["import", "--from", "scalar-head.safetensors", "--heads", "2", "--out", "x.h5"],
                               ["scalar-head.safetensors", "head.weight"])
        try writeSafetensors("scalar-fc1.safetensors") { $0["blocks.0.mlp.fc1.weight"] = ([], [0]) }
        try assertOneLineError(["import", "--from", "scalar-fc1.safetensors", "--heads", "2", "--out", "x.h5"],
                               ["scalar-fc1.safetensors", "blocks.0.mlp.fc1.weight"])
        try writeSafetensors("no-positions.safetensors") { $0["pos_embed"] = ([1, 0, 16], []) }
        try assertOneLineError(["import", "--from", "no-positions.safetensors", "--heads", "2", "--out", "x.h5"],
                               ["no-positions.safetensors", "pos_embed"])
        // A stray block index once built a model of that depth (a hang, then out of memory).
        try writeSafetensors("stray-block.safetensors") { $0["blocks.99999999999.norm1.weight"] = ([16], [Float](repeating: 1, count: 16)) }
        try assertOneLineError(["import", "--from", "stray-block.safetensors", "--heads", "2", "--out", "x.h5"],
                               ["stray-block.safetensors", "block 99999999999", "block 1"])
    }

    func testWrongDTypeNamesFileTensorAndDType() throws {
        let cli = try runner()
        try writeSafetensors("f32.safetensors") { _ in }
        // Rewrite one tensor's dtype in the JSON header: F32 and I32 have the same size, so the
        // offsets stay valid and only the dtype is wrong.
        var data = try Data(contentsOf: URL(fileURLWithPath: cli.path("f32.safetensors")))
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        let key = "\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\""
        XCTAssertTrue(header.contains(key), header)
        header = header.replacingOccurrences(of: key, with: key.replacingOccurrences(of: "F32", with: "I32"))
        data.replaceSubrange(8..<(8 + headerLength), with: Data(header.utf8))
        try data.write(to: URL(fileURLWithPath: cli.path("wrong-dtype.safetensors")))
        try cli.write(#"{"num_attention_heads": 2}"#, to: "heads.json")
        try assertOneLineError(["import", "--from", "wrong-dtype.safetensors", "--config", "heads.json", "--out", "y.h5"],
                               ["wrong-dtype.safetensors", "blocks.0.attn.qkv.weight", "I32"])
    }
}
