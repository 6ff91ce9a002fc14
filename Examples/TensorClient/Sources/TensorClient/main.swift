// A tiny client of vittrain's Tensor and NN products: one Linear layer, one mean-squared-error
// loss, one backward step, then one SGD update that must lower the loss. Exits non-zero if not.

import Foundation
import NN
import Tensor

var rng = RandomGenerator(seed: 42)
let layer = Linear(inputDimensions: 8, outputDimensions: 3, rng: &rng)
let x = Tensor.randn([16, 8], rng: &rng)
let target = Tensor.randn([16, 3], rng: &rng)

func loss() -> Tensor { (layer(x) - target).square().mean() }

let before = loss()
before.backward()
guard let weightGrad = layer.weight.grad else { fatalError("Linear weight received no gradient") }
for (_, parameter) in layer.namedParameters() {
    if let grad = parameter.grad {
        for i in parameter.data.indices { parameter.data[i] -= 0.1 * grad[i] }
    }
    parameter.zeroGrad()
}
let after = Tensor.withoutGrad { loss() }
print("TensorClient: CPU level \(CPULevel.current), loss \(before.item) → \(after.item) after one step",
      "(|dW| max \(weightGrad.map { abs($0) }.max() ?? 0))")
if !(after.item < before.item) {
    print("TensorClient: the step did not lower the loss")
    exit(1)
}
