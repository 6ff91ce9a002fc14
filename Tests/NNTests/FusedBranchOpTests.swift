// The memory-saving fused ops of a block against their unfused reference compositions: a Linear
// joined to the residual with drop path (ResidualBranchOp.swift), the MLP that recomputes GELU in
// its backward (MlpOp.swift), and the Block that uses both. Values and every gradient must be
// bit-identical (same kernels in the same order); each op also gets a finite-difference check.

import XCTest
import NN

/// Fresh leaves with the same values, all requiring gradients, for a second (reference) graph.
private func twins(_ tensors: [Tensor]) -> [Tensor] {
    tensors.map { $0.detached().requiringGrad() }
}

/// residual + dropPath(branch [R, O]) with one factor per sample, as a block composes it: the
/// rows regrouped as [S, R/S, O] so dropPath's axis 0 is the sample axis.
private func referenceJoin(_ residual: Tensor, _ branch: Tensor, samples: Int?, seed: UInt64) -> Tensor {
    guard let samples else { return residual + branch }
    var rng = RandomGenerator(seed: seed)
    let (rows, columns) = (branch.shape[0], branch.shape[1])
    let dropped = branch.reshaped([samples, rows / samples, columns]).dropPath(probability: 0.5, rng: &rng)
    return residual + dropped.reshaped([rows, columns])
}

/// The first seed from `start` whose drop-path factors for `samples` samples (two or more) both
/// drop and keep, so that a comparison with drop path exercises both cases.
private func mixingSeed(samples: Int?, from start: UInt64) -> UInt64 {
    guard let samples, samples >= 2 else { return start }
    for seed in start..<(start + 100) {
        var rng = RandomGenerator(seed: seed)
        let factors = Tensor.dropPathFactors(samples: samples, probability: 0.5, rng: &rng)
        if factors.contains(0) && factors.contains(2) { return seed }
    }
    XCTFail("no seed in \(start)..<\(start + 100) drops some of \(samples) samples and keeps others")
    return start
}

private func fusedJoin(_ residual: Tensor, samples: Int?, seed: UInt64) -> ResidualJoin {
    var rng = RandomGenerator(seed: seed)
    let factors = samples.map { Tensor.dropPathFactors(samples: $0, probability: 0.5, rng: &rng) }
    return ResidualJoin(residual: residual, sampleFactors: factors)
}

/// Backward through both graphs with the same projection, with x and the residual also feeding
/// a second branch so that their gradients accumulate rather than being assigned.
private func backwardBoth(_ fused: Tensor, _ reference: Tensor, extra: (Tensor, Tensor)..., seed: UInt64) {
    let projection = randomTensor(fused.shape, seed: seed)
    var lossA = (fused * projection).sum(), lossB = (reference * projection).sum()
    for (a, b) in extra {
        lossA = lossA + (a * a).sum()
        lossB = lossB + (b * b).sum()
    }
    lossA.backward()
    lossB.backward()
}

private func assertSameGradients(_ mine: [Tensor], _ theirs: [Tensor], _ label: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
    for (index, (a, b)) in zip(mine, theirs).enumerated() {
        XCTAssertEqual(a.grad == nil, b.grad == nil, "\(label): input \(index) gradient presence", file: file, line: line)
        guard let ga = a.grad, let gb = b.grad else { continue }
        XCTAssertEqual(ga, gb, "\(label): input \(index) gradient", file: file, line: line)
    }
}

final class FusedBranchOpTests: XCTestCase {
    /// (rows, inputs, outputs, samples): odd sizes, one row, samples of several rows, no drop path.
    private let linearShapes: [(Int, Int, Int, Int?)] = [(7, 5, 3, 7), (12, 3, 4, 3), (1, 1, 1, 1), (10, 6, 5, nil), (9, 17, 2, 3)]

    func testLinearJoinedToResidualMatchesAddOfDropPath() {
        for (index, (rows, inputs, outputs, samples)) in linearShapes.enumerated() {
            for withBias in [true, false] {
                let seed = UInt64(10 * index)
                let mine = [randomTensor([rows, inputs], seed: seed + 1), randomTensor([outputs, inputs], seed: seed + 2),
                            randomTensor([outputs], seed: seed + 3), randomTensor([rows, outputs], seed: seed + 4)]
                for t in mine { t.requiresGrad = true }
                let theirs = twins(mine)
                let maskSeed = mixingSeed(samples: samples, from: seed)
                let label = "linear joined \(rows)×\(inputs)→\(outputs) samples \(samples.map(String.init) ?? "none") bias \(withBias)"
                let fused = Tensor.linear(mine[0], weight: mine[1], bias: withBias ? mine[2] : nil,
                                          joining: fusedJoin(mine[3], samples: samples, seed: maskSeed))
                let branch = Tensor.linear(theirs[0], weight: theirs[1], bias: withBias ? theirs[2] : nil)
                let reference = referenceJoin(theirs[3], branch, samples: samples, seed: maskSeed)
                XCTAssertEqual(fused.data, reference.data, label)
                backwardBoth(fused, reference, extra: (mine[0], theirs[0]), (mine[3], theirs[3]), seed: seed + 5)
                assertSameGradients(mine, theirs, label)
            }
        }
    }

    func testLinearJoinedToResidualGradientCheck() {
        let x = randomTensor([6, 4], seed: 31), w = randomTensor([3, 4], seed: 32)
        let b = randomTensor([3], seed: 33), residual = randomTensor([6, 3], seed: 34)
        let factors: [Float] = [2, 0, 2]   // three samples of two rows, the middle one dropped
        assertGradient("linear joined", [x, w, b, residual]) { _ in
            Tensor.linear(x, weight: w, bias: b, joining: ResidualJoin(residual: residual, sampleFactors: factors))
        }
    }

    /// (rows, inputs, hidden, outputs, samples).
    private let mlpShapes: [(Int, Int, Int, Int, Int?)] = [(9, 6, 10, 6, 3), (5, 3, 7, 2, nil), (1, 1, 1, 1, 1), (8, 5, 13, 5, 8)]

    func testFusedMlpMatchesLinearGELUThenLinear() {
        for (index, (rows, inputs, hidden, outputs, samples)) in mlpShapes.enumerated() {
            for (withJoin, withFc2Bias) in [(false, true), (true, true), (true, false), (false, false)] {
                let seed = UInt64(100 + 10 * index)
                let mine = [randomTensor([rows, inputs], seed: seed + 1), randomTensor([hidden, inputs], seed: seed + 2),
                            randomTensor([hidden], seed: seed + 3), randomTensor([outputs, hidden], seed: seed + 4),
                            randomTensor([outputs], seed: seed + 5), randomTensor([rows, outputs], seed: seed + 6)]
                for t in mine { t.requiresGrad = true }
                let theirs = twins(mine)
                let maskSeed = mixingSeed(samples: samples, from: seed)
                let label = "mlp \(rows)×\(inputs)→\(hidden)→\(outputs) join \(withJoin) samples \(samples.map(String.init) ?? "none") fc2 bias \(withFc2Bias)"
                let fused = Tensor.mlpGELU(mine[0], fc1Weight: mine[1], fc1Bias: mine[2], fc2Weight: mine[3],
                                           fc2Bias: withFc2Bias ? mine[4] : nil,
                                           joining: withJoin ? fusedJoin(mine[5], samples: samples, seed: maskSeed) : nil)
                let hiddenActivation = Tensor.linearGELU(theirs[0], weight: theirs[1], bias: theirs[2])
                let branch = Tensor.linear(hiddenActivation, weight: theirs[3], bias: withFc2Bias ? theirs[4] : nil)
                let reference = withJoin ? referenceJoin(theirs[5], branch, samples: samples, seed: maskSeed) : branch
                XCTAssertEqual(fused.data, reference.data, label)
                backwardBoth(fused, reference, extra: (mine[0], theirs[0]), (mine[5], theirs[5]), seed: seed + 7)
                assertSameGradients(mine, theirs, label)
            }
        }
    }

    /// Frozen parameters (fine-tuning) and a frozen input: the fused op computes only the
    /// gradients that are asked for, and those equal the reference's.
    func testFusedMlpWithFrozenParts() {
        let frozenSets: [[Int]] = [[3], [1, 2], [1, 2, 3, 4], [0], [0, 1, 2, 3, 4]]
        for frozen in frozenSets {
            let mine = [randomTensor([6, 4], seed: 201), randomTensor([9, 4], seed: 202), randomTensor([9], seed: 203),
                        randomTensor([4, 9], seed: 204), randomTensor([4], seed: 205), randomTensor([6, 4], seed: 206)]
            for t in mine { t.requiresGrad = true }
            let theirs = twins(mine)
            for i in frozen { mine[i].requiresGrad = false; theirs[i].requiresGrad = false }
            let fused = Tensor.mlpGELU(mine[0], fc1Weight: mine[1], fc1Bias: mine[2], fc2Weight: mine[3], fc2Bias: mine[4],
                                       joining: fusedJoin(mine[5], samples: 2, seed: mixingSeed(samples: 2, from: 207)))
            let branch = Tensor.linear(Tensor.linearGELU(theirs[0], weight: theirs[1], bias: theirs[2]),
                                       weight: theirs[3], bias: theirs[4])
            let reference = referenceJoin(theirs[5], branch, samples: 2, seed: mixingSeed(samples: 2, from: 207))
            backwardBoth(fused, reference, seed: 208)
            assertSameGradients(mine, theirs, "frozen \(frozen)")
            for i in frozen { XCTAssertNil(mine[i].grad, "frozen \(frozen): input \(i) got a gradient") }
        }
    }

    func testFusedMlpGradientCheck() {
        let x = randomTensor([6, 4], seed: 41), w1 = randomTensor([7, 4], seed: 42), b1 = randomTensor([7], seed: 43)
        let w2 = randomTensor([4, 7], seed: 44), b2 = randomTensor([4], seed: 45), residual = randomTensor([6, 4], seed: 46)
        let factors: [Float] = [0, 2]   // two samples of three rows, the first dropped
        assertGradient("mlp", [x, w1, b1, w2, b2]) { _ in
            Tensor.mlpGELU(x, fc1Weight: w1, fc1Bias: b1, fc2Weight: w2, fc2Bias: b2)
        }
        assertGradient("mlp joined", [x, w1, b1, w2, b2, residual]) { _ in
            Tensor.mlpGELU(x, fc1Weight: w1, fc1Bias: b1, fc2Weight: w2, fc2Bias: b2,
                           joining: ResidualJoin(residual: residual, sampleFactors: factors))
        }
    }
}

final class FusedBlockTests: XCTestCase {
    private struct Variant {
        let label: String
        var dropPath: Float = 0.4
        var dropout: Float = 0
        var layerScale: Float? = nil
        var activation: ActivationKind = .gelu
        var training = true
    }

    /// The block's forward (fused where it applies, composed where it does not: layer scale,
    /// active dropout, QuickGELU, tanh GELU) against its op-by-op reference, in training mode with
    /// drop path, from the same generator state: same output, same gradients, same draws after.
    func testBlockForwardMatchesReferenceComposition() {
        let variants = [Variant(label: "fused with drop path"), Variant(label: "fused, evaluation", training: false),
                        Variant(label: "fused, no drop path", dropPath: 0),
                        Variant(label: "dropout", dropout: 0.3), Variant(label: "layer scale", layerScale: 0.5),
                        Variant(label: "quick GELU", activation: .quickGELU), Variant(label: "tanh GELU", activation: .geluTanh)]
        for v in variants {
            func makeBlock() -> (Block, RandomSource) {
                var rng = RandomGenerator(seed: 51)
                let source = RandomSource(seed: 52)
                let block = Block(dimensions: 12, heads: 3, mlpRatio: 2.5, dropout: v.dropout, dropPath: v.dropPath,
                                  layerScaleInit: v.layerScale, activation: v.activation, randomSource: source, rng: &rng)
                perturbParameters(block, seed: 53)
                block.setTraining(v.training)
                return (block, source)
            }
            let (fusedBlock, fusedSource) = makeBlock(), (referenceBlock, referenceSource) = makeBlock()
            if v.training && v.dropPath > 0 && v.dropout == 0 {
                // Without dropout the generator's first two draws are the two drop-path masks;
                // the comparison needs a sample dropped and one kept in at least one of them.
                var generator = fusedSource.generator
                let masks = (0..<2).map { _ in Tensor.dropPathFactors(samples: 4, probability: v.dropPath, rng: &generator) }
                XCTAssertTrue(masks.contains { $0.contains(0) && $0.contains { $0 > 0 } }, "\(v.label): masks \(masks)")
            }
            // Four samples, so drop path at 0.4 drops some and keeps some.
            let x1 = randomTensor([4, 5, 12], seed: 54).requiringGrad(), x2 = x1.detached().requiringGrad()
            let fused = fusedBlock(x1), reference = referenceBlock.referenceForward(x2)
            XCTAssertEqual(fused.data, reference.data, v.label)
            backwardBoth(fused, reference, seed: 55)
            XCTAssertEqual(x1.grad, x2.grad, "\(v.label): input gradient")
            for ((path, a), (_, b)) in zip(fusedBlock.namedParameters(), referenceBlock.namedParameters()) {
                XCTAssertNotNil(a.grad, "\(v.label): \(path) has no gradient")
                XCTAssertEqual(a.grad, b.grad, "\(v.label): \(path) gradient")
            }
            XCTAssertEqual(fusedSource.generator.next(), referenceSource.generator.next(), "\(v.label): generator state")
        }
    }

    func testFusedBlockGradientCheck() {
        var rng = RandomGenerator(seed: 61)
        let block = Block(dimensions: 8, heads: 2, mlpRatio: 2, dropPath: 0.5, randomSource: RandomSource(seed: 62), rng: &rng)
        perturbParameters(block, seed: 63)
        block.setTraining(true)
        let x = randomTensor([3, 4, 8], seed: 64)
        let parameters = block.namedParameters().map(\.tensor)
        // The same drop-path draws for every evaluation of the check: the generator is reset each time.
        let start = block.dropPath1.randomSource.generator
        assertGradient("fused block", [x] + parameters) { _ in
            block.dropPath1.randomSource.generator = start
            return block(x)
        }
    }
}
