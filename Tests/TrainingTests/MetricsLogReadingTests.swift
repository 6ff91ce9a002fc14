import Foundation
import XCTest
import Training

/// The metrics log as a reader sees it after a crash: a last line cut short is dropped, any other
/// bad line is an error naming the file and line; a resumed run drops the lines past its step.
final class MetricsLogReadingTests: XCTestCase {
    private func temporaryLog(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "metrics-\(UUID().uuidString).jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testATornLastLineIsDroppedAndABadMiddleLineIsAnError() throws {
        let torn = try temporaryLog("{\"kind\":\"step\",\"step\":1}\n{\"kind\":\"step\",\"step\":2}\n{\"kind\":\"ep")
        XCTAssertEqual(try MetricsLog.read(torn).map { $0["step"] as? Int }, [1, 2])
        let whole = try temporaryLog("{\"step\":1}\n{\"step\":2}\n")
        XCTAssertEqual(try MetricsLog.read(whole).count, 2)
        let bad = try temporaryLog("{\"step\":1}\nnot json\n{\"step\":3}\n")
        XCTAssertThrowsError(try MetricsLog.read(bad)) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
            XCTAssertTrue("\(error)".contains(bad), "\(error)")
        }
    }

    func testTruncateKeepsTheLinesUpToTheCheckpointStepVerbatim() throws {
        let lines = ["{\"kind\":\"step\",\"loss\":0.12345678901234,\"step\":1}",
                     "{\"kind\":\"epoch\",\"step\":2,\"val_accuracy\":0.5}",
                     "{\"kind\":\"step\",\"step\":3}"]
        let path = try temporaryLog(lines.joined(separator: "\n") + "\n{\"kind\":\"st")
        try MetricsLogHook(path: path, logEvery: 1).truncate(afterStep: 2)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), lines[0] + "\n" + lines[1] + "\n")
        try MetricsLogHook(path: path, logEvery: 1).truncate(afterStep: 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "")
    }
}
