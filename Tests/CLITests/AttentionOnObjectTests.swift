import Foundation
import XCTest

/// After training on the synthetic shapes, attention rollout points at the object: the probe
/// images' rollout puts at least twice the chance share of its mass on the object masks.
final class AttentionOnObjectTests: XCTestCase {
    func testRolloutConcentratesOnTheObjects() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        // A small ViT that reaches about 94% in 10 short epochs (about 25 s on 2 cores).
        try cli.write("""
        {"name": "shapes",
         "model": {"arch": "vit-tiny", "img_size": 32, "patch_size": 4, "embed_dim": 64, "depth": 3, "num_heads": 2, "mlp_ratio": 2},
         "data": {"dataset": "synthetic", "train_count": 3000, "val_count": 300, "augmentation": {"horizontal_flip": true}},
         "optim": {"lr": 0.002},
         "schedule": {"warmup_steps": 50},
         "train": {"epochs": 10, "batch_size": 64, "threads": 2},
         "eval": {"probe_images": 24},
         "checkpoint": {"dir": "run", "keep_last": 1}}
        """, to: "shapes.json")
        let result = try cli.run(["--config", "shapes.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let last = try XCTUnwrap(result.stderr.split(separator: "\n").last { $0.hasPrefix("epoch 10: rollout puts") })
        // "epoch 10: rollout puts 1.64× (mean fusion) and 2.14× (max fusion, discard 0.9) …"
        let figures = last.split(separator: " ").filter { $0.hasSuffix("×") }.compactMap { Double($0.dropLast()) }
        XCTAssertEqual(figures.count, 2, String(last))
        let (meanFusion, maxFusion) = (figures[0], figures[1])
        XCTAssertGreaterThan(meanFusion, 1.3, String(last))
        XCTAssertGreaterThanOrEqual(maxFusion, 2.0, String(last))
    }
}
