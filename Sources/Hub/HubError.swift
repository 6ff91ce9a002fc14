// Errors of the Hub client: one line naming the reference (or file) and what to do about it.

import Foundation

public struct HubError: Error, CustomStringConvertible, Equatable {
    /// The `hf:` reference, URL or cache path concerned.
    public let subject: String
    public let message: String

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "\(subject): \(message)" }
}

/// Text of the current `errno`, e.g. "Permission denied".
func systemReason() -> String { String(cString: strerror(errno)) }
