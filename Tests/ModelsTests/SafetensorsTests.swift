// .safetensors import/export: timm's own file for the parity model gives timm's logits; our
// files round-trip in timm and Hugging Face names; errors name the file and key.

import Foundation
import XCTest
import FileFormats
import Models

final class SafetensorsTests: XCTestCase {
    func parityConfig() -> ViTConfig {
        ViTConfig(imageSize: 32, patchSize: 4, inChannels: 3, numClasses: 10, embedDim: 48, depth: 2, numHeads: 3)
    }

    func testTimmSafetensorsGivesTimmLogits() throws {
        let model = VisionTransformer(config: parityConfig(), seed: 5)
        let report = try model.loadSafetensors(fixturePath("vit_parity.safetensors"))
        XCTAssertEqual(report.loaded.count, model.namedParameters().count)
        let file = try HDF5File.open(fixturePath("vit_parity.h5"))
        defer { file.close() }
        let input = try file.readFloats("/input")
        let logits = model(Tensor(shape: input.shape, data: input.values)).data
        let expected = try file.readFloats("/logits").values
        let error = zip(logits, expected).map { abs($0 - $1) }.max()!
        print("safetensors parity: logits max |Δ| \(error)")
        XCTAssertLessThan(error, 1e-4)
    }

    func testRoundTripInBothNamingsAndErrorsNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vittrain-models-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = VisionTransformer(config: smallConfig(), seed: 1)
        let images = randomImages([2, 3, 16, 16], seed: 2)
        for hf in [false, true] {
            let path = directory.appendingPathComponent(hf ? "hf.safetensors" : "timm.safetensors").path
            try source.saveSafetensors(path, huggingFaceNames: hf)
            let keys = try Safetensors.read(path).tensors.keys
            XCTAssertEqual(keys.contains("classifier.weight"), hf)
            let target = VisionTransformer(config: smallConfig(), seed: 3)
            try target.loadSafetensors(path)
            XCTAssertEqual(target(images).data, source(images).data)
        }
        let path = directory.appendingPathComponent("timm.safetensors").path
        let other = VisionTransformer(config: smallConfig(classes: 7), seed: 4)
        XCTAssertThrowsError(try other.loadSafetensors(path)) { error in
            XCTAssertEqual("\(error)", "\(path): head.weight: shape [5, 24] in the checkpoint, [7, 24] expected")
        }
        XCTAssertThrowsError(try other.loadSafetensors(directory.appendingPathComponent("absent.safetensors").path)) { error in
            XCTAssertTrue("\(error)".contains("absent.safetensors"), "\(error)")
        }
        XCTAssertNoThrow(try other.loadSafetensors(path, skip: ["head.*"]))
    }
}
