// Dropout and drop-path: identity at p = 0, the kept fraction and scale, whole-sample masks for
// drop-path, and gradients with a mask fixed by re-seeding inside the checked function.

import XCTest
import Tensor

final class DropoutTests: XCTestCase {
    func testZeroProbabilityIsIdentity() {
        var rng = RandomGenerator(seed: 1)
        let x = randomTensor([4, 4], seed: 1)
        let before = rng
        XCTAssertTrue(x.dropout(probability: 0, rng: &rng) === x)
        XCTAssertTrue(x.dropPath(probability: 0, rng: &rng) === x)
        XCTAssertEqual(rng, before, "p = 0 must not draw from the generator")
    }

    func testDropoutKeepsFractionAndScales() {
        var rng = RandomGenerator(seed: 2)
        let x = Tensor.ones([100_000])
        let y = x.dropout(probability: 0.25, rng: &rng)
        let kept = y.data.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 100_000, 0.75, accuracy: 0.01)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        // Inverted dropout preserves the mean.
        XCTAssertEqual(y.mean().item, 1, accuracy: 0.02)
    }

    func testDropPathDropsWholeSamples() {
        var rng = RandomGenerator(seed: 3)
        let x = randomTensor([64, 3, 4], seed: 3)
        let y = x.dropPath(probability: 0.5, rng: &rng)
        var dropped = 0
        for s in 0..<64 {
            let slice = 0..<12
            let ys = slice.map { y.data[s * 12 + $0] }, xs = slice.map { x.data[s * 12 + $0] }
            if ys.allSatisfy({ $0 == 0 }) {
                dropped += 1
            } else {
                XCTAssertLessThan(maxDifference(ys, xs.map { $0 * 2 }), 1e-6, "sample \(s) kept must be x / (1 − p)")
            }
        }
        XCTAssertGreaterThan(dropped, 16)
        XCTAssertLessThan(dropped, 48)
    }

    func testGradients() {
        let x = randomTensor([4, 5], seed: 4)
        assertGradient("dropout", [x], tolerance: 1e-3) {
            var rng = RandomGenerator(seed: 9)
            return $0[0].dropout(probability: 0.4, rng: &rng)
        }
        assertGradient("dropPath", [randomTensor([6, 2, 3], seed: 5)], tolerance: 1e-3) {
            var rng = RandomGenerator(seed: 10)
            return $0[0].dropPath(probability: 0.5, rng: &rng)
        }
    }
}

final class DropoutEdgeTests: XCTestCase {
    func testProbabilityOneZeroesEverything() {
        var rng = RandomGenerator(seed: 5)
        let x = randomTensor([3, 4], seed: 6).requiringGrad()
        let y = x.dropout(probability: 1, rng: &rng)
        XCTAssertTrue(y.data.allSatisfy { $0 == 0 })
        y.sum().backward()
        XCTAssertTrue(x.grad!.allSatisfy { $0 == 0 })
    }
}

final class DropoutReproducibilityTests: XCTestCase {
    func testMaskDependsOnSeedNotThreadCount() {
        let x = Tensor.ones([300_000])
        let previous = Parallel.threadCount
        defer { Parallel.setThreadCount(previous) }
        var masks: [[Float]] = []
        for threads in [1, 3] {
            Parallel.setThreadCount(threads)
            var rng = RandomGenerator(seed: 42)
            masks.append(x.dropout(probability: 0.5, rng: &rng).data)
            // Exactly one draw from the generator per mask.
            var expected = RandomGenerator(seed: 42)
            _ = expected.next()
            XCTAssertEqual(rng, expected)
        }
        XCTAssertEqual(masks[0], masks[1])
        var other = RandomGenerator(seed: 43)
        XCTAssertNotEqual(x.dropout(probability: 0.5, rng: &other).data, masks[0])
    }
}
