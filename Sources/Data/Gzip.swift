// gzip decompression through zlib's inflate: whole buffers (IDX files) and streamed chunks (the
// 160 MB CIFAR-10 archive). Concatenated gzip members are decoded one after another, as gunzip does.

import CZlib
import Foundation

/// Streaming gzip decoder: feed compressed chunks, receive decompressed chunks.
final class GzipInflater {
    private var stream = z_stream()
    private var finishedMember = false
    private var sawData = false
    private let name: String
    private var output = [UInt8](repeating: 0, count: 1 << 18)

    /// `name` is used in error messages (the file being decoded).
    init(name: String) throws {
        self.name = name
        // 15 + 16: gzip wrapper only, largest window.
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw DatasetError(file: name, message: "zlib inflateInit2 failed (status \(status))")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `input`, calling `sink` with each piece of output.
    func feed(_ input: UnsafeRawBufferPointer, sink: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard input.count > 0 else { return }
        sawData = true
        var remaining = input
        while remaining.count > 0 {
            if finishedMember {
                // Another gzip member follows (or trailing zero padding, which gunzip tolerates).
                if remaining.allSatisfy({ $0 == 0 }) { return }
                inflateReset(&stream)
                finishedMember = false
            }
            stream.next_in = UnsafeMutablePointer(mutating: remaining.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(remaining.count)
            while true {
                let produced: Int
                let status: Int32
                (status, produced) = output.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return (s, out.count - Int(stream.avail_out))
                }
                if produced > 0 {
                    try output.withUnsafeBufferPointer { try sink(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
                }
                if status == Z_STREAM_END { finishedMember = true; break }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw DatasetError(file: name, message: "not valid gzip data (\(detail))")
                }
                // Output space left over means inflate wants more input; no output means no progress.
                if stream.avail_out > 0 || produced == 0 { break }
            }
            let used = remaining.count - Int(stream.avail_in)
            remaining = UnsafeRawBufferPointer(rebasing: remaining[used...])
            if !finishedMember && remaining.count > 0 && used == 0 {
                throw DatasetError(file: name, message: "not valid gzip data (decoder made no progress)")
            }
        }
    }

    /// Call after the last chunk: fails if the stream ended early.
    func finish() throws {
        guard sawData else { throw DatasetError(file: name, message: "empty file; expected gzip data") }
        guard finishedMember else {
            throw DatasetError(file: name, message: "truncated gzip data (the compressed stream ends early)")
        }
    }
}

/// One-shot gzip helpers.
public enum Gzip {
    /// Whether the bytes start with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses a whole gzip buffer. `name` names the source in errors.
    public static func decompress(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        let inflater = try GzipInflater(name: name)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4)
        try bytes.withUnsafeBytes { raw in
            try inflater.feed(raw) { out.append(contentsOf: $0) }
        }
        try inflater.finish()
        return out
    }

    /// Decompresses a gzip file in 1 MB chunks, handing each decompressed piece to `sink`.
    public static func decompressFile(_ path: String, sink: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard let file = fopen(path, "rb") else {
            throw DatasetError(file: path, message: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        let inflater = try GzipInflater(name: path)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 {
                try chunk.withUnsafeBytes { try inflater.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n]), sink: sink) }
            }
            if n < chunk.count {
                if ferror(file) != 0 { throw DatasetError(file: path, message: "read error") }
                break
            }
        }
        try inflater.finish()
    }

    /// gzip-compresses a buffer (used to write test fixtures and caches).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: "<memory>", message: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        let status: Int32 = bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw DatasetError(file: "<memory>", message: "zlib deflate failed (status \(status))")
        }
        out.removeLast(Int(stream.avail_out))
        return out
    }
}
