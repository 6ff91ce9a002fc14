import FileFormats
import Foundation
import XCTest

/// The real binary on real files: config errors, a tiny run's outputs, exact resume, and one
/// training step compared with PyTorch.
final class TrainCommandTests: XCTestCase {
    /// A small synthetic run: 16×16 images, a one-block ViT, 64 training images.
    static let tinyConfig = #"""
    {"name": "tiny",
     "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 1, "num_heads": 2},
     "data": {"dataset": "synthetic", "train_count": 64, "val_count": 32,
              "augmentation": {"horizontal_flip": true, "random_crop": true, "padding": 2}},
     "optim": {"lr": 0.002},
     "schedule": {"warmup_steps": 2},
     "train": {"epochs": 2, "batch_size": 16, "seed": 3, "threads": 2, "log_every": 2}}
    """#

    func testHelpListsTheCommands() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let result = try cli.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for command in ["train", "inspect", "import", "export", "data", "bench"] {
            XCTAssertTrue(result.stdout.contains(command), "help lacks \(command): \(result.stdout)")
        }
    }

    func testConfigMistakesAreOneLineErrorsNamingTheKeys() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(#"{"optim": {"lrr": 0.1}, "train": {"epochs": "ten"}}"#, to: "bad.json")
        let result = try cli.run(["--config", "bad.json"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("optim.lrr"), result.stderr)
        XCTAssertTrue(result.stderr.contains("train.epochs"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)

        let missing = try cli.run(["--config", "nope.json"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope.json"), missing.stderr)
    }

    func testTinyRunWritesCheckpointsLogAndResumesExactly() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(TrainCommandTests.tinyConfig, to: "tiny.json")

        let straight = try cli.run(["train", "--config", "tiny.json", "--set", "checkpoint.dir=straight"])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        for file in ["epoch-0001.h5", "epoch-0002.h5", "last.h5", "best.h5", "metrics.jsonl", "config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("straight/\(file)")), "missing \(file)")
        }
        let log = try String(contentsOfFile: cli.path("straight/metrics.jsonl"), encoding: .utf8)
        let epochLines = log.split(separator: "\n").filter { $0.contains(#""kind":"epoch""#) }
        XCTAssertEqual(epochLines.count, 2, log)
        XCTAssertTrue(epochLines[1].contains("val_accuracy"), log)
        XCTAssertTrue(straight.stderr.contains("val acc"), straight.stderr)

        // One epoch, then --resume for the second: the same parameters, bit for bit.
        let first = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=split", "--stop-after-epoch", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("stopped after epoch 1"), first.stderr)
        let second = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=split", "--resume"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("resuming at epoch 2"), second.stderr)
        try assertSameModel(cli.path("straight/last.h5"), cli.path("split/last.h5"))

        let inspect = try cli.run(["inspect", cli.path("straight/last.h5")])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("blocks.0.attn.qkv.weight"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("epoch 2"), inspect.stdout)
    }

    /// One step on a fixed batch (no shuffle, no augmentation, no normalisation, constant lr) from
    /// the fixture's initial weights gives torch's parameters after one AdamW step.
    func testOneStepFromTheCommandLineMatchesTorch() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let fixtures = CLIRunner.repository.appendingPathComponent("Tests/Fixtures")
        for (variant, freeze) in [("groups", "{}"),
                                  ("frozen", #"{"patch_embed": true, "position_embedding": true, "blocks": 1}"#)] {
            let config = """
            {"name": "parity-\(variant)",
             "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 2, "num_heads": 2, "num_classes": 5},
             "data": {"dataset": "hdf5", "root": "\(fixtures.path)/adamw_batch.h5", "normalize": false, "shuffle": false},
             "optim": {"lr": 0.001, "eps": 0.001, "weight_decay": 0.05, "no_decay_on_norms_and_biases": false,
                       "groups": [{"pattern": "head.*", "lr_scale": 10}]},
             "schedule": {"kind": "constant"},
             "train": {"epochs": 1, "max_steps": 1, "batch_size": 4, "threads": 1},
             "freeze": \(freeze),
             "init": {"checkpoint": "\(fixtures.path)/adamw_init.safetensors"},
             "checkpoint": {"dir": "\(variant)"}}
            """
            try cli.write(config, to: "\(variant).json")
            let result = try cli.run(["--config", "\(variant).json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let ours = try HDF5File.open(cli.path("\(variant)/last.h5"))
            let torch = try HDF5File.open(fixtures.appendingPathComponent("adamw_step.h5").path)
            defer { ours.close(); torch.close() }
            var worst: Float = 0
            for name in try torch.children(of: "params") {
                let expected = try torch.readFloats("\(variant)/cli_after_1/\(name)").values
                let actual = try ours.readFloats("model/\(name)").values
                XCTAssertEqual(actual.count, expected.count, name)
                for (a, b) in zip(actual, expected) { worst = max(worst, abs(a - b)) }
            }
            // The first AdamW step moves each weight by lr·g/(|g| + eps); eps 1e-3 keeps gradient
            // rounding near zero from swaying it (see Scripts/fixtures/adamw.py).
            XCTAssertLessThan(worst, 1e-6, "\(variant): max |ours − torch| after one step = \(worst)")
        }
    }

    private func assertSameModel(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fa = try HDF5File.open(a), fb = try HDF5File.open(b)
        defer { fa.close(); fb.close() }
        let names = try fa.children(of: "model")
        XCTAssertEqual(names, try fb.children(of: "model"), file: file, line: line)
        for name in names {
            let (x, y) = (try fa.readFloats("model/\(name)").values, try fb.readFloats("model/\(name)").values)
            let differing = zip(x, y).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "model/\(name): \(differing) of \(x.count) values differ", file: file, line: line)
        }
    }
}

/// A NaN or infinite loss stops the run with the step and the first bad parameter named, and the
/// last good checkpoint survives; `on_non_finite: skip` skips such steps instead.
final class NonFiniteTests: XCTestCase {
    func testNaNStopsWithTheStepAndParameterNamedAndKeepsTheCheckpoint() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(TrainCommandTests.tinyConfig, to: "tiny.json")
        XCTAssertEqual(try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run", "--stop-after-epoch", "1"]).status, 0)
        let before = try HDF5File.open(cli.path("run/last.h5"))
        let saved = try before.readFloats("model/head.weight").values
        before.close()

        // An absurd learning rate: the first update overflows, the next loss is NaN.
        let blownUp = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run", "--set", "optim.lr=1e30",
                                   "--set", "schedule.kind=\"constant\"", "--resume"])
        XCTAssertNotEqual(blownUp.status, 0)
        let message = try XCTUnwrap(blownUp.stderr.split(separator: "\n").last { $0.hasPrefix("Error:") })
        XCTAssertTrue(message.contains("training stopped at step 6"), String(message))
        XCTAssertTrue(message.contains("first parameter with a non-finite gradient: "), String(message))
        let after = try HDF5File.open(cli.path("run/last.h5"))
        defer { after.close() }
        XCTAssertEqual(try after.intAttribute("epoch"), 1)
        XCTAssertEqual(try after.readFloats("model/head.weight").values, saved)

        let skipped = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=skip", "--set", "optim.lr=1e30",
                                   "--set", "train.on_non_finite=\"skip\""])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("step skipped"), skipped.stderr)
    }
}

/// A checkpoint the file system refuses part-way is a one-line error naming the file and exit
/// status 1, and the last good checkpoint survives. The refusal comes from `ulimit -f` (a
/// file-size limit, with SIGXFSZ ignored so the write fails with EFBIG as a full disk fails with
/// ENOSPC). Before HDF5's exit handler was turned off, such a run printed the error and then died
/// of signal 11 at exit, in libhdf5's clean-up of the file whose close had failed.
final class RefusedCheckpointTests: XCTestCase {
    func testRefusedCheckpointWriteExitsWithAnErrorAndKeepsTheLastCheckpoint() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(TrainCommandTests.tinyConfig, to: "tiny.json")
        let first = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run", "--stop-after-epoch", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: cli.path("run/last.h5"))[.size] as? Int)
        let saved = try HDF5File.open(cli.path("run/last.h5"))
        let weights = try saved.readFloats("model/head.weight").values
        saved.close()

        // Half the checkpoint's size, in the 1024-byte blocks `ulimit -f` counts.
        let limitBlocks = max(1, size / 2048)
        let refused = try cli.run(["-c", "trap '' XFSZ; ulimit -f \(limitBlocks); exec \"$0\" \"$@\"",
                                   CLIRunner.binary.path, "--config", "tiny.json", "--set", "checkpoint.dir=run", "--resume"],
                                  executable: URL(fileURLWithPath: "/bin/bash"))
        XCTAssertEqual(refused.status, 1, "expected an error exit, not a signal: \(refused.stderr)")
        let message = try XCTUnwrap(refused.stderr.split(separator: "\n").last { $0.hasPrefix("Error:") }, refused.stderr)
        // The first file to outgrow the limit names itself (the attention record or a checkpoint).
        XCTAssertTrue(message.contains("run/") && message.hasSuffix("(File too large)"), String(message))
        XCTAssertEqual(message.components(separatedBy: "errno").count, 1, "the OS record is trimmed: \(message)")
        XCTAssertFalse(refused.stderr.contains("Program crashed"), refused.stderr)

        let kept = try HDF5File.open(cli.path("run/last.h5"))
        defer { kept.close() }
        XCTAssertEqual(try kept.intAttribute("epoch"), 1)
        XCTAssertEqual(try kept.readFloats("model/head.weight").values, weights)
        let record = try HDF5File.open(cli.path("run/attention_record.h5"))
        defer { record.close() }
        XCTAssertEqual(try record.children(of: "epochs").first, "0001", "the attention record is still readable")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.path("run")).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "the refused write left a temporary file behind")

        // With room again (the limit gone), the run resumes from the kept checkpoint and finishes.
        let resumed = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming at epoch 2"), resumed.stderr)
    }
}
