// Downloading one blob into the cache: bytes go to `blobs/<etag>.incomplete` (kept when the
// connection drops, so the next attempt or the next run resumes with an HTTP Range), are hashed
// as they arrive, and only a complete file of the right size and sha256 is renamed to `blobs/<etag>`.
// A wrong checksum removes the partial file: nothing damaged stays in the cache.

import Data
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension HubClient {
    /// Attempts per file; each resumes where the previous one stopped.
    static let maxAttempts = 5

    /// Ensures `blobs/<etag>` holds the file `meta` describes.
    func downloadBlob(_ file: String, _ meta: HubFileMetadata, cache: HubCache) throws {
        let blob = cache.blob(meta.etag)
        if FileManager.default.fileExists(atPath: blob) { return }
        try cache.makeDirectory((blob as NSString).deletingLastPathComponent)
        let partialPath = blob + ".incomplete"
        let partial = try PartialFile(path: partialPath)
        defer { partial.close() }
        // Another vittrain process may have finished it while we waited for the lock; the empty
        // partial file our open created after its rename goes again.
        if FileManager.default.fileExists(atPath: blob) {
            if try partial.size() == 0 { try? partial.remove() }
            return
        }

        var sha = SHA256()
        var have = try partial.size()
        if have > meta.size {
            try partial.truncate()      // longer than the file: not a prefix of it
            have = 0
        }
        if have > 0 { try partial.hashContents(into: &sha) }
        let progress = DownloadProgress(label: "\(reference.name)/\(file)", enabled: showProgress)
        var failure: String?
        for attempt in 1...Self.maxAttempts where have < meta.size || (have == 0 && attempt == 1) {
            failure = nil
            let haveBefore = have
            var restart = false
            var writeError: HubError?
            let request = HTTPRequest(method: .get, url: meta.downloadURL,
                                      headers: meta.sendToken ? authorization : [],
                                      rangeFrom: have > 0 ? have : nil, followRedirects: true,
                                      timeout: settings.downloadTimeout)
            var checkedStart = false
            do {
                let response = try request.perform { response, bytes in
                    guard (200..<300).contains(response.status) else { return false }
                    if !checkedStart {
                        checkedStart = true
                        // A 200 to a Range request is the whole file again: start over (as huggingface_hub).
                        if have > 0 && response.status != 206 { restart = true }
                        if response.status == 206, Self.rangeStart(response) != have {
                            writeError = HubError(reference.description, "\(file): the server resumed at another offset than byte \(have) (Content-Range: \(response[header: "content-range"] ?? "none"))")
                            return false
                        }
                        if restart {
                            do { try partial.truncate() } catch { writeError = error as? HubError; return false }
                            have = 0
                            sha = SHA256()
                        }
                    }
                    guard have + Int64(bytes.count) <= meta.size else {
                        writeError = HubError(reference.description, "\(file): the server sent more than the \(meta.size) bytes the Hub announced")
                        return false
                    }
                    do { try partial.append(bytes) } catch { writeError = error as? HubError; return false }
                    sha.update(bytes)
                    have += Int64(bytes.count)
                    progress.update(done: have, total: meta.size)
                    return true
                }
                if let writeError {
                    progress.finish()
                    try? partial.remove()
                    throw writeError
                }
                if !(200..<300).contains(response.status) {
                    progress.finish()
                    try checkStatus(response, file: file, revision: meta.commit)
                    throw HubError(reference.description, "\(file): download answered HTTP \(response.status)")
                }
                if have < meta.size { failure = "the connection closed after \(have) of \(meta.size) bytes" }
            } catch let error as TransportError {
                failure = error.message
            }
            if failure == nil { break }
            // An attempt that got nothing waits a little (1, 2, 3, 4 s) before the next; one that
            // made progress was cut off mid-way and resumes at once.
            if have == haveBefore && attempt < Self.maxAttempts { sleep(UInt32(attempt)) }
        }
        progress.update(done: have, total: meta.size, force: true)
        progress.finish()
        if let failure {
            // The partial file stays: the next run resumes from it.
            throw HubError(reference.description, "downloading \(file) failed after \(Self.maxAttempts) attempts (\(failure)); \(have) of \(meta.size) bytes are kept in \(partialPath), run the command again to resume")
        }
        if meta.isLFS {
            let digest = sha.hexDigest()
            if digest != meta.etag.lowercased() {
                try? partial.remove()
                throw HubError(reference.description, "\(file): sha256 \(digest) of the download does not match \(meta.etag) that the Hub reports; the damaged download was removed, nothing was cached; try again")
            }
        }
        try partial.commit(to: blob)
    }
}

extension HubClient {
    /// The first byte of a 206 answer, from `Content-Range: bytes START-END/TOTAL`.
    static func rangeStart(_ response: HTTPResponse) -> Int64? {
        guard let range = response[header: "content-range"], range.hasPrefix("bytes ") else { return nil }
        return Int64(range.dropFirst("bytes ".count).prefix { $0.isNumber })
    }
}

/// `blobs/<etag>.incomplete`, opened for appending under an exclusive lock (flock), so two
/// processes never write the same partial file.
private final class PartialFile {
    let path: String
    private var fd: Int32 = -1

    init(path: String) throws {
        self.path = path
        // The file may be renamed away (finished) while we wait: reopen until the lock is on the live file.
        for _ in 0..<10 {
            fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0o644)
            guard fd >= 0 else { throw HubError(path, "cannot write in the cache: \(systemReason())") }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                FileHandle.standardError.write(Foundation.Data("waiting for another process downloading \(path)\n".utf8))
                _ = flock(fd, LOCK_EX)
            }
            var opened = stat(), current = stat()
            if fstat(fd, &opened) == 0, stat(path, &current) == 0, opened.st_ino == current.st_ino { return }
            Glibc.close(fd)
            fd = -1
        }
        throw HubError(path, "cannot lock the partial download (it keeps changing)")
    }

    func size() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HubError(path, "cannot read: \(systemReason())") }
        return Int64(info.st_size)
    }

    func truncate() throws {
        guard ftruncate(fd, 0) == 0 else { throw HubError(path, "cannot truncate: \(systemReason())") }
    }

    /// Feeds what an earlier attempt wrote to the hash, so a resumed file is checked whole.
    func hashContents(into sha: inout SHA256) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HubError(path, "cannot read: \(systemReason())")
            }
            if n == 0 { return }
            buffer.withUnsafeBytes { sha.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            offset += off_t(n)
        }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw HubError(path, "cannot write in the cache: \(systemReason())")
            }
            done += n
        }
    }

    /// Flushes and renames into place (still holding the lock, so a waiting process sees the blob).
    func commit(to blob: String) throws {
        guard fsync(fd) == 0 else { throw HubError(path, "fsync failed: \(systemReason())") }
        guard rename(path, blob) == 0 else {
            throw HubError(blob, "cannot move the download into place: \(systemReason())")
        }
    }

    func remove() throws {
        unlink(path)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
