import FileFormats
import SharedTestHelpers
import Foundation
import XCTest

/// `vittrain explain` end to end: a timm model imported from .safetensors (its data config and
/// class names written as the import will write them), a JPEG and a PNG of different sizes,
/// the predictions, every method's files, the page in headless chromium, `eval --images` giving
/// the same maps, one-line errors; and on a quickly trained quick-start-like model, rollout's
/// deletion AUC beats a random patch order.
final class ExplainCommandTests: XCTestCase {
    static let fixtures = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/explain").path

    /// Imports the fixture's timm ViT and copies its pretrained_cfg / class_names attributes onto the checkpoint.
    func importFixtureModel(_ cli: CLIRunner) throws -> (logits: [Float], classes: Int) {
        let imported = try cli.run(["import", "--from", Self.fixtures + "/model.safetensors", "--heads", "3", "--out", cli.path("m.h5")])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let reference = try HDF5File.open(Self.fixtures + "/explain.h5")
        defer { reference.close() }
        let checkpoint = try HDF5File.open(cli.path("m.h5"), writable: true)
        for name in ["pretrained_cfg", "class_names"] {
            try checkpoint.setAttribute(name, try reference.stringAttribute(name))
        }
        checkpoint.close()
        return (try reference.readFloats("logits").values, try reference.intAttribute("num_classes"))
    }

    func testExplainJPEGAndPNGWithImportedTimmModel() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let (logits, k) = try importFixtureModel(cli)
        let photos = [Self.fixtures + "/chelsea.jpg", Self.fixtures + "/coffee.png"]   // 75×50 and 40×60
        let run = try cli.run(["explain", "--checkpoint", cli.path("m.h5")] + photos + ["--out", cli.path("out"), "--score-step", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let names = ["tabby", "espresso", "teapot", "astronaut", "rocket"]

        // Predictions: timm's top class for both photos, by name, from the checkpoint's class_names.
        struct Entry: Decodable { let index: Int; let name: String; let probability: Float }
        struct Prediction: Decodable { let image: String; let explained_class: Int; let top5: [Entry] }
        let predictions = try JSONDecoder().decode([Prediction].self, from: Data(contentsOf: URL(fileURLWithPath: cli.path("out/predictions.json"))))
        XCTAssertEqual(predictions.map(\.image), ["chelsea", "coffee"])
        for (i, p) in predictions.enumerated() {
            let row = Array(logits[(i * k)..<((i + 1) * k)])
            let best = row.indices.max { row[$0] < row[$1] }!
            XCTAssertEqual(p.top5.count, 5)
            XCTAssertEqual(p.top5[0].index, best)
            XCTAssertEqual(p.top5[0].name, names[best])
            XCTAssertEqual(p.explained_class, best)
            XCTAssertEqual(p.top5.map(\.probability).reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertTrue(run.stdout.contains("\(p.image): \(names[best])"), run.stdout)
        }

        // Files: every method under its own name, overlays per image, the scoreboard and the page.
        let h5 = try HDF5File.open(cli.path("out/attention.h5"))
        XCTAssertEqual(try h5.shape(of: "chefer2021"), [2, 16])
        XCTAssertEqual(try h5.shape(of: "dino_mask"), [2, 3, 16])
        XCTAssertEqual(try h5.shape(of: "head_max"), [3, 2, 16])
        XCTAssertEqual(try h5.shape(of: "head_min"), [3, 2, 16])
        XCTAssertEqual(try h5.shape(of: "rollout"), [2, 16])
        XCTAssertEqual(try h5.shape(of: "cls"), [3, 2, 3, 16])
        let chefer = try h5.readFloats("chefer2021").values
        h5.close()
        for file in ["000_chelsea/chefer2021.png", "000_chelsea/dino_mask.png", "001_coffee/rollout.png", "001_coffee/grid.png",
                     "faithfulness.svg", "faithfulness.txt", "index.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("out/" + file)), file)
        }
        XCTAssertEqual(try PNG.read(cli.path("out/000_chelsea/input.png")).width, 256)   // the 32×32 crop, shown at 256
        let csv = try String(contentsOfFile: cli.path("out/faithfulness.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 * 5, csv.joined(separator: "\n"))   // 2 images × (4 methods + random)
        for method in ["attention", "rollout", "dino", "chefer2021", "random"] {
            XCTAssertTrue(run.stdout.contains("\n" + method), run.stdout)
        }
        let page = try String(contentsOfFile: cli.path("out/index.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("chefer2021.png") && page.contains("dino_mask.png"))
        let check = try runProcess("/bin/bash", [CLIRunner.repository.appendingPathComponent("Scripts/check_report.sh").path,
                                                 cli.path("out/index.html"), cli.path("shot.png")])
        XCTAssertEqual(check.status, 0, check.output)

        // eval --images runs the same code: the same maps, and no dataset is scored.
        let eval = try cli.run(["eval", "--checkpoint", cli.path("m.h5"), "--images"] + photos + ["--dump-attention", cli.path("ev")])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertFalse(eval.stdout.contains("accuracy"), eval.stdout)
        let again = try HDF5File.open(cli.path("ev/attention.h5"))
        XCTAssertEqual(try again.readFloats("chefer2021").values, chefer)
        again.close()

        // --class picks the explained class; bad input is one line naming what was wrong.
        let other = try cli.run(["explain", "--checkpoint", cli.path("m.h5"), photos[0], "--out", cli.path("c3"),
                                 "--class", "3", "--method", "chefer2021", "--no-score"])
        XCTAssertEqual(other.status, 0, other.stderr)
        let c3 = try HDF5File.open(cli.path("c3/attention.h5"))
        XCTAssertNotEqual(try c3.readFloats("chefer2021").values, Array(chefer[0..<16]), "class 3's map equals the predicted class's")
        c3.close()
        for (arguments, needle) in [(["--class", "7"], "--class 7"), (["--method", "gradcam9"], "gradcam9"),
                                    (["--fusion", "median"], "median")] {
            let bad = try cli.run(["explain", "--checkpoint", cli.path("m.h5"), photos[0], "--out", cli.path("bad")] + arguments)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(needle), bad.stderr)
            XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        }
        try cli.write("not a photo", to: "notes.jpg")
        let bad = try cli.run(["explain", "--checkpoint", cli.path("m.h5"), cli.path("notes.jpg")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("notes.jpg"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }

    func testRolloutDeletionBeatsRandomOnAQuickStartModel() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        // The quick start's synthetic shapes with a smaller ViT and fewer epochs (AttentionOnObjectTests' recipe).
        try cli.write("""
        {"name": "shapes",
         "model": {"arch": "vit-tiny", "img_size": 32, "patch_size": 4, "embed_dim": 64, "depth": 3, "num_heads": 2, "mlp_ratio": 2},
         "data": {"dataset": "synthetic", "train_count": 2000, "val_count": 64, "augmentation": {"horizontal_flip": true}},
         "optim": {"lr": 0.002},
         "schedule": {"warmup_steps": 30},
         "train": {"epochs": 5, "batch_size": 64, "threads": 2},
         "eval": {"probe_images": 4},
         "checkpoint": {"dir": "run", "keep_last": 1}}
        """, to: "shapes.json")
        let train = try cli.run(["--config", "shapes.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let eval = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--dump-attention", cli.path("dump"),
                                "--probe-images", "16", "--method", "rollout,attention", "--fusion", "max", "--discard", "0.9", "--score"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        print(eval.stdout)
        var sums: [String: (Double, Int)] = [:]
        for line in try String(contentsOfFile: cli.path("dump/faithfulness.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            let (sum, count) = sums[String(fields[1])] ?? (0, 0)
            sums[String(fields[1])] = (sum + Double(fields[2])!, count + 1)
        }
        let rollout = sums["rollout"]!.0 / Double(sums["rollout"]!.1), random = sums["random"]!.0 / Double(sums["random"]!.1)
        XCTAssertEqual(sums["rollout"]!.1, 16)
        XCTAssertLessThan(rollout, random, "rollout's deletion AUC \(rollout) should beat the random order's \(random)")
    }
}
