// Photos from disk for explanation: PNG or JPEG told apart by their first bytes (not the name),
// and folders expanded to the images they hold, in name order. Every failure names the file.
import Foundation

public enum ImageFile {
    /// Reads a PNG or JPEG file as 8-bit RGB.
    public static func read(_ path: String) throws -> RGBImage {
        let data = try contents(of: path, expected: "a PNG or JPEG file")
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNG.decode(data, name: path) }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.decode(data, name: path) }
        throw FileFormatError(file: path, message: "not a PNG or JPEG image (unrecognised first bytes)")
    }

    /// `paths` with every folder replaced by its .png/.jpg/.jpeg files (sorted by name, not recursive).
    public static func expand(_ paths: [String]) throws -> [String] {
        var result: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw FileFormatError(file: path, message: "no such file or folder")
            }
            guard isDirectory.boolValue else { result.append(path); continue }
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter {
                ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased())
            }
            guard !names.isEmpty else { throw FileFormatError(file: path, message: "folder holds no .png, .jpg or .jpeg images") }
            result += names.map { (path as NSString).appendingPathComponent($0) }
        }
        return result
    }

    /// The bytes of `path`, with one-line errors for a missing file, a folder or a read failure.
    public static func contents(of path: String, expected: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw FileFormatError(file: path, message: "no such file")
            }
            if isDirectory.boolValue { throw FileFormatError(file: path, message: "is a directory, expected \(expected)") }
            throw FileFormatError(file: path, message: "cannot read file: \((error as NSError).localizedDescription)")
        }
    }
}
