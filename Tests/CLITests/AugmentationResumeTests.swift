import FileFormats
import Foundation
import XCTest

/// The timm recipe from the command line on a tiny model: RandAugment, random erasing, mixup and
/// cutmix (per element), label smoothing and model EMA all on. A run split at an epoch boundary and
/// resumed ends with the same weights and EMA as an uninterrupted run; `eval --ema` evaluates the
/// EMA; metrics.jsonl records wall time and the EMA's accuracy.
final class AugmentationResumeTests: XCTestCase {
    static let config = #"""
    {"name": "recipe",
     "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 1, "num_heads": 2},
     "data": {"dataset": "synthetic", "train_count": 48, "val_count": 16,
              "augmentation": {"horizontal_flip": true, "random_crop": true, "padding": 2},
              "auto_augment": "rand-m9-mstd0.5-inc1", "reprob": 0.25, "remode": "pixel", "recount": 2,
              "mixup": 0.8, "cutmix": 1.0, "mixup_mode": "elem", "mixup_switch_prob": 0.5},
     "optim": {"lr": 0.002},
     "schedule": {"warmup_steps": 2},
     "train": {"epochs": 3, "batch_size": 16, "seed": 5, "threads": 2, "label_smoothing": 0.1,
               "model_ema": true, "model_ema_decay": 0.9, "model_ema_warmup": true},
     "eval": {"probe_images": 0}}
    """#

    private func group(_ name: String, in path: String) throws -> [String: [Float]] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        var result: [String: [Float]] = [:]
        for child in try file.children(of: name) { result[child] = try file.readFloats("\(name)/\(child)").values }
        return result
    }

    func testSplitRunResumesIntoTheSameWeightsAndEMA() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(Self.config, to: "recipe.json")
        let straight = try cli.run(["train", "--config", "recipe.json", "--set", "checkpoint.dir=straight"])
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let first = try cli.run(["train", "--config", "recipe.json", "--set", "checkpoint.dir=split", "--stop-after-epoch", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try cli.run(["train", "--config", "recipe.json", "--set", "checkpoint.dir=split", "--resume"])
        XCTAssertEqual(second.status, 0, second.stderr)

        let model = try group("model", in: cli.path("straight/last.h5"))
        let ema = try group("ema", in: cli.path("straight/last.h5"))
        XCTAssertEqual(Set(ema.keys), Set(model.keys))
        XCTAssertNotEqual(ema, model, "the EMA should lag the weights")
        XCTAssertEqual(try group("model", in: cli.path("split/last.h5")), model)
        XCTAssertEqual(try group("ema", in: cli.path("split/last.h5")), ema)

        // The same recipe with another seed trains differently: the augmentations are live.
        let other = try cli.run(["train", "--config", "recipe.json", "--set", "checkpoint.dir=other", "--set", "train.seed=6"])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertNotEqual(try group("model", in: cli.path("other/last.h5")), model)

        let lines = try String(contentsOfFile: cli.path("straight/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["kind"] as? String == "epoch" }
        XCTAssertEqual(lines.count, 3)
        let wall = lines.compactMap { $0["wall_time_s"] as? Double }
        XCTAssertEqual(wall.count, 3)
        XCTAssertEqual(wall, wall.sorted(), "wall time only grows")
        XCTAssertTrue(lines.allSatisfy { $0["ema_val_accuracy"] is Double })

        // The report of a run without attention snapshots still shows its learning curves.
        let report = try cli.run(["report", cli.path("straight")])
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOfFile: cli.path("straight/attention_report/index.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("Learning curves") && page.contains("curve_accuracy_time.svg"), page)
        let chart = try String(contentsOfFile: cli.path("straight/attention_report/curve_accuracy_time.svg"), encoding: .utf8)
        XCTAssertEqual(chart.components(separatedBy: "<polyline").count - 1, 3, chart)

        let eval = try cli.run(["eval", "--checkpoint", cli.path("straight/last.h5"), "--ema"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("accuracy"), eval.stdout)
        let plain = try cli.run(["eval", "--checkpoint", cli.path("straight/last.h5")])
        XCTAssertNotEqual(plain.stdout, eval.stdout, "--ema evaluates other weights")
    }

    func testEvalEmaWithoutEMAAndBadPolicyAreOneLineErrors() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(Self.config, to: "recipe.json")
        let bad = try cli.run(["train", "--config", "recipe.json", "--set", "data.auto_augment=rand-m9-x3"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("data.auto_augment"), bad.stderr)
        let plain = try cli.run(["train", "--config", "recipe.json", "--set", "train.model_ema=false",
                                 "--set", "train.epochs=1", "--set", "checkpoint.dir=plain"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let eval = try cli.run(["eval", "--checkpoint", cli.path("plain/last.h5"), "--ema"])
        XCTAssertNotEqual(eval.status, 0)
        XCTAssertTrue(eval.stderr.contains("no EMA weights"), eval.stderr)
        XCTAssertEqual(eval.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, eval.stderr)
    }
}
