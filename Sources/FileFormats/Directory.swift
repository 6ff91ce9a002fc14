// Creating output folders with POSIX calls, so a failure names the OS reason ("Not a directory",
// "Permission denied", "No space left on device") rather than Foundation's error code.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Directory {
    /// Creates `path` and any missing parents (as `mkdir -p`); an existing folder is fine.
    /// `name` is what the error message starts with (a CLI flag or config key; else the path).
    public static func create(_ path: String, name: String? = nil) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                let reason = osErrorReason()
                let shown = current.hasPrefix("./") ? String(current.dropFirst(2)) : current
                throw FileFormatError(file: name ?? path, message: "cannot create \(shown) (\(reason))")
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(file: name ?? path, message: "\(path) exists and is not a directory")
        }
    }

    /// Nil when a file can be created in `path`, else the OS reason (such as "Permission denied").
    public static func writeProblem(_ path: String) -> String? {
        let probe = (path as NSString).appendingPathComponent(".write-test-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { if fd >= 0 { close(fd); unlink(probe) } }
        guard fd >= 0, write(fd, "ok", 2) == 2 else { return osErrorReason() }
        return nil
    }
}
