// VITTRAIN_CPU on the real binary: an unknown level is a one-line error before anything runs, and
// a lowered level is the one `bench --gemm` reports and uses (the baseline sends fp32 products to
// OpenBLAS).

import XCTest

final class CPULevelCommandTests: XCTestCase {
    func testUnknownLevelIsOneLineError() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let result = try cli.run(["--help"], environment: ["VITTRAIN_CPU": "avx9"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("VITTRAIN_CPU must be baseline, avx2, avx512 or auto"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testBaselineLevelIsReportedAndUsed() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write("{}", to: "empty.json")
        let result = try cli.run(["bench", "--gemm", "--json", "--config", "empty.json", "--set", "train.threads=1"],
                                 environment: ["VITTRAIN_CPU": "baseline"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((report?["cpu"] as? String)?.hasPrefix("baseline in use"), true, result.stdout)
        XCTAssertEqual((report?["fp32_kernel"] as? String)?.hasPrefix("OpenBLAS"), true, result.stdout)
        XCTAssertGreaterThan(report?["fma_peak_gflops"] as? Double ?? 0, 0, result.stdout)
    }
}
