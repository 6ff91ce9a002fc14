// Support for the distributed tests: starting `vittrain` under Open MPI's mpirun, two "hosts"
// made of network namespaces joined by a veth pair, and comparing checkpoints' weights.

import FileFormats
import Foundation
import XCTest

enum MPI {
    static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")

    static func skipUnlessAvailable() throws {
        guard FileManager.default.isExecutableFile(atPath: mpirun.path) else {
            throw XCTSkip("Open MPI's mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
        }
    }

    /// Sandboxes lack the cross-memory-attach calls Open MPI's shared-memory transport tries first.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        return environment
    }

    /// `mpirun -np N [options] vittrain ARGS…` as CI runs it (as root, more ranks than cores allowed).
    static func arguments(ranks: Int, options: [String] = [], _ vittrain: [String]) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", "-x", "OMPI_MCA_btl_vader_single_copy_mechanism"]
            + options + [CLIRunner.binary.path] + vittrain
    }
}

extension CLIRunner {
    @discardableResult
    func mpirun(_ ranks: Int, _ arguments: [String], options: [String] = []) throws -> Result {
        try run(MPI.arguments(ranks: ranks, options: options, arguments), executable: MPI.mpirun, environment: MPI.environment)
    }

    /// Starts mpirun with its output in files under the scratch directory (read them after exit).
    func startMPI(_ ranks: Int, _ arguments: [String], options: [String] = [], log: String) throws -> Process {
        FileManager.default.createFile(atPath: path(log), contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log)))
        return try start(MPI.arguments(ranks: ranks, options: options, arguments), stdout: handle, stderr: handle,
                         executable: MPI.mpirun, environment: MPI.environment)
    }

    /// Every model tensor of a checkpoint, by timm path.
    func modelValues(_ checkpoint: String) throws -> [String: [Float]] {
        let file = try HDF5File.open(path(checkpoint))
        defer { file.close() }
        var result: [String: [Float]] = [:]
        for name in try file.children(of: "model") { result[name] = try file.readFloats("model/\(name)").values }
        return result
    }

    func intAttribute(_ name: String, of checkpoint: String) throws -> Int {
        let file = try HDF5File.open(path(checkpoint))
        defer { file.close() }
        return try file.intAttribute(name)
    }

    func waitForFile(_ name: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path(name)) { return true }
            usleep(20_000)
        }
        return false
    }
}

/// The largest difference between two checkpoints' tensors, relative to each tensor's largest
/// magnitude (so near-zero elements do not dominate); fails if the tensor sets differ.
func largestRelativeDifference(_ a: [String: [Float]], _ b: [String: [Float]], file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
    var worst: Float = 0
    for (name, x) in a {
        guard let y = b[name], x.count == y.count else {
            XCTFail("\(name) differs in size", file: file, line: line)
            continue
        }
        let scale = max(x.map(abs).max() ?? 0, 1e-12)
        for i in x.indices { worst = max(worst, abs(x[i] - y[i]) / scale) }
    }
    return worst
}

/// Two hosts for a multi-host run on one machine: network namespaces joined by a veth pair,
/// 10.99.0.1 and 10.99.0.2 (only inside these namespaces). Open MPI reaches the second "host"
/// through `plm_rsh_agent`, a script that runs the daemon with `ip netns exec` instead of ssh.
final class NamespaceHosts {
    static let addresses = ["10.99.0.1", "10.99.0.2"]
    let namespaces: [String]
    let agent: String
    private let ip: String

    init(cli: CLIRunner) throws {
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root") }
        guard let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("iproute2's ip is not installed")
        }
        self.ip = ip
        let tag = String(getpid() % 100_000)
        namespaces = ["vtmpi\(tag)a", "vtmpi\(tag)b"]
        agent = cli.path("netns-agent.sh")
        try """
        #!/bin/sh
        # plm_rsh_agent for the test hosts: "agent HOST COMMAND…" runs COMMAND in HOST's namespace.
        host="$1"; shift
        case "$host" in \(NamespaceHosts.addresses[0])) ns=\(namespaces[0]) ;; \(NamespaceHosts.addresses[1])) ns=\(namespaces[1]) ;; *) ns="$host" ;; esac
        exec \(ip) netns exec "$ns" /bin/sh -c "$*"
        """.write(toFile: agent, atomically: true, encoding: .utf8)
        chmod(agent, 0o755)
        let (a, b) = (namespaces[0], namespaces[1])
        let veth = ("vt\(tag)x", "vt\(tag)y")
        let steps: [[String]] = [
            ["netns", "add", a], ["netns", "add", b],
            ["link", "add", veth.0, "type", "veth", "peer", "name", veth.1],
            ["link", "set", veth.0, "netns", a], ["link", "set", veth.1, "netns", b],
            ["-n", a, "addr", "add", "\(NamespaceHosts.addresses[0])/24", "dev", veth.0],
            ["-n", b, "addr", "add", "\(NamespaceHosts.addresses[1])/24", "dev", veth.1],
            ["-n", a, "link", "set", veth.0, "up"], ["-n", b, "link", "set", veth.1, "up"],
            ["-n", a, "link", "set", "lo", "up"], ["-n", b, "link", "set", "lo", "up"],
        ]
        for step in steps {
            guard run(step) == 0 else {
                remove()
                throw XCTSkip("cannot build the namespace hosts here (ip \(step.joined(separator: " ")) failed)")
            }
        }
    }

    @discardableResult
    private func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Deleting the namespaces deletes the veth pair with them.
    func remove() {
        for namespace in namespaces { run(["netns", "delete", namespace]) }
    }

    /// Bytes sent by the first host over the veth link so far.
    func bytesSent() throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = ["-n", namespaces[0], "-s", "link", "show"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "TX: bytes packets …" then the figures on the next line; the veth is listed after lo.
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let figures = lines.indices.filter { lines[$0].hasPrefix("TX:") }.compactMap { index -> Int? in
            index + 1 < lines.count ? Int(lines[index + 1].split(separator: " ").first ?? "") : nil
        }
        return figures.last ?? 0
    }

    /// `ip netns exec HOST1 mpirun …` with both hosts, TCP only (no shared memory between them).
    func mpirunArguments(_ vittrain: [String]) -> [String] {
        ["netns", "exec", namespaces[0], MPI.mpirun.path]
            + MPI.arguments(ranks: 2, options: [
                "--host", NamespaceHosts.addresses.joined(separator: ","), "--mca", "plm_rsh_agent", agent,
                "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.99.0.0/24",
                "--mca", "oob_tcp_if_include", "10.99.0.0/24", "--display-map",
            ], vittrain)
    }

    var ipExecutable: URL { URL(fileURLWithPath: ip) }
}
