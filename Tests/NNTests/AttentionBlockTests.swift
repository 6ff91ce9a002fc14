// Attention, Mlp and Block modules: gradient checks, attention probabilities, timm paths.

import XCTest
import NN

final class AttentionBlockTests: XCTestCase {
    func testAttentionGradientsAndProbabilities() {
        var rng = RandomGenerator(seed: 11)
        let attn = Attention(dimensions: 8, heads: 2, randomSource: RandomSource(seed: 1), rng: &rng)
        perturbParameters(attn, seed: 12)
        let x = randomTensor([2, 5, 8], seed: 13)
        let (out, probabilities) = attn.forward(x, keepProbabilities: true)
        XCTAssertEqual(out.shape, [2, 5, 8])
        let p = probabilities!
        XCTAssertEqual(p.shape, [2, 2, 5, 5])
        for row in 0..<(2 * 2 * 5) {
            XCTAssertEqual(p.data[(row * 5)..<(row * 5 + 5)].reduce(0, +), 1, accuracy: 1e-5)
        }
        XCTAssertEqual(attn.scale, 0.5, accuracy: 1e-7)   // head dim 4
        assertGradient("attention", [x, attn.qkv.weight, attn.qkv.bias!, attn.proj.weight]) { _ in attn(x) }
        XCTAssertEqual(parameterListing(attn),
                       ["qkv.weight [24, 8]", "qkv.bias [24]", "proj.weight [8, 8]", "proj.bias [8]"])
    }

    func testAttentionMatchesExplicitSoftmaxFormula() {
        var rng = RandomGenerator(seed: 14)
        let attn = Attention(dimensions: 4, heads: 1, randomSource: RandomSource(seed: 1), rng: &rng)
        perturbParameters(attn, seed: 15)
        let x = randomTensor([1, 3, 4], seed: 16)
        let packed = attn.qkv(x)     // [1, 3, 12]: q | k | v
        let q = packed.sliced(axis: 2, 0..<4), k = packed.sliced(axis: 2, 4..<8), v = packed.sliced(axis: 2, 8..<12)
        let scores = q.matmul(k, transposeOther: true) * 0.5
        let expected = attn.proj(scores.softmax(axis: -1).matmul(v))
        let actual = attn(x)
        for (a, e) in zip(actual.data, expected.data) { XCTAssertEqual(a, e, accuracy: 1e-5) }
    }

    func testBlockGradientsAndPaths() {
        var rng = RandomGenerator(seed: 21)
        let block = Block(dimensions: 8, heads: 2, mlpRatio: 2, randomSource: RandomSource(seed: 2), rng: &rng)
        perturbParameters(block, seed: 22)
        let x = randomTensor([2, 4, 8], seed: 23)
        assertGradient("block", [x, block.norm1.weight, block.attn.qkv.weight, block.mlp.fc1.weight,
                                 block.mlp.fc2.bias!, block.norm2.bias]) { _ in block(x) }
        XCTAssertEqual(parameterListing(block), [
            "norm1.weight [8]", "norm1.bias [8]", "attn.qkv.weight [24, 8]", "attn.qkv.bias [24]",
            "attn.proj.weight [8, 8]", "attn.proj.bias [8]", "norm2.weight [8]", "norm2.bias [8]",
            "mlp.fc1.weight [16, 8]", "mlp.fc1.bias [16]", "mlp.fc2.weight [8, 16]", "mlp.fc2.bias [8]",
        ])
    }

    func testBlockIsPreNormResidual() {
        var rng = RandomGenerator(seed: 31)
        let block = Block(dimensions: 8, heads: 2, randomSource: RandomSource(seed: 3), rng: &rng)
        perturbParameters(block, seed: 32)
        let x = randomTensor([1, 3, 8], seed: 33)
        let h = x + block.attn(block.norm1(x))
        let expected = h + block.mlp.fc2(block.mlp.fc1(block.norm2(h)).gelu())
        for (a, e) in zip(block(x).data, expected.data) { XCTAssertEqual(a, e, accuracy: 1e-5) }
    }

    func testModuleListPathsAndTrainingMode() {
        var rng = RandomGenerator(seed: 41)
        let source = RandomSource(seed: 4)
        let list = ModuleList((0..<3).map { _ in Block(dimensions: 4, heads: 1, dropPath: 0.1, randomSource: source, rng: &rng) })
        let paths = list.namedParameters(prefix: "blocks.").map(\.path)
        XCTAssertEqual(paths.count, 36)
        XCTAssertEqual(paths[0], "blocks.0.norm1.weight")
        XCTAssertEqual(paths[12], "blocks.1.norm1.weight")
        XCTAssertEqual(paths.last, "blocks.2.mlp.fc2.bias")
        list.setTraining(true)
        XCTAssertTrue(list[2].dropPath2.isTraining && list[0].attn.projDrop.isTraining)
        list.setTraining(false)
        XCTAssertFalse(list[1].mlp.drop1.isTraining)
    }
}

final class FreezingTests: XCTestCase {
    func testGlobFreezeAndUnfreeze() {
        var rng = RandomGenerator(seed: 1)
        let source = RandomSource(seed: 1)
        let list = ModuleList((0..<12).map { _ in Block(dimensions: 4, heads: 1, randomSource: source, rng: &rng) })
        let frozen = list.freeze(["1?.*", "0.norm1.*"])
        XCTAssertEqual(frozen.count, 12 * 2 + 2)
        XCTAssertEqual(frozen.first, "0.norm1.weight")
        XCTAssertFalse(list[10].attn.qkv.weight.requiresGrad)
        XCTAssertFalse(list[0].norm1.bias.requiresGrad)
        XCTAssertTrue(list[1].norm1.bias.requiresGrad)
        XCTAssertEqual(list.trainableParameters().count, 12 * 12 - 26)
        // The frozen parameters receive no gradient in a backward pass.
        let x = randomTensor([1, 2, 4], seed: 2)
        var h = x
        for block in list.modules { h = block(h) }
        h.sum().backward()
        XCTAssertNil(list[11].mlp.fc1.weight.grad)
        XCTAssertNotNil(list[9].mlp.fc1.weight.grad)
        XCTAssertEqual(list.unfreeze(["*"]).count, 144)
        XCTAssertTrue(list[10].attn.qkv.weight.requiresGrad)
        XCTAssertTrue(globMatches("*.bias", "blocks.3.attn.qkv.bias"))
        XCTAssertFalse(globMatches("head.*", "pre_head.weight"))
    }
}
