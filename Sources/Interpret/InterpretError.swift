// The one error type of the Interpret module: a single line naming the file, key or argument
// and what was expected (DESIGN.md "Errors").

/// A user-facing failure in the interpretability tools (bad option, unreadable record, shape mismatch).
public struct InterpretError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
