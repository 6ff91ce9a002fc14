// Crash-safe file replacement: write a temporary file in the same directory, fsync it, rename it
// over the target and fsync the directory. A failed or interrupted write leaves the old file intact.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Calls `body` with a temporary path next to `path`; when it returns, the temporary file is
    /// flushed to disk and renamed over `path`. On any error the temporary file is removed, the
    /// previous file at `path` is untouched, and the error is rethrown.
    public static func write(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = (directory as NSString).appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        // Checked first so the message names the target's folder, not the temporary file.
        // "/." makes a file in the folder's place fail with ENOTDIR.
        if access((directory.isEmpty ? "." : directory) + "/.", W_OK) != 0 {
            throw FileFormatError(file: path, message: "cannot write into \(directory.isEmpty ? "." : directory) (\(osErrorReason()))")
        }
        do {
            try body(temporary)
            guard FileManager.default.fileExists(atPath: temporary) else {
                throw FileFormatError(file: path, message: "the writer produced no file at \(temporary)")
            }
            try syncToDisk(temporary, reportAs: path, isDirectory: false)
            if rename(temporary, path) != 0 {
                throw FileFormatError(file: path, message: "cannot rename temporary file into place: \(osErrorReason())")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename is durable only once the directory entry itself reaches the disk.
        try syncToDisk(directory.isEmpty ? "." : directory, reportAs: path, isDirectory: true)
    }

    /// Writes `data` to `path` atomically (see `write(to:_:)`).
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            try writeWholeFile(data, to: temporary, reportAs: path)
        }
    }
}

/// Text of the current `errno`, e.g. "No space left on device".
func osErrorReason() -> String { String(cString: strerror(errno)) }

/// Creates (or truncates) `path` and writes all of `data`, retrying short writes.
func writeWholeFile(_ data: Data, to path: String, reportAs name: String) throws {
    let writer = try FileWriter(path: path, reportAs: name)
    defer { writer.close() }
    try data.withUnsafeBytes { try writer.append($0) }
}

/// Copies the file at `source` to `destination` (created or truncated) in 1 MiB pieces; errors
/// name `source` as `name` and carry the OS reason ("File too large", "No space left on device").
func copyWholeFile(from source: String, to destination: String, reportAs name: String) throws {
    let input = open(source, O_RDONLY)
    if input < 0 { throw FileFormatError(file: name, message: "cannot open file to copy it: \(osErrorReason())") }
    defer { close(input) }
    let writer = try FileWriter(path: destination, reportAs: name)
    defer { writer.close() }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileFormatError(file: name, message: "read failed: \(osErrorReason())")
        }
        if n == 0 { return }
        try buffer.withUnsafeBytes { try writer.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
    }
}

/// A file being written sequentially through a POSIX descriptor; errors carry strerror text.
final class FileWriter {
    private var fd: Int32
    private let name: String

    init(path: String, reportAs name: String) throws {
        self.name = name
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw FileFormatError(file: name, message: "cannot create file: \(osErrorReason())") }
    }

    deinit { close() }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileFormatError(file: name, message: "write failed: \(osErrorReason())")
            }
            offset += n
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
    }
}

private func syncToDisk(_ p: String, reportAs path: String, isDirectory: Bool) throws {
    let fd = open(p, isDirectory ? (O_RDONLY | O_DIRECTORY) : O_RDWR)
    if fd < 0 {
        throw FileFormatError(file: path, message: "cannot open \(isDirectory ? "directory" : "file") to sync: \(osErrorReason())")
    }
    defer { close(fd) }
    if fsync(fd) != 0 {
        throw FileFormatError(file: path, message: "fsync failed: \(osErrorReason())")
    }
}
