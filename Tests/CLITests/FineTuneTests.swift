import FileFormats
import Foundation
import Training
import XCTest

/// Fine-tuning from an imported timm file: a frozen backbone stays bit-identical while the head
/// learns; another image size resamples pos_embed and another class count re-initialises the head.
final class FineTuneTests: XCTestCase {
    func testFrozenBackboneStaysIdenticalAndTheHeadChanges() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let fixtures = CLIRunner.repository.appendingPathComponent("Tests/Fixtures")
        let imported = try cli.run(["import", "--from", fixtures.appendingPathComponent("interop/timm.safetensors").path,
                                    "--heads", "2", "--out", cli.path("pretrained.h5")])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let config = """
        {"name": "frozen",
         "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 2, "num_heads": 2},
         "data": {"dataset": "hdf5", "root": "\(fixtures.path)/adamw_batch.h5", "normalize": false},
         "optim": {"lr": 0.01},
         "train": {"epochs": 3, "batch_size": 2},
         "freeze": {"patch_embed": true, "position_embedding": true, "blocks": 2, "patterns": ["norm.*"]},
         "init": {"checkpoint": "\(cli.path("pretrained.h5"))"},
         "checkpoint": {"dir": "frozen"}}
        """
        try cli.write(config, to: "frozen.json")
        let run = try cli.run(["--config", "frozen.json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("frozen: 30 parameter tensors"), run.stderr)
        let before = try Checkpoint.read(cli.path("pretrained.h5")), after = try Checkpoint.read(cli.path("frozen/last.h5"))
        let old = Dictionary(uniqueKeysWithValues: before.parameters.map { ($0.path, $0.values) })
        var headChanged = false
        for (path, _, values) in after.parameters {
            if path.hasPrefix("head.") {
                headChanged = headChanged || values != old[path]
            } else {
                XCTAssertTrue(values == old[path], "\(path) moved although frozen")
            }
        }
        XCTAssertTrue(headChanged, "the head did not learn")
        // Frozen parameters carry no optimizer state.
        XCTAssertEqual(Set(after.optimizerState.keys), ["head.weight", "head.bias"])
    }

    func testNewImageSizeResamplesPositionsAndNewClassesReinitialiseTheHead() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let fixtures = CLIRunner.repository.appendingPathComponent("Tests/Fixtures")
        let config = """
        {"name": "resized",
         "model": {"arch": "vit-tiny", "img_size": 24, "patch_size": 4, "embed_dim": 16, "depth": 2, "num_heads": 2},
         "data": {"dataset": "synthetic", "train_count": 32, "val_count": 12},
         "optim": {"layer_decay": 0.75, "groups": [{"pattern": "head.*", "lr_scale": 10}]},
         "train": {"epochs": 1, "batch_size": 16},
         "init": {"checkpoint": "\(fixtures.path)/interop/timm.safetensors"},
         "checkpoint": {"dir": "resized"}}
        """
        try cli.write(config, to: "resized.json")
        let run = try cli.run(["--config", "resized.json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("head re-initialised: the checkpoint has 5 classes, the model 6"), run.stderr)
        XCTAssertTrue(run.stderr.contains("resampled to the model's patch grid (bicubic): pos_embed"), run.stderr)
        let after = try Checkpoint.read(cli.path("resized/last.h5"))
        XCTAssertEqual(after.parameters.first { $0.path == "pos_embed" }?.shape, [1, 37, 16])

        let wrongWidth = config.replacingOccurrences(of: #""embed_dim": 16"#, with: #""embed_dim": 32"#)
        try cli.write(wrongWidth, to: "wide.json")
        let mismatch = try cli.run(["--config", "wide.json"])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.stderr.contains("timm.safetensors"), mismatch.stderr)
        XCTAssertTrue(mismatch.stderr.contains("cls_token: shape [1, 1, 16] in the checkpoint, [1, 1, 32] expected"), mismatch.stderr)
        XCTAssertEqual(mismatch.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count, 1, mismatch.stderr)
    }
}
