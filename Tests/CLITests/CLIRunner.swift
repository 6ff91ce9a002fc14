import Foundation
import XCTest

/// Runs the real `vittrain` binary (built beside the test bundle) in a scratch directory.
struct CLIRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits in .build/<triple>/<configuration>/ next to the executable.
        let bundleDirectory = Bundle.main.bundleURL.hasDirectoryPath && Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        for candidate in [bundleDirectory, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("vittrain")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return repository.appendingPathComponent(".build/release/vittrain")
    }

    let directory: URL

    init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vittrain-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// Starts the binary; the caller waits (or signals) it. Output is discarded unless the caller
    /// passes a pipe (which it must then read).
    func start(_ arguments: [String], stdout: Any = FileHandle.nullDevice,
               stderr: Any = FileHandle.nullDevice, executable: URL = CLIRunner.binary,
               environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = executable
        if let environment { process.environment = environment }
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }

    /// Runs the binary to completion. Output goes to files, not pipes: a long run's log would
    /// fill a pipe while the test waits for the other stream, and both sides would block.
    @discardableResult
    func run(_ arguments: [String], executable: URL = CLIRunner.binary,
             environment: [String: String]? = nil) throws -> Result {
        let id = UUID().uuidString
        let outPath = path(".stdout-\(id)"), errPath = path(".stderr-\(id)")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = try start(arguments, stdout: out, stderr: err, executable: executable, environment: environment)
        process.waitUntilExit()
        try out.close()
        try err.close()
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOfFile: outPath, encoding: .utf8),
                      stderr: try String(contentsOfFile: errPath, encoding: .utf8))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
