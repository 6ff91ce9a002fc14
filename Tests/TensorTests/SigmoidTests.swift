// sigmoid: values against hand-computed numbers and a finite-difference gradient.

import Foundation
import Tensor
import XCTest

final class SigmoidTests: XCTestCase {
    func testSigmoidValuesAndGradient() {
        let y = Tensor(shape: [3], data: [0, 2, -2]).sigmoid()
        XCTAssertLessThan(maxDifference(y.data, [0.5, 0.880797, 0.119203]), 1e-5)
        assertGradient("sigmoid", [randomTensor([3, 5], seed: 4, scale: 3)], tolerance: 1e-3) { $0[0].sigmoid() }
    }
}
