// The model families through the real binary: a timm hub or Hugging Face folder imports with no
// flag; export writes timm's or HF's config.json and re-imports to the same model; a headless
// model imports, inspects, exports, evaluates (pooled features) and fine-tunes with a new head;
// fine-tuning refuses to drop tensors that init.skip does not name.

import FileFormats
import Foundation
import Training
import XCTest

final class ModelFamilyCommandTests: XCTestCase {
    static let families = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/families")

    func testFoldersImportWithoutFlagsAndExportRoundTrips() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        for name in ["dinov2_reg4", "deit_distilled", "gap", "siglip_map", "hf_deit_teacher"] {
            let imported = try cli.run(["import", "--from", Self.families.appendingPathComponent(name).path, "--out", cli.path("\(name).h5")])
            XCTAssertEqual(imported.status, 0, "\(name): \(imported.stderr)")
            let original = try Checkpoint.read(cli.path("\(name).h5"))
            // HF DeiT's eps 1e-12 is no timm family's, so its timm export (noted) rebuilds another eps.
            let formats = name == "deit_distilled" ? ["timm", "hf"] : name == "hf_deit_teacher" ? ["hf"] : ["timm"]
            for format in formats {
                let folder = cli.path("\(name)-\(format)")
                let export = try cli.run(["export", "--checkpoint", cli.path("\(name).h5"), "--format", format,
                                          "--out", folder + "/model.safetensors"])
                XCTAssertEqual(export.status, 0, "\(name) \(format): \(export.stderr)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/config.json"), "\(name) \(format)")
                let back = try cli.run(["import", "--from", folder, "--out", cli.path("\(name)-\(format).h5")])
                XCTAssertEqual(back.status, 0, "\(name) \(format): \(back.stderr)")
                let again = try Checkpoint.read(cli.path("\(name)-\(format).h5"))
                XCTAssertEqual(again.modelConfig, original.modelConfig, "\(name) \(format)")
                for (x, y) in zip(original.parameters, again.parameters) {
                    XCTAssertEqual(x.path, y.path, "\(name) \(format)")
                    XCTAssertTrue(x.values == y.values, "\(name) \(format): \(x.path) changed in the round trip")
                }
            }
        }
        // Families transformers has no class for are refused for --format hf with one line.
        let refused = try cli.run(["export", "--checkpoint", cli.path("dinov2_reg4.h5"), "--format", "hf", "--out", cli.path("no/model.safetensors")])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--format timm"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
    }

    func testHeadlessModelWorksEndToEnd() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let source = Self.families.appendingPathComponent("dinov2_headless").path
        XCTAssertEqual(try cli.run(["import", "--from", source, "--out", cli.path("headless.h5")]).status, 0)
        let inspect = try cli.run(["inspect", cli.path("headless.h5")])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("0 classes") && inspect.stdout.contains("4 registers"), inspect.stdout)
        let export = try cli.run(["export", "--checkpoint", cli.path("headless.h5"), "--out", cli.path("out/model.safetensors")])
        XCTAssertEqual(export.status, 0, export.stderr)
        // Evaluation on an HDF5 array dataset of 16×16 images: pooled features, no accuracy.
        let data = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/adamw_batch.h5").path
        let eval = try cli.run(["eval", "--checkpoint", cli.path("headless.h5"), "--data", data, "--no-normalize",
                                "--predictions", cli.path("features.h5")])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let file = try HDF5File.open(cli.path("features.h5"))
        defer { file.close() }
        let (shape, values) = try file.readFloats("features")
        XCTAssertEqual(shape.last, 32)
        XCTAssertTrue(values.allSatisfy(\.isFinite) && values.contains { $0 != 0 })
        // Fine-tuning from it: a fresh 5-class head, every other tensor loaded.
        try """
        {"name": "from-headless",
         "model": {"arch": "vit_small_patch14_reg4_dinov2", "img_size": 16, "patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 4, "num_classes": 5},
         "data": {"dataset": "hdf5", "root": "\(data)", "normalize": false},
         "optim": {"lr": 0.001},
         "train": {"epochs": 1, "batch_size": 4},
         "init": {"checkpoint": "\(cli.path("headless.h5"))"},
         "checkpoint": {"dir": "\(cli.path("runs"))"},
         "eval": {"probe_images": 0}}
        """.write(toFile: cli.path("finetune.json"), atomically: true, encoding: .utf8)
        let train = try cli.run(["--config", cli.path("finetune.json")])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("head re-initialised") || train.stdout.contains("head re-initialised"), train.stderr)
    }

    func testInitRefusesToDropTensorsUnlessSkipped() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        XCTAssertEqual(try cli.run(["import", "--from", Self.families.appendingPathComponent("dinov2").path,
                                    "--out", cli.path("dinov2.h5")]).status, 0)
        let data = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/adamw_batch.h5").path
        func config(skip: String) -> String {
            """
            {"name": "plain-from-dinov2",
             "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 4, "num_classes": 5},
             "data": {"dataset": "hdf5", "root": "\(data)", "normalize": false},
             "train": {"epochs": 1, "batch_size": 4},
             "init": {"checkpoint": "\(cli.path("dinov2.h5"))"\(skip)},
             "checkpoint": {"dir": "\(cli.path("runs"))"},
             "eval": {"probe_images": 0}}
            """
        }
        try config(skip: "").write(toFile: cli.path("a.json"), atomically: true, encoding: .utf8)
        let refused = try cli.run(["--config", cli.path("a.json")])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("ls1.gamma") && refused.stderr.contains("init.skip"), refused.stderr)
        try config(skip: #", "skip": ["*.ls1.gamma", "*.ls2.gamma"]"#).write(toFile: cli.path("b.json"), atomically: true, encoding: .utf8)
        let allowed = try cli.run(["--config", cli.path("b.json")])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
    }
}
