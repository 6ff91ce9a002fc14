// The one error type of the Data module: a file (or URL, or folder) and what was wrong with it,
// printed on one line so the CLI can show it as is.

import Foundation

/// A dataset could not be opened, read or downloaded. `description` is one line:
/// `<file>: <what was wrong and what was expected>`.
public struct DatasetError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The file, folder or URL concerned.
    public let file: String
    /// What was wrong, and what was expected (no trailing period needed).
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        // Keep the promise of one line even when an underlying error message has newlines.
        self.message = message.replacingOccurrences(of: "\n", with: " ")
    }

    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}
