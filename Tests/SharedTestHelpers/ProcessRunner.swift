// Shared by the test targets: running a helper program (python3 with h5py, the headless-Chromium
// page check) to completion and reading what it printed.
import Foundation

/// Runs `executable` with `arguments`; its exit status and its standard output and error together.
/// One pipe for both, read to its end before waiting, so a long output cannot block the child.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
