// One PyTorch parity check for a fixture group written by Scripts/fixtures/{hybrid,cct}_parity.py:
// load `state/*` by name, then compare evaluation logits, training logits and loss, every
// parameter gradient (per tensor max|Δ| / max(max|torch|, 1e-6)) and, when the group has
// `state_after/*`, the buffers after the training forward (BatchNorm running statistics).

import XCTest
import FileFormats
import Models

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    XCTAssertEqual(a.count, b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// `zeroGradient` names parameters whose gradient is zero in exact arithmetic (both sides hold
/// only rounding noise, so a relative measure means nothing): they are checked as |grad| < 1e-6.
func assertMatchesTorch(_ model: VisionTransformer, file: HDF5File, group: String, label: String,
                        zeroGradient: Set<String> = []) throws {
    var state: StateDictionary = [:]
    for name in try file.children(of: group + "/state") { state[name] = try file.readFloats(group + "/state/" + name) }
    let report = try model.load(state)
    XCTAssertEqual(report.loaded.count, model.stateEntries().count, label)

    let input = try file.readFloats(group + "/input")
    let images = Tensor(shape: input.shape, data: input.values)
    let targets = try file.readFloats(group + "/targets").values.map { Int($0) }
    let evalError = maxAbsDifference(model(images).data, try file.readFloats(group + "/eval_logits").values)

    model.setTraining(true)
    let logits = model(images)
    let trainError = maxAbsDifference(logits.data, try file.readFloats(group + "/train_logits").values)
    let loss = Tensor.crossEntropy(logits: logits, targets: targets)
    XCTAssertEqual(loss.item, try file.readFloats(group + "/train_loss").values[0], accuracy: 1e-5)
    loss.backward()
    var worst: (String, Float) = ("", 0)
    for (path, p) in model.namedParameters() {
        let expected = try file.readFloats(group + "/grads/" + path).values
        if zeroGradient.contains(path) {
            XCTAssertLessThan((p.grad ?? []).map(abs).max() ?? 0, 1e-6, "\(label) \(path)")
            XCTAssertLessThan(expected.map(abs).max() ?? 0, 1e-6, "\(label) \(path) (torch)")
            continue
        }
        let error = maxAbsDifference(p.grad ?? [], expected) / max(expected.map(abs).max() ?? 0, 1e-6)
        if error > worst.1 { worst = (path, error) }
        XCTAssertLessThan(error, 1e-4, "\(label) \(path)")
    }
    var bufferError: Float = 0
    if file.exists(group + "/state_after") {
        for (path, buffer) in model.namedBuffers() {
            bufferError = max(bufferError, maxAbsDifference(buffer.data, try file.readFloats(group + "/state_after/" + path).values))
        }
    }
    print("torch parity \(label): eval logits \(evalError), train logits \(trainError), worst grad \(worst.1) at \(worst.0), buffers \(bufferError)")
    XCTAssertLessThan(evalError, 1e-4, label)
    XCTAssertLessThan(trainError, 1e-4, label)
    XCTAssertLessThan(bufferError, 1e-5, label)
}
