// Shared helpers for the Interpret tests: fixture paths, HDF5 reads into Tensors, comparisons.

import Foundation
import XCTest
import FileFormats
import SharedTestHelpers
import Interpret

enum Fixtures {
    /// Tests/Fixtures, found from this source file's location.
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }

    /// Runs Scripts/check_report.sh (headless chromium) on an attention page, writing a
    /// screenshot; returns the script's exit status and its combined output.
    static func checkPage(_ indexPath: String, screenshot: String) throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/check_report.sh").path
        return try runProcess("/bin/bash", [script, indexPath, screenshot])
    }

    static func tensor(_ file: HDF5File, _ path: String) throws -> Tensor {
        let (shape, values) = try file.readFloats(path)
        return Tensor(shape: shape, data: values)
    }
}

/// A fresh empty directory under the temporary directory.
func temporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "vittrain-interpret-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Asserts equal shapes and element-wise |a − b| ≤ tolerance; returns the largest difference.
@discardableResult
func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return .infinity }
    var worst: Float = 0
    for (a, e) in zip(actual.data, expected.data) { worst = max(worst, abs(a - e)) }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max |difference| \(worst)", file: file, line: line)
    print("parity \(what): max |difference| \(worst)")
    return worst
}
