// The one error type of the FileFormats module: which file, and what went wrong, on one line.
// Every reader and writer (HDF5, PNG, safetensors, atomic writes) throws only this.

/// A failure to read or write a file. `description` is one line: "<file>: <message>".
public struct FileFormatError: Error, CustomStringConvertible, Equatable {
    /// The path of the file involved.
    public let file: String
    /// What went wrong and, where it helps, what was expected (a key, dataset path or byte offset).
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        // Keep messages on one line even when a library hands us text with newlines.
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "\(file): \(message)" }
}
