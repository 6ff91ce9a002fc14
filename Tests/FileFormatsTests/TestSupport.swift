// Shared helpers for the FileFormats tests: a fresh temporary directory per test and an
// assertion that an expression throws a FileFormatError whose one-line text contains given words.
import Foundation
import XCTest
import FileFormats

/// A new empty directory under the system temporary directory, removed by `tearDown` callers.
func makeTemporaryDirectory(_ name: String = #function) throws -> String {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let dir = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("vittrain-ff-\(clean)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Asserts that `body` throws a FileFormatError naming `file` whose description contains every
/// fragment and is a single line. Returns the error for further checks.
@discardableResult
func assertFileError<T>(_ body: @autoclosure () throws -> T, file expectedFile: String, contains fragments: [String] = [],
                        _ note: String = "", line: UInt = #line) -> FileFormatError? {
    do {
        _ = try body()
        XCTFail("expected a FileFormatError \(note)", line: line)
        return nil
    } catch let error as FileFormatError {
        XCTAssertEqual(error.file, expectedFile, note, line: line)
        XCTAssertTrue(error.description.hasPrefix(expectedFile + ": "), "\(error) \(note)", line: line)
        XCTAssertFalse(error.description.contains("\n"), "multi-line error: \(error)", line: line)
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)' \(note)", line: line)
        }
        return error
    } catch {
        XCTFail("expected FileFormatError, got \(type(of: error)): \(error) \(note)", line: line)
        return nil
    }
}
