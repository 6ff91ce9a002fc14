import FileFormats
import Foundation
import Training
import XCTest

/// `vittrain import` / `export` against the fixtures of Scripts/fixtures/interop.py: timm and
/// Hugging Face files import to torch's logits, export→import is lossless, bad files are named.
final class ImportExportTests: XCTestCase {
    static let interop = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/interop")

    /// Logits of the checkpoint at `path` on the fixture batch, and torch's for `key`.
    private func logits(of path: String, expected key: String) throws -> (ours: [Float], torch: [Float]) {
        let model = try Checkpoint.read(path).makeModel(file: path)
        let expected = try HDF5File.open(ImportExportTests.interop.appendingPathComponent("expected.h5").path)
        defer { expected.close() }
        let (shape, images) = try expected.readFloats("images")
        let ours = Tensor.withoutGrad { model(Tensor(shape: shape, data: images)) }
        return (ours.data, try expected.readFloats(key).values)
    }

    func testTimmAndHuggingFaceFilesImportToTorchLogits() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        for (file, key, format) in [("timm.safetensors", "timm_logits", "timm"), ("hf/model.safetensors", "hf_logits", "hf")] {
            // Heads do not show in the shapes: timm files need --heads, HF ones have config.json.
            let result = try cli.run(["import", "--from", ImportExportTests.interop.appendingPathComponent(file).path,
                                      "--out", cli.path("\(format).h5")] + (format == "timm" ? ["--heads", "2"] : []))
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("imported \(format) weights"), result.stdout)
            let (ours, torch) = try logits(of: cli.path("\(format).h5"), expected: key)
            XCTAssertEqual(ours.count, torch.count)
            let worst = zip(ours, torch).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(format): max |logit difference| \(worst)")
        }
        // The HF config's layer-norm eps (1e-12) was picked up from config.json.
        XCTAssertEqual(try Checkpoint.read(cli.path("hf.h5")).modelConfig.layerNormEps, 1e-12)
    }

    func testExportThenImportIsBitIdentical() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let source = ImportExportTests.interop.appendingPathComponent("timm.safetensors").path
        XCTAssertEqual(try cli.run(["import", "--from", source, "--heads", "2", "--out", cli.path("a.h5")]).status, 0)
        for format in ["timm", "hf"] {
            let export = try cli.run(["export", "--checkpoint", cli.path("a.h5"), "--format", format,
                                      "--out", cli.path("\(format)/model.safetensors")])
            XCTAssertEqual(export.status, 0, export.stderr)
            if format == "hf" {
                XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("hf/config.json")))
            }
            let back = try cli.run(["import", "--from", cli.path("\(format)/model.safetensors"), "--out", cli.path("\(format).h5")])
            XCTAssertEqual(back.status, 0, back.stderr)
            let a = try Checkpoint.read(cli.path("a.h5")), b = try Checkpoint.read(cli.path("\(format).h5"))
            XCTAssertEqual(a.modelConfig, b.modelConfig, format)
            XCTAssertEqual(a.parameters.map(\.path), b.parameters.map(\.path), format)
            for (x, y) in zip(a.parameters, b.parameters) {
                XCTAssertEqual(x.shape, y.shape, x.path)
                XCTAssertTrue(x.values == y.values, "\(format): \(x.path) changed in the round trip")
            }
        }
    }

    func testBadFilesGiveOneLineErrorsNamingTheKeyOrOffset() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let (tensors, _) = try Safetensors.read(ImportExportTests.interop.appendingPathComponent("timm.safetensors").path)
        let entries = tensors.keys.sorted().map { (name: $0, shape: tensors[$0]!.shape, values: tensors[$0]!.values) }
        try Safetensors.write(entries.filter { $0.name != "blocks.1.mlp.fc2.bias" }, to: cli.path("missing.safetensors"))
        try Safetensors.write(entries + [(name: "blocks.0.extra.weight", shape: [2], values: [1, 2])], to: cli.path("extra.safetensors"))
        let good = try Data(contentsOf: ImportExportTests.interop.appendingPathComponent("timm.safetensors"))
        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: cli.path("truncated.safetensors")))
        var corrupt = good
        corrupt[8] = UInt8(ascii: "#")   // the header's opening brace
        try corrupt.write(to: URL(fileURLWithPath: cli.path("corrupt.safetensors")))
        // A valid file whose one tensor is int64.
        let header = #"{"head.bias":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        var wrongType = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { wrongType.append(contentsOf: $0) }
        wrongType.append(contentsOf: Array(header.utf8))
        wrongType.append(contentsOf: [UInt8](repeating: 0, count: 8))
        try wrongType.write(to: URL(fileURLWithPath: cli.path("dtype.safetensors")))

        let expectations = [
            ("missing", "blocks.1.mlp.fc2.bias"),
            ("extra", "blocks.0.extra.weight"),
            ("truncated", "truncated"),
            ("corrupt", "header"),
            ("dtype", "I64"),
        ]
        for (name, needle) in expectations {
            let result = try cli.run(["import", "--from", cli.path("\(name).safetensors"), "--heads", "2", "--out", cli.path("\(name).h5")])
            XCTAssertNotEqual(result.status, 0, name)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(needle), "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("\(name).safetensors"), "\(name): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("\(name).h5")), name)
        }
    }
}
