// Helpers shared by the Data tests: a fresh temporary folder per test, and the package root
// (found from this file's path) so real-data tests can locate ../shared/datasets.

import Foundation
import XCTest
import Data

enum TestSupport {
    /// A new empty folder under the system temporary directory.
    static func temporaryDirectory(_ name: String = #function) throws -> String {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "vittrain-data-\(clean)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The package root (two levels above Tests/DataTests).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Runs `body`, expecting a DatasetError; returns it (fails the test otherwise).
    static func expectDatasetError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> DatasetError? {
        do {
            try body()
            XCTFail("expected a DatasetError, got success", file: file, line: line)
        } catch let error as DatasetError {
            XCTAssertFalse(error.description.contains("\n"), "error must be one line: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
        }
        return nil
    }
}

/// A dataset of constant images (value = index / count) whose sample throws at chosen indices.
final class StubDataset: ImageDataset {
    let count: Int
    let channels: Int
    let height: Int
    let width: Int
    let failing: Set<Int>
    var classNames: [String] { ["a", "b", "c"] }
    var defaultNormalization: (mean: [Float], std: [Float]) { ([0.5], [0.5]) }

    init(count: Int, channels: Int = 1, height: Int = 2, width: Int = 2, failing: Set<Int> = []) {
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.failing = failing
    }

    func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        if failing.contains(index) { throw DatasetError(file: "stub-\(index).png", message: "corrupt image") }
        return ([Float](repeating: Float(index), count: channels * height * width), index % 3)
    }
}
