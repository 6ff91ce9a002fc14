import FileFormats
import Foundation
import Training
import XCTest

/// ModelEma against timm's ModelEmaV3 (Scripts/fixtures/augment.py): a Linear + BatchNorm1d module
/// perturbed for 6 steps, EMA updated with the step number each time; three variants (plain decay,
/// warmup with power ¾, update_after_step 2). Parameters and buffers match within 1e-6 at every step.
final class ModelEmaParityTests: XCTestCase {
    func testMatchesModelEmaV3() throws {
        let file = try HDF5File.open(FixturePaths.fixture("model_ema.h5"))
        defer { file.close() }
        let keys = try file.children(of: "steps/1/model")
        XCTAssertEqual(Set(keys), ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"])
        func state(_ group: String) throws -> [(path: String, tensor: Tensor)] {
            try keys.map { key in
                let (shape, values) = try file.readFloats("\(group)/\(key)")
                return (key, Tensor(shape: shape, data: values))
            }
        }
        for variant in ["plain", "warmup", "after2"] {
            var settings = ModelEmaSettings(decay: try file.doubleAttribute("decay", on: variant))
            if file.hasAttribute("use_warmup", on: variant) { settings.useWarmup = try file.intAttribute("use_warmup", on: variant) != 0 }
            if file.hasAttribute("warmup_power", on: variant) { settings.warmupPower = try file.doubleAttribute("warmup_power", on: variant) }
            if file.hasAttribute("update_after_step", on: variant) { settings.updateAfterStep = try file.intAttribute("update_after_step", on: variant) }
            // The shadow's starting values do not matter: step 1 has decay 0 and copies the model.
            let shadow = try state("steps/1/model").map { ($0.path, Tensor(shape: $0.tensor.shape, data: $0.tensor.data.map { $0 + 5 })) }
            let ema = ModelEma(settings: settings, shadow: shadow, copyingFrom: shadow)
            var moved = false
            for step in 1...6 {
                let model = try state("steps/\(step)/model")
                ema.update(from: model, step: step)
                let expected = try state("\(variant)/\(step)")
                for (ours, theirs) in zip(ema.entries, expected) {
                    let diff = zip(ours.tensor.data, theirs.tensor.data).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(diff, 1e-6, "\(variant) step \(step) \(ours.path)")
                }
                if step > 3 && zip(ema.entries, model).contains(where: { $0.tensor.data != $1.tensor.data }) { moved = true }
            }
            XCTAssertTrue(moved, "\(variant): the EMA should lag the model")
        }
        XCTAssertEqual(ModelEmaSettings(decay: 0.9998).decay(at: 1), 0)
        XCTAssertEqual(ModelEmaSettings(decay: 0.9998).decay(at: nil), 0.9998)
    }
}
