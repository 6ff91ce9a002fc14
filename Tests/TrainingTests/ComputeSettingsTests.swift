// matmul_precision "medium" as a permission: bf16 only where this CPU has the kernel and it
// measures faster than fp32; otherwise fp32 and exactly one note that says why.

import Tensor
import Training
import XCTest

final class ComputeSettingsTests: XCTestCase {
    override func tearDown() {
        BLAS.precision = .highest
    }

    func testMediumUsesBF16OnlyWhereItIsFaster() {
        var notes: [String] = []
        ComputeSettings.apply(precision: .medium) { notes.append($0) }
        if !BLAS.supportsBFloat16 {
            XCTAssertEqual(BLAS.effectivePrecision, .highest)
            XCTAssertEqual(notes.count, 1)
            XCTAssertTrue(notes[0].contains("lacks"), notes[0])
            return
        }
        // Both kernels exist here: the choice follows the measured speed (about 2× on Zen 4,
        // 0.6–0.75× on Sapphire Rapids, far from the 1.15 line either way).
        let speedup = BF16GEMM.measuredSpeedup()
        print("bf16 / fp32 GEMM speed on this CPU: \(speedup)×, precision used: \(BLAS.effectivePrecision)")
        XCTAssertGreaterThan(speedup, 0)
        if BLAS.effectivePrecision == .medium {
            XCTAssertTrue(notes.isEmpty, "\(notes)")
            XCTAssertGreaterThan(speedup, 1.0)
        } else {
            XCTAssertEqual(notes.count, 1)
            XCTAssertTrue(notes[0].contains("no faster; GEMMs run in fp32"), notes[0])
            XCTAssertLessThan(speedup, 1.3)
        }
    }

    func testHighestNeverMeasuresOrNotes() {
        var notes: [String] = []
        ComputeSettings.apply(precision: .highest) { notes.append($0) }
        XCTAssertEqual(BLAS.effectivePrecision, .highest)
        XCTAssertTrue(notes.isEmpty)
    }
}
