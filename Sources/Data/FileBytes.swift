// Reading whole files into byte arrays with errors that name the file (the datasets here are small
// enough to hold in memory: CIFAR-10 train is 150 MB).

import Foundation

enum FileBytes {
    /// Whether a regular file (not a directory) exists at `path`.
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Size of the file in bytes.
    static func size(_ path: String) throws -> Int {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw DatasetError(file: path, message: "cannot read file size (\(error.localizedDescription))")
        }
    }

    /// The whole file as bytes.
    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw DatasetError(file: path, message: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        let size = try self.size(path)
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(file) != 0 {
                    throw DatasetError(file: path, message: "read error after \(bytes.count) bytes (\(String(cString: strerror(errno))))")
                }
                break
            }
        }
        return bytes
    }

    /// Joins path components with "/" (no Foundation URL round trip, so relative paths stay relative).
    static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
