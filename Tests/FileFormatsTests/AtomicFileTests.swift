// AtomicFile: the target is replaced only when the body succeeds; no temporary files linger;
// OS failures become FileFormatErrors carrying strerror text.
import Foundation
import XCTest
import FileFormats

final class AtomicFileTests: XCTestCase {
    func testWriteDataReplacesFileAndLeavesNoTemporary() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.bin"
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([1, 2, 3]))
        try AtomicFile.write(Data([9, 8]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([9, 8]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.bin"])
    }

    func testFailingBodyKeepsOldFileAndRemovesTemporary() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/keep.txt"
        try AtomicFile.write(Data("old".utf8), to: path)
        struct Boom: Error {}
        var seenTemporary = ""
        XCTAssertThrowsError(try AtomicFile.write(to: path) { tmp in
            seenTemporary = tmp
            try Data("half-written".utf8).write(to: URL(fileURLWithPath: tmp))
            throw Boom()
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertTrue((seenTemporary as NSString).lastPathComponent.hasPrefix(".keep.txt.tmp-"), seenTemporary)
        XCTAssertEqual((seenTemporary as NSString).deletingLastPathComponent, dir)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["keep.txt"])
    }

    func testMissingDirectoryGivesOSReason() throws {
        let path = "/nonexistent-vittrain-dir/sub/file.bin"
        assertFileError(try AtomicFile.write(Data([1]), to: path), file: path, contains: ["No such file or directory"])
    }

    func testBodyThatWritesNothingIsAnError() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/none"
        assertFileError(try AtomicFile.write(to: path) { _ in }, file: path, contains: ["produced no file"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testParentIsAFileGivesOSReason() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Data("x".utf8), to: dir + "/plain")
        let path = dir + "/plain/child.bin"
        assertFileError(try AtomicFile.write(Data([1]), to: path), file: path, contains: ["Not a directory"])
    }
}
