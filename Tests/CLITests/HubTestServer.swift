// Starts Scripts/hub_test_server.py (a stand-in for the Hugging Face Hub on 127.0.0.1) for one
// test, reads the requests it recorded, and stops it; the script also stops itself after a minute.
// `withHubEnvironment` points vittrain's HF_* variables at it for the CLI runs inside.

import Foundation
import XCTest

final class HubTestServer {
    struct Request: Decodable {
        var method: String
        var path: String
        var range: String?
        var authorization: String?
    }

    let port: Int
    private let process: Process
    private let logPath: String

    /// `repos` maps `ORG/NAME` to a folder whose files the repository serves; `options` are the
    /// script's flags (--token, --cut-after, --corrupt, --cdn-host).
    init(repos: [String: String], options: [String] = [], in directory: String) throws {
        let id = UUID().uuidString.prefix(8)
        let portFile = "\(directory)/hub-\(id).port"
        logPath = "\(directory)/hub-\(id).log"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CLIRunner.repository.appendingPathComponent("Scripts/hub_test_server.py").path,
                             "--port-file", portFile, "--log", logPath, "--lifetime", "60"]
            + repos.sorted { $0.key < $1.key }.flatMap { ["--repo", "\($0.key)=\($0.value)"] } + options
        try process.run()
        // Bounded wait for the port (the script writes it atomically once listening).
        var found: Int?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) { found = p; break }
            if !process.isRunning { break }
            usleep(50_000)
        }
        guard let found else {
            process.terminate()
            throw ServerDidNotStart()
        }
        port = found
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in order.
    func requests() throws -> [Request] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        var description: String { "the Hub stand-in (python3 Scripts/hub_test_server.py) did not write its port within 10 s" }
    }
}

/// Runs `body` with the HF_* variables set as given (and every other HF_* one unset), so that
/// the vittrain processes started inside inherit them; restores the previous values after.
func withHubEnvironment<T>(_ values: [String: String], _ body: () throws -> T) rethrows -> T {
    let names = ["HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE",
                 "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HF_TOKEN_PATH", "no_proxy", "NO_PROXY"]
    let saved = names.map { ($0, ProcessInfo.processInfo.environment[$0]) }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    for name in names { unsetenv(name) }
    // A proxy from the machine's environment must not intercept the local server.
    for (name, value) in values.merging(["no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"], uniquingKeysWith: { a, _ in a }) {
        setenv(name, value, 1)
    }
    return try body()
}
