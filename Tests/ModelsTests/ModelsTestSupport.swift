// Helpers for the Models tests: fixture paths, small configurations, seeded inputs.

import Foundation
import XCTest
import Models

/// Tests/Fixtures, found from this source file (…/Tests/ModelsTests/X.swift → ../Fixtures).
func fixturePath(_ name: String, file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

func randomImages(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randn(shape, rng: &rng)
}

/// A ViT small enough for gradient tests: 16×16 images, 4×4 patches (16 tokens + CLS).
func smallConfig(depth: Int = 2, classes: Int = 5) -> ViTConfig {
    ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: classes, embedDim: 24, depth: depth, numHeads: 3)
}

/// "key [a, b]" for each parameter, in order.
func listing(_ model: Module) -> [String] {
    model.namedParameters().map { "\($0.path) [\($0.tensor.shape.map(String.init).joined(separator: ", "))]" }
}
