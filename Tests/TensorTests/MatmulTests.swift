import XCTest
import Tensor

final class MatmulTests: XCTestCase {
    func testMatmulValues() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], data: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(a.matmul(b).data, [58, 64, 139, 154])
        XCTAssertEqual(b.matmul(a, transposeSelf: true, transposeOther: true).data, [58, 139, 64, 154])
    }

    func testMatmulGradientsAllTransposeFlags() {
        var rng = RandomGenerator(seed: 1)
        for tA in [false, true] {
            for tB in [false, true] {
                let a = Tensor.randn(tA ? [2, 4, 3] : [2, 3, 4], rng: &rng)
                let b = Tensor.randn(tB ? [2, 5, 4] : [2, 4, 5], rng: &rng)
                let r = GradientCheck.run([a, b]) { $0[0].matmul($0[1], transposeSelf: tA, transposeOther: tB) }
                XCTAssertLessThan(r.maxError, 1e-3, "batched tA=\(tA) tB=\(tB): \(r)")
                let w = Tensor.randn(tB ? [5, 4] : [4, 5], rng: &rng)
                let s = GradientCheck.run([a, w]) { $0[0].matmul($0[1], transposeSelf: tA, transposeOther: tB) }
                XCTAssertLessThan(s.maxError, 1e-3, "shared weight tA=\(tA) tB=\(tB): \(s)")
            }
        }
    }
}
