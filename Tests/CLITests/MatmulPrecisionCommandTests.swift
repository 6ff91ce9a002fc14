import Foundation
import Tensor
import XCTest

/// matmul_precision from the command line: a run trained with "medium" (bf16 GEMM inputs) records
/// it and learns; `eval --matmul-precision` scores the same checkpoint both ways, close together;
/// a wrong value is a one-line error. On a CPU without AVX-512 BF16, "medium" says it falls back.
final class MatmulPrecisionCommandTests: XCTestCase {
    func accuracy(_ stdout: String) -> Double? {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("accuracy ") }),
              let field = line.split(separator: " ").dropFirst().first else { return nil }
        return Double(field.dropLast())     // "87.50%"
    }

    func testMediumPrecisionTrainsAndEvaluatesCloseToFloat32() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(TrainCommandTests.tinyConfig, to: "tiny.json")
        let train = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run",
                                 "--set", #"train.matmul_precision="medium""#])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(train.stderr.contains("lacks; GEMMs run in fp32"), !BLAS.supportsBFloat16, train.stderr)
        let saved = try String(contentsOfFile: cli.path("run/config.json"), encoding: .utf8)
        XCTAssertTrue(saved.contains(#""matmul_precision" : "medium""#) || saved.contains(#""matmul_precision":"medium""#), saved)

        let highest = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5")])
        let medium = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--matmul-precision", "medium"])
        XCTAssertEqual(highest.status, 0, highest.stderr)
        XCTAssertEqual(medium.status, 0, medium.stderr)
        let a = try XCTUnwrap(accuracy(highest.stdout), highest.stdout)
        let b = try XCTUnwrap(accuracy(medium.stdout), medium.stdout)
        print("eval accuracy: highest \(a)%, medium \(b)%")
        // 32 validation images: bf16 rounding may flip a prediction whose top two logits nearly
        // tie, but not more than two.
        XCTAssertLessThanOrEqual(abs(a - b), 2 * 100.0 / 32 + 1e-9)

        let bad = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--matmul-precision", "low"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--matmul-precision"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }
}
