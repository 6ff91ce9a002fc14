// The inputs the fuzzers found crashing or hanging (fixed since), replayed in a forked process so a
// regression fails one test instead of killing the run: each must now be a one-line typed error.
import Foundation
import XCTest
import Data
import FileFormats
import Training
#if canImport(Glibc)
import Glibc
#endif

final class FoundCrashTests: XCTestCase {
    /// Runs `body` in a child process; returns its error message, or a failure description.
    private func isolated(timeout: Double = 60, _ body: @escaping () throws -> Void) -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return "pipe failed" }
        fflush(stdout)
        let pid = fork()
        if pid == 0 {
            close(fds[0])
            var text: String
            do { try body(); text = "ACCEPTED" } catch { text = "\(error)" }
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            _exit(0)
        }
        close(fds[1])
        defer { close(fds[0]) }
        var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        if poll(&poller, 1, Int32(timeout * 1000)) == 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return "HANG"
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if status & 0x7F != 0 { return "CRASH (signal \(status & 0x7F))" }
        return String(decoding: out, as: UTF8.self)
    }

    private func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "vittrain-found-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testIDXDimensionsWhoseProductOverflows() throws {
        // Found: rank 4, dimensions 0x7fffffff × 0xff000400 × … trapped on Int overflow.
        let path = try folder() + "/images.idx"
        let header: [UInt8] = [0, 0, 8, 4, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0, 4, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]
        _ = FileManager.default.createFile(atPath: path, contents: Foundation.Data(header + [1, 2, 3]))
        let message = isolated { _ = try IDXFile.read(path, expectedMagic: 0x0804, what: "IDX images") }
        XCTAssertEqual(message, "\(path): 3 data bytes; expected more than \(Int.max) for shape 2147483647×4278191104×2147483647×2147483647 (truncated)")
    }

    func testConfigKeysWithLineBreaksOrEmptyStayOnOneLine() {
        let newline = isolated { _ = try RunConfig.read(try ConfigReader.parse(Foundation.Data(#"{"a\nb": 1}"#.utf8), file: "c.json")) }
        XCTAssertEqual(newline, #"config key 'a\nb': unknown key (see Configs/README.md for the keys of each section)"#)
        let empty = isolated { _ = try RunConfig.read(try ConfigReader.parse(Foundation.Data(#"{"": 1}"#.utf8), file: "c.json")) }
        XCTAssertEqual(empty, "config key '': unknown key (see Configs/README.md for the keys of each section)")
    }

    /// The seed checkpoint with one global heap object's size (or the free-space object) damaged.
    private func damagedHeap(_ damage: (inout [UInt8], Int) -> Void) throws -> String {
        var bytes = SeedCorpus.seeds("checkpoint")[0]
        let gcol = Array("GCOL".utf8)
        let start = try XCTUnwrap((0...(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == gcol })
        damage(&bytes, start)
        let path = try folder() + "/checkpoint.h5"
        _ = FileManager.default.createFile(atPath: path, contents: Foundation.Data(bytes))
        return path
    }

    func testGlobalHeapObjectPastItsCollection() throws {
        // Found: libhdf5 1.10 segfaulted (memcpy in H5HG_read) reading the 'format' string.
        let path = try damagedHeap { bytes, start in
            bytes.replaceSubrange(start + 24..<start + 32, with: [0x62, 0x04, 0x02, 0, 0, 0, 0, 0])  // object 1: 132194 bytes
        }
        let message = isolated { _ = try Checkpoint.read(path) }
        XCTAssertTrue(message.hasPrefix("\(path): "), message)
        XCTAssertFalse(message.contains("\n") || message.hasPrefix("CRASH") || message == "HANG", message)
        let direct = isolated { _ = try HDF5File.open(path).stringAttribute("config") }
        XCTAssertTrue(direct.contains("global heap at byte") && direct.contains("runs past the collection's end"), direct)
    }

    func testGlobalHeapWithAnEmptyFreeSpaceObject() throws {
        // Found: libhdf5 1.10 looped forever in its global heap decoder (no progress on size 0).
        let path = try damagedHeap { bytes, start in
            for k in start + 16..<start + 32 { bytes[k] = 0 }  // object 0 (free space) of size 0 first
        }
        let message = isolated { _ = try HDF5File.open(path).stringAttribute("config") }
        XCTAssertTrue(message.contains("global heap at byte") && message.contains("an empty object"), message)
    }
}
