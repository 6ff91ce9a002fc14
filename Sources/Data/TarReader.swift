// A minimal streaming tar extractor (POSIX ustar, plus the GNU long-name and pax path records that
// GNU tar writes), enough to unpack the CIFAR-10 archive. Fed decompressed chunks, it writes regular
// files and directories under a destination folder and refuses paths that would escape it.

import Foundation

public final class TarExtractor {
    private let destination: String
    private let archiveName: String
    private var header: [UInt8] = []
    /// The entry whose data is being received.
    private var current: (file: UnsafeMutablePointer<FILE>?, remaining: Int, padding: Int, kind: UInt8, path: String)?
    private var metadata: [UInt8] = []
    /// Path from a GNU 'L' record or a pax 'x' record, applied to the next entry.
    private var pendingPath: String?
    private var zeroBlocks = 0
    /// Relative paths of the regular files written, in archive order.
    public private(set) var extractedFiles: [String] = []

    /// Extracts into `destination` (created if needed). `archiveName` names the archive in errors.
    public init(destination: String, archiveName: String) throws {
        self.destination = destination
        self.archiveName = archiveName
        do {
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(file: destination, message: "cannot create folder (\(error.localizedDescription))")
        }
    }

    deinit {
        if let file = current?.file { fclose(file) }
    }

    /// Extracts a whole in-memory tar archive.
    public static func extract(_ archive: [UInt8], into destination: String, archiveName: String) throws -> [String] {
        let extractor = try TarExtractor(destination: destination, archiveName: archiveName)
        try archive.withUnsafeBufferPointer { try extractor.feed($0) }
        try extractor.finish()
        return extractor.extractedFiles
    }

    /// Extracts a .tar.gz file, streaming (never holds the whole archive in memory).
    public static func extractGzip(_ path: String, into destination: String) throws -> [String] {
        let extractor = try TarExtractor(destination: destination, archiveName: path)
        try Gzip.decompressFile(path) { try extractor.feed($0) }
        try extractor.finish()
        return extractor.extractedFiles
    }

    /// Consumes the next piece of the (uncompressed) archive.
    public func feed(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var offset = 0
        while offset < bytes.count {
            if var entry = current {
                // Entry data, then padding up to the next 512-byte boundary.
                if entry.remaining > 0 {
                    let n = min(entry.remaining, bytes.count - offset)
                    let piece = UnsafeBufferPointer(rebasing: bytes[offset..<offset + n])
                    if let file = entry.file {
                        if fwrite(piece.baseAddress, 1, n, file) != n {
                            throw DatasetError(file: FileBytes.join(destination, entry.path), message: "write failed (\(String(cString: strerror(errno))))")
                        }
                    } else if entry.kind == UInt8(ascii: "L") || entry.kind == UInt8(ascii: "x") {
                        metadata.append(contentsOf: piece)
                    }
                    entry.remaining -= n
                    offset += n
                } else {
                    let n = min(entry.padding, bytes.count - offset)
                    entry.padding -= n
                    offset += n
                }
                current = entry
                if entry.remaining == 0 && entry.padding == 0 { try finishEntry() }
                continue
            }
            let n = min(512 - header.count, bytes.count - offset)
            header.append(contentsOf: bytes[offset..<offset + n])
            offset += n
            if header.count == 512 {
                try startEntry()
                header.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Call after the last byte: fails if the archive ended inside an entry.
    public func finish() throws {
        if let entry = current, entry.remaining > 0 {
            throw DatasetError(file: archiveName, message: "truncated tar archive: \(entry.path) is missing \(entry.remaining) bytes")
        }
        if current != nil { try finishEntry() }
        if !header.isEmpty && !header.allSatisfy({ $0 == 0 }) {
            throw DatasetError(file: archiveName, message: "truncated tar archive: a partial \(header.count)-byte header at the end")
        }
    }

    private func startEntry() throws {
        if header.allSatisfy({ $0 == 0 }) {
            zeroBlocks += 1  // two zero blocks end the archive; anything after is ignored padding
            return
        }
        if zeroBlocks >= 2 { return }
        zeroBlocks = 0
        // Checksum: sum of header bytes with the checksum field (148..<156) read as spaces.
        var sum = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        guard let stored = octal(148, 8), stored == sum else {
            throw DatasetError(file: archiveName, message: "not a tar archive (header checksum mismatch at entry \(extractedFiles.count + 1))")
        }
        guard let size = octal(124, 12) else {
            throw DatasetError(file: archiveName, message: "tar header has an unreadable size field")
        }
        let kind = header[156]
        var name = string(0, 100)
        let magic = string(257, 6)
        if magic.hasPrefix("ustar") {
            let prefix = string(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        if let long = pendingPath {
            name = long
            pendingPath = nil
        }
        let padding = (512 - size % 512) % 512
        var file: UnsafeMutablePointer<FILE>?
        switch kind {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            let path = try safePath(name)
            let full = FileBytes.join(destination, path)
            let parent = (full as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            guard let f = fopen(full, "wb") else {
                throw DatasetError(file: full, message: "cannot create (\(String(cString: strerror(errno))))")
            }
            file = f
            extractedFiles.append(path)
            name = path
        case UInt8(ascii: "5"):
            // "./" (the archive root) names the destination itself.
            if name.split(separator: "/").allSatisfy({ $0 == "." }) { break }
            let path = try safePath(name)
            do {
                try FileManager.default.createDirectory(atPath: FileBytes.join(destination, path), withIntermediateDirectories: true)
            } catch {
                throw DatasetError(file: FileBytes.join(destination, path), message: "cannot create folder (\(error.localizedDescription))")
            }
        case UInt8(ascii: "L"), UInt8(ascii: "x"):
            metadata.removeAll()
        default:
            break  // links, devices, global pax headers: skipped (the datasets hold none)
        }
        current = (file, size, padding, kind, name)
        if size == 0 && padding == 0 { try finishEntry() }
    }

    private func finishEntry() throws {
        guard let entry = current else { return }
        current = nil
        if let file = entry.file {
            if fclose(file) != 0 {
                throw DatasetError(file: FileBytes.join(destination, entry.path), message: "write failed on close")
            }
        }
        if entry.kind == UInt8(ascii: "L") {
            pendingPath = String(decoding: metadata.prefix { $0 != 0 }, as: UTF8.self)
        } else if entry.kind == UInt8(ascii: "x") {
            // pax records: "<length> <key>=<value>\n"; only `path` matters here.
            let text = String(decoding: metadata, as: UTF8.self)
            for line in text.split(separator: "\n") {
                if let space = line.firstIndex(of: " ") {
                    let record = line[line.index(after: space)...]
                    if record.hasPrefix("path=") { pendingPath = String(record.dropFirst(5)) }
                }
            }
        }
    }

    /// Rejects absolute paths and `..` so an archive cannot write outside the destination.
    private func safePath(_ name: String) throws -> String {
        let parts = name.split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        guard !name.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
            throw DatasetError(file: archiveName, message: "tar entry '\(name)' points outside the destination folder")
        }
        return parts.joined(separator: "/")
    }

    private func string(_ offset: Int, _ length: Int) -> String {
        String(decoding: header[offset..<offset + length].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (NUL/space terminated), or GNU base-256 when the top bit is set.
    private func octal(_ offset: Int, _ length: Int) -> Int? {
        let field = header[offset..<offset + length]
        if let first = field.first, first & 0x80 != 0 {
            var value = Int(first & 0x7F)
            for b in field.dropFirst() { value = value << 8 | Int(b) }
            return value
        }
        let digits = field.drop { $0 == 32 }.prefix { $0 >= 48 && $0 <= 55 }
        if digits.isEmpty { return field.allSatisfy { $0 == 0 || $0 == 32 } ? 0 : nil }
        return digits.reduce(0) { $0 * 8 + Int($1 - 48) }
    }
}
