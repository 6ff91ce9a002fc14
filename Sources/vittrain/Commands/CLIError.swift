// Errors the CLI reports itself: one line, a non-zero exit, never a trap.

import ArgumentParser

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs `body`, turning any thrown error into ArgumentParser's one-line "Error: …" and exit 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        throw CLIError("\(error)")
    }
}
