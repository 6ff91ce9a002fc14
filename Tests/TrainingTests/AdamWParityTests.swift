import FileFormats
import Foundation
import Models
import Training
import XCTest

/// AdamW against torch.optim.AdamW (Scripts/fixtures/adamw.py): two parameter groups (head lr ×10),
/// weight decay 0.05 on every parameter, and a variant with the embeddings and block 0 frozen.
final class AdamWParityTests: XCTestCase {
    func testMatchesTorchAfterOneAndThreeSteps() throws {
        let file = try HDF5File.open(FixturePaths.fixture("adamw_step.h5"))
        defer { file.close() }
        let lr = try file.doubleAttribute("lr")
        for variant in ["groups", "frozen"] {
            let names = try file.children(of: "params")
            var parameters: [(path: String, tensor: Tensor)] = []
            for name in names {
                let (shape, values) = try file.readFloats("params/\(name)")
                let frozen = variant == "frozen" && ["patch_embed.", "cls_token", "pos_embed", "blocks.0."].contains { name.hasPrefix($0) }
                parameters.append((name, Tensor(shape: shape, data: values, requiresGrad: !frozen)))
            }
            var optim = OptimSection()
            optim.lr = lr
            optim.weightDecay = 0.05
            optim.noDecayOnNormsAndBiases = false
            optim.groups = [ParameterGroupSection(pattern: "head.*", lrScale: 10)]
            let trainable = parameters.filter { $0.tensor.requiresGrad }
            let adam = AdamW(parameters: trainable,
                             settings: ParameterGroups.settings(for: trainable, optim: optim, policy: policyModel(depth: 2)))
            for step in 1...3 {
                for (name, p) in trainable { p.grad = try file.readFloats("grads/\(name)").values }
                adam.update(lr: lr)
                guard step == 1 || step == 3 else { continue }
                var worst = 0.0
                for (name, p) in parameters {
                    let expected = try file.readFloats("\(variant)/after_\(step)/\(name)").values
                    for (a, b) in zip(p.data, expected) { worst = max(worst, Double(abs(a - b))) }
                    if !p.requiresGrad {
                        XCTAssertEqual(p.data, try file.readFloats("params/\(name)").values, "\(name) is frozen")
                    }
                }
                XCTAssertLessThan(worst, 1e-6, "\(variant) after \(step) steps: max |ours − torch| = \(worst)")
            }
            XCTAssertEqual(adam.state.count, trainable.count)
        }
    }
}
