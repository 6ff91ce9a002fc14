// Downloads the CIFAR-10 binary archive, checks its published MD5, and unpacks it atomically:
// the archive streams to a hidden partial file, is extracted into a hidden folder beside the
// destination, and only a complete, verified folder is renamed into place.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public enum CIFAR10Download {
    public static let defaultURL = URL(string: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")!
    /// MD5 published on the CIFAR-10 page for cifar-10-binary.tar.gz.
    public static let publishedMD5 = "c32a1d4ab5d03f1284b67883e8d87530"

    /// Downloads and extracts CIFAR-10 so that `directory/cifar-10-batches-bin/` holds the batches,
    /// and returns that folder. Does nothing if it is already complete. Any failure (no network,
    /// HTTP error, checksum mismatch, bad archive) is one DatasetError saying what failed and how to
    /// put the files there by hand; partial files are removed.
    @discardableResult
    public static func fetch(into directory: String, from url: URL = defaultURL,
                             expectedMD5: String? = publishedMD5, showProgress: Bool = true,
                             timeout: TimeInterval = 60) throws -> String {
        let target = FileBytes.join(directory, CIFAR10Dataset.folderName)
        let needed = CIFAR10Dataset.trainFiles + CIFAR10Dataset.testFiles
        if needed.allSatisfy({ FileBytes.isFile(FileBytes.join(target, $0)) }) { return target }
        let byHand = "download \(url.absoluteString) by hand and extract it in \(directory) (so that \(target)/data_batch_1.bin exists)"
        if FileManager.default.fileExists(atPath: target) {
            throw DatasetError(file: target, message: "exists but is incomplete (needs \(needed.joined(separator: ", "))); remove it and retry, or \(byHand)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(file: directory, message: "cannot create folder (\(error.localizedDescription))")
        }

        let partial = FileBytes.join(directory, ".cifar-10-binary.tar.gz.partial")
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let digest = try download(url, to: partial, showProgress: showProgress, timeout: timeout, byHand: byHand)
        if let expectedMD5, digest != expectedMD5.lowercased() {
            throw DatasetError(file: url.absoluteString, message: "MD5 \(digest) does not match the published \(expectedMD5); the download is damaged — retry, or \(byHand)")
        }

        let staging = FileBytes.join(directory, ".cifar-10-extract-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(atPath: staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        do {
            _ = try TarExtractor.extractGzip(partial, into: staging)
        } catch let error as DatasetError {
            throw DatasetError(file: error.file, message: error.message + "; \(byHand)")
        }
        let extracted = FileBytes.join(staging, CIFAR10Dataset.folderName)
        for name in needed where !FileBytes.isFile(FileBytes.join(extracted, name)) {
            throw DatasetError(file: url.absoluteString, message: "the archive has no \(CIFAR10Dataset.folderName)/\(name); \(byHand)")
        }
        do {
            try FileManager.default.moveItem(atPath: extracted, toPath: target)
        } catch {
            throw DatasetError(file: target, message: "cannot move the extracted folder into place (\(error.localizedDescription))")
        }
        return target
    }

    /// Streams `url` into `path`, hashing as it goes; returns the MD5 hex digest.
    static func download(_ url: URL, to path: String, showProgress: Bool, timeout: TimeInterval,
                         byHand: String) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw DatasetError(file: path, message: "cannot create the download file")
        }
        defer { try? handle.close() }
        let receiver = DownloadReceiver(handle: handle,
                                        progress: DownloadProgress(label: url.lastPathComponent, enabled: showProgress))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: url).resume()
        receiver.done.wait()
        receiver.progress.finish()
        if let failure = receiver.failure {
            throw DatasetError(file: url.absoluteString, message: "download failed (\(failure)); \(byHand)")
        }
        return receiver.md5.hexDigest()
    }
}

/// URLSession delegate that writes each chunk to disk and feeds the MD5 as it arrives.
private final class DownloadReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let handle: FileHandle
    let progress: DownloadProgress
    let done = DispatchSemaphore(value: 0)
    var md5 = MD5()
    var received: Int64 = 0
    var expected: Int64?
    var failure: String?

    init(handle: FileHandle, progress: DownloadProgress) {
        self.handle = handle
        self.progress = progress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            failure = "HTTP status \(http.statusCode)"
            completionHandler(.cancel)
            return
        }
        expected = response.expectedContentLength > 0 ? response.expectedContentLength : nil
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = "cannot write to disk: \(error.localizedDescription)"
            dataTask.cancel()
            return
        }
        md5.update(data)
        received += Int64(data.count)
        progress.update(done: received, total: expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, failure == nil {
            failure = error.localizedDescription
        } else if failure == nil, let expected, received != expected {
            failure = "connection closed after \(received) of \(expected) bytes"
        }
        if failure == nil { progress.update(done: received, total: expected, force: true) }
        done.signal()
    }
}
