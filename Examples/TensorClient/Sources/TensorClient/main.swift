// A tiny client of vittrain's Tensor and NN products: one Linear layer, one mean-squared-error
// loss, one backward step, then one SGD update that must lower the loss. Exits non-zero if not.

import Foundation
import NN
import Tensor

/// The loss before and after one SGD step of a Linear layer on random data.
func oneStep() -> (before: Float, after: Float) {
    var rng = RandomGenerator(seed: 42)
    let layer = Linear(inputDimensions: 8, outputDimensions: 3, rng: &rng)
    let x = Tensor.randn([16, 8], rng: &rng)
    let target = Tensor.randn([16, 3], rng: &rng)
    func loss() -> Tensor { (layer(x) - target).square().mean() }

    let before = loss()
    before.backward()
    for (path, parameter) in layer.namedParameters() {
        guard let grad = parameter.grad else { fatalError("\(path) received no gradient") }
        for i in parameter.data.indices { parameter.data[i] -= 0.1 * grad[i] }
        parameter.zeroGrad()
    }
    return (before.item, Tensor.withoutGrad { loss() }.item)
}

let (before, after) = oneStep()
print("TensorClient: CPU level \(CPULevel.current), loss \(before) → \(after) after one SGD step")
if !(after < before) {
    print("TensorClient: the step did not lower the loss")
    exit(1)
}
