// Small helpers shared by the attention dump and the training report: safe file names, JSON
// encoding, text files written atomically, and PNG writing with one-line errors.

import Foundation
import FileFormats

enum ReportFiles {
    /// `name` reduced to letters, digits, '-' and '_' (others become '_'), at most 60 characters.
    static func safeName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let cleaned = String(name.map { allowed.contains($0) ? $0 : "_" }.prefix(60))
        return cleaned.isEmpty ? "image" : cleaned
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InterpretError("\(path): cannot create directory (\(error.localizedDescription))")
        }
    }

    static func writeText(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// JSON safe to embed inside an HTML <script> element.
    static func scriptJSON<T: Encodable>(_ value: T) throws -> String {
        try json(value).replacingOccurrences(of: "</", with: "<\\/")
    }

    static func htmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Report PNGs are regenerable, so they are written directly (no temporary file and fsync,
    /// which dominated the time of a dump with hundreds of images).
    static func writePNG(_ image: RGBImage, to path: String) throws {
        let data = try PNG.encode(image)
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw InterpretError("\(path): cannot write the PNG (is the directory writable and the disk not full?)")
        }
    }

    /// Numbers for CSV/JSON: 6 significant digits, NaN as empty / null is never produced by our measures.
    static func format(_ value: Float) -> String {
        String(format: "%.6g", Double(value))
    }
}
