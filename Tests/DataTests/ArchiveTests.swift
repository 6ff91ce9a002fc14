// MD5 against the RFC 1321 test suite, tar extraction of archives built here (by hand in ustar
// layout, and by the system tar if installed), gzip round trips, and the download's offline failure.

import Foundation
import XCTest
import Data

final class ArchiveTests: XCTestCase {
    func testMD5RFC1321Vectors() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (text, digest) in vectors {
            XCTAssertEqual(MD5.hex(Array(text.utf8)), digest, "MD5(\"\(text)\")")
        }
        // Streaming in uneven pieces gives the same digest as one update.
        let long = Array((0..<1000).map { UInt8($0 % 251) })
        var md5 = MD5()
        var offset = 0
        for piece in [1, 63, 64, 65, 127, 300, 380] {
            md5.update(long[offset..<offset + piece])
            offset += piece
        }
        XCTAssertEqual(offset, long.count)
        XCTAssertEqual(md5.hexDigest(), MD5.hex(long))
    }

    /// A ustar header block for a regular file or directory.
    static func ustarHeader(name: String, prefix: String = "", size: Int, type: UInt8 = UInt8(ascii: "0")) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int) { for (i, b) in text.utf8.enumerated() { h[offset + i] = b } }
        put(name, 0)
        put("0000644", 100)
        put("0000000", 108)
        put("0000000", 116)
        put(String(repeating: "0", count: 11 - String(size, radix: 8).count) + String(size, radix: 8), 124)
        put("00000000000", 136)
        h[156] = type
        put("ustar", 257)
        put("00", 263)
        put(prefix, 345)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), 148)
        h[154] = 0
        return h
    }

    static func ustarArchive(_ entries: [(name: String, prefix: String, contents: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            out += ustarHeader(name: e.name, prefix: e.prefix, size: e.contents.count)
            out += e.contents
            out += [UInt8](repeating: 0, count: (512 - e.contents.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    func testTarExtractsHandBuiltUstarWithPrefixAndLargeFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        let big = (0..<5000).map { UInt8(($0 * 31) % 256) }
        let archive = Self.ustarArchive([
            ("data_batch_1.bin", "cifar-10-batches-bin", big),
            ("empty.txt", "", []),
            ("batches.meta.txt", "cifar-10-batches-bin", Array("cat\ndog\n".utf8)),
        ])
        // Feed in awkward chunk sizes, through gzip, as the download does.
        let gz = try Gzip.compress(archive)
        try TestSupport.write(gz, to: dir + "/a.tar.gz")
        let files = try TarExtractor.extractGzip(dir + "/a.tar.gz", into: dir + "/out")
        XCTAssertEqual(files, ["cifar-10-batches-bin/data_batch_1.bin", "empty.txt", "cifar-10-batches-bin/batches.meta.txt"])
        XCTAssertEqual(try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: dir + "/out/cifar-10-batches-bin/data_batch_1.bin"))), big)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/cifar-10-batches-bin/batches.meta.txt", encoding: .utf8), "cat\ndog\n")
        XCTAssertEqual(try FileBytesProbe.size(dir + "/out/empty.txt"), 0)

        let extractor = try TarExtractor(destination: dir + "/chunked", archiveName: "chunks")
        var offset = 0
        var step = 1
        while offset < archive.count {
            let n = min(step, archive.count - offset)
            try archive[offset..<offset + n].withUnsafeBufferPointer { try extractor.feed($0) }
            offset += n
            step = step * 3 % 1031 + 1
        }
        try extractor.finish()
        XCTAssertEqual(try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: dir + "/chunked/cifar-10-batches-bin/data_batch_1.bin"))), big)
    }

    func testTarRejectsEscapingPathsAndBadChecksum() throws {
        let dir = try TestSupport.temporaryDirectory()
        let escaping = Self.ustarArchive([("../evil.txt", "", [1, 2, 3])])
        let error = TestSupport.expectDatasetError { _ = try TarExtractor.extract(escaping, into: dir + "/x", archiveName: "evil.tar") }
        XCTAssertTrue(error?.description.contains("outside the destination") ?? false, "\(String(describing: error))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/evil.txt"))

        var damaged = Self.ustarArchive([("a.txt", "", [1, 2, 3])])
        damaged[0] = UInt8(ascii: "b")
        let checksum = TestSupport.expectDatasetError { _ = try TarExtractor.extract(damaged, into: dir + "/y", archiveName: "bad.tar") }
        XCTAssertTrue(checksum?.description.hasPrefix("bad.tar: not a tar archive") ?? false, "\(String(describing: checksum))")

        let truncated = Array(Self.ustarArchive([("a.bin", "", [UInt8](repeating: 7, count: 2000))]).prefix(1200))
        let short = TestSupport.expectDatasetError { _ = try TarExtractor.extract(truncated, into: dir + "/z", archiveName: "short.tar") }
        XCTAssertTrue(short?.description.contains("truncated tar archive") ?? false, "\(String(describing: short))")
    }

    /// GNU tar (when installed) writes long names as 'L' records; the extractor follows them.
    func testTarExtractsSystemTarArchiveWithLongName() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tar") || FileManager.default.isExecutableFile(atPath: "/bin/tar") else {
            throw XCTSkip("no system tar")
        }
        let dir = try TestSupport.temporaryDirectory()
        let longName = String(repeating: "n", count: 120) + ".bin"
        try FileManager.default.createDirectory(atPath: dir + "/src/sub", withIntermediateDirectories: true)
        let contents = (0..<777).map { UInt8($0 % 256) }
        try TestSupport.write(contents, to: dir + "/src/sub/" + longName)
        try TestSupport.write([9, 8, 7], to: dir + "/src/short.bin")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/tar") ? "/usr/bin/tar" : "/bin/tar")
        process.arguments = ["-czf", dir + "/a.tar.gz", "-C", dir + "/src", "."]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let files = try TarExtractor.extractGzip(dir + "/a.tar.gz", into: dir + "/out")
        XCTAssertEqual(Set(files), ["sub/" + longName, "short.bin"])
        XCTAssertEqual(try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: dir + "/out/sub/" + longName))), contents)
        XCTAssertEqual(try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: dir + "/out/short.bin"))), [9, 8, 7])
    }

    func testGzipRoundTripAndConcatenatedMembers() throws {
        let a = Array("hello ".utf8), b = (0..<100_000).map { UInt8(($0 * 7) % 13) }
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(b), name: "b"), b)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(a) + Gzip.compress(b), name: "ab"), a + b)
        let error = TestSupport.expectDatasetError { _ = try Gzip.decompress(Array(Gzip.compress(b).prefix(20)), name: "cut.gz") }
        XCTAssertEqual(error?.file, "cut.gz")
    }

    /// With no server (port 9 on localhost refuses), fetching fails at once with one line that
    /// names the URL, says what failed and how to place the files by hand, and leaves no partial file.
    func testDownloadFailsFastWithoutNetwork() throws {
        let dir = try TestSupport.temporaryDirectory()
        let url = URL(string: "http://127.0.0.1:9/cifar-10-binary.tar.gz")!
        let start = Date()
        let error = TestSupport.expectDatasetError {
            try CIFAR10Download.fetch(into: dir, from: url, showProgress: false, timeout: 20)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 15, "should fail at once, not wait for a timeout")
        XCTAssertEqual(error?.file, url.absoluteString)
        XCTAssertTrue(error?.message.hasPrefix("download failed") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("by hand") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains(dir + "/cifar-10-batches-bin/data_batch_1.bin") ?? false, "\(String(describing: error))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}

/// File size via FileManager (the Data module's own helper is internal).
enum FileBytesProbe {
    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }
}
