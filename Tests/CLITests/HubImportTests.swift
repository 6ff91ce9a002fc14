// `vittrain import --from hf:…` and `init.checkpoint: "hf:…"` against a local stand-in for the
// Hub (Scripts/hub_test_server.py): the download fills huggingface_hub's cache layout and imports
// exactly like the files themselves; resume, checksum refusal, 404/401, cache hits and offline mode.

import FileFormats
import Foundation
import Hub
import Training
import XCTest

final class HubImportTests: XCTestCase {
    static let fixture = CLIRunner.repository.appendingPathComponent("Tests/Fixtures/interop/hf").path
    static let repo = "test-org/tiny-vit"
    static var weights: Data { FileManager.default.contents(atPath: "\(fixture)/model.safetensors") ?? Data() }
    static var weightsSHA: String { var s = SHA256(); s.update(weights); return s.hexDigest() }

    private var cli: CLIRunner!
    override func setUpWithError() throws { cli = try CLIRunner() }
    override func tearDown() { cli.remove() }

    private func server(_ options: [String] = [], extraRepos: [String: String] = [:]) throws -> HubTestServer {
        try HubTestServer(repos: [Self.repo: Self.fixture].merging(extraRepos) { a, _ in a }, options: options,
                          in: cli.directory.path)
    }

    private func repoFolder(_ home: String) -> String { "\(home)/hub/models--test-org--tiny-vit" }

    /// Files and links under `folder` (folders themselves are not listed), relative to it.
    private func entries(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        return walker.compactMap { $0 as? String }.filter { name in
            var isDirectory: ObjCBool = false
            let path = "\(folder)/\(name)"
            let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
            return isLink || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue)
        }.sorted()
    }

    private func importHub(_ reference: String, out: String, env: [String: String]) throws -> CLIRunner.Result {
        try withHubEnvironment(env) { try cli.run(["import", "--from", reference, "--out", cli.path(out)]) }
    }

    private func assertOneLineError(_ result: CLIRunner.Result, contains needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("Error: "), result.stderr, file: file, line: line)
        for needle in needles { XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)", file: file, line: line) }
    }

    /// The fixture folder imported directly (made once per test).
    private func directImport() throws -> Checkpoint {
        if !FileManager.default.fileExists(atPath: cli.path("direct.h5")) {
            let direct = try cli.run(["import", "--from", "\(Self.fixture)/model.safetensors", "--out", cli.path("direct.h5")])
            XCTAssertEqual(direct.status, 0, direct.stderr)
        }
        return try Checkpoint.read(cli.path("direct.h5"))
    }

    /// The checkpoint at `out` equals the import of the fixture folder itself: same config, same
    /// tensors bit for bit, and the same logits.
    private func assertSameAsDirectImport(_ out: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try Checkpoint.read(cli.path(out)), b = try directImport()
        XCTAssertEqual(a.modelConfig, b.modelConfig, file: file, line: line)
        XCTAssertEqual(a.parameters.map(\.path), b.parameters.map(\.path), file: file, line: line)
        for (x, y) in zip(a.parameters, b.parameters) {
            XCTAssertTrue(x.shape == y.shape && x.values == y.values, "\(x.path) differs", file: file, line: line)
        }
        let input = Tensor(shape: [2, 3, 16, 16], data: (0..<(2 * 3 * 16 * 16)).map { Float(sin(Double($0))) })
        let ma = try a.makeModel(file: out), mb = try b.makeModel(file: "direct.h5")
        XCTAssertEqual(Tensor.withoutGrad { ma(input) }.data, Tensor.withoutGrad { mb(input) }.data, file: file, line: line)
    }

    /// Imports `reference` from the Hub at `endpoint` into the cache under `home`; it must succeed
    /// and equal the direct import of the fixture folder.
    private func importSucceeds(_ reference: String, from endpoint: String, home: String, out: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try importHub(reference, out: out, env: ["HF_ENDPOINT": endpoint, "HF_HOME": home])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        try assertSameAsDirectImport(out, file: file, line: line)
    }

    func testDownloadFillsTheHuggingFaceCacheAndACachedSnapshotNeedsNoRequest() throws {
        let hub = try server()
        let home = cli.path("hf-home")
        let result = try importHub("hf:\(Self.repo)", out: "hub.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("imported hf weights"), result.stdout)
        try assertSameAsDirectImport("hub.h5")
        XCTAssertEqual(try Checkpoint.read(cli.path("hub.h5")).config.name, "tiny-vit")

        // huggingface_hub's layout: refs/main → commit; snapshot links → ../../blobs/<etag>.
        let folder = repoFolder(home)
        let commit = try String(contentsOfFile: "\(folder)/refs/main", encoding: .utf8)
        XCTAssertEqual(commit.count, 40)
        let link = "\(folder)/snapshots/\(commit)/model.safetensors"
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "../../blobs/\(Self.weightsSHA)")
        XCTAssertEqual(FileManager.default.contents(atPath: link), Self.weights)
        XCTAssertEqual(FileManager.default.contents(atPath: "\(folder)/snapshots/\(commit)/config.json"),
                       FileManager.default.contents(atPath: "\(Self.fixture)/config.json"))
        XCTAssertEqual(entries(under: folder).filter { $0.hasSuffix(".incomplete") }, [])

        // Metadata first (the config pinned to the weights' commit), then the CDN, without a token.
        let requests = try hub.requests()
        XCTAssertEqual(requests.map(\.method), ["HEAD", "HEAD", "GET", "GET"], "\(requests.map(\.path))")
        XCTAssertEqual(requests[0].path, "/\(Self.repo)/resolve/main/model.safetensors")
        XCTAssertEqual(requests[1].path, "/\(Self.repo)/resolve/\(commit)/config.json")
        XCTAssertTrue(requests[2].path.hasPrefix("/cdn/\(Self.weightsSHA)"), requests[2].path)

        // A cache hit asks nothing, for the branch and for the commit hash.
        for reference in ["hf:\(Self.repo)", "hf:\(Self.repo)@\(commit)"] {
            let again = try importHub(reference, out: "again.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home])
            XCTAssertEqual(again.status, 0, again.stderr)
            try assertSameAsDirectImport("again.h5")
        }
        XCTAssertEqual(try hub.requests().count, requests.count, "a cached snapshot made a request")

        // Offline, and with no Hub at all, the cache still serves.
        hub.stop()
        for env in [["HF_HUB_OFFLINE": "1"], ["HF_ENDPOINT": hub.endpoint]] {
            let offline = try importHub("hf:\(Self.repo)", out: "offline.h5", env: env.merging(["HF_HOME": home]) { a, _ in a })
            XCTAssertEqual(offline.status, 0, "\(env): \(offline.stderr)")
        }
    }

    func testResumesAfterACutConnectionAndFromAnEarlierRunsPartialFile() throws {
        // The first CDN answer stops after 10000 bytes: the same run asks again from byte 10000.
        let cut = try server(["--cut-after", "10000"])
        let home = cli.path("hf-cut")
        try importSucceeds("hf:\(Self.repo)", from: cut.endpoint, home: home, out: "cut.h5")
        let cdn = try cut.requests().filter { $0.path.hasPrefix("/cdn/") }
        XCTAssertEqual(cdn.map(\.range), [nil, "bytes=10000-"])

        // An interrupted earlier run left blobs/<sha256>.incomplete: the next run resumes from it.
        let home2 = cli.path("hf-partial")
        let blobs = "\(repoFolder(home2))/blobs"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        try Self.weights.prefix(20000).write(to: URL(fileURLWithPath: "\(blobs)/\(Self.weightsSHA).incomplete"))
        let hub = try server()
        try importSucceeds("hf:\(Self.repo)", from: hub.endpoint, home: home2, out: "resumed.h5")
        XCTAssertEqual(try hub.requests().filter { $0.path.hasPrefix("/cdn/") }.map(\.range), ["bytes=20000-"])
        XCTAssertEqual(entries(under: blobs), [Self.weightsSHA, "5d24c0477a9a29ffdd74442009b99d8e2bd7ae18"].sorted())

        // A connection that keeps dropping: five attempts, then one line, and the bytes are kept
        // for the next run, which finishes the file.
        let home3 = cli.path("hf-flaky")
        let flaky = try server(["--cut-after", "5000", "--cut-times", "1000"])
        let failed = try importHub("hf:\(Self.repo)", out: "flaky.h5", env: ["HF_ENDPOINT": flaky.endpoint, "HF_HOME": home3])
        assertOneLineError(failed, contains: ["failed after 5 attempts", "25000 of 35164 bytes are kept", "run the command again to resume"])
        XCTAssertEqual(try flaky.requests().filter { $0.path.hasPrefix("/cdn/") }.map(\.range),
                       [nil, "bytes=5000-", "bytes=10000-", "bytes=15000-", "bytes=20000-"])
        let partial = "\(repoFolder(home3))/blobs/\(Self.weightsSHA).incomplete"
        XCTAssertEqual(FileManager.default.contents(atPath: partial), Self.weights.prefix(25000))
        flaky.stop()
        let steady = try server()
        try importSucceeds("hf:\(Self.repo)", from: steady.endpoint, home: home3, out: "flaky.h5")
        XCTAssertEqual(try steady.requests().filter { $0.path.hasPrefix("/cdn/") }.map(\.range), ["bytes=25000-"])
    }

    /// Another process holds the partial file's lock: vittrain waits, and when that process has
    /// moved the finished blob into place, uses it without downloading it again.
    func testWaitsForAnotherProcessDownloadingTheSameBlob() throws {
        let hub = try server()
        let home = cli.path("hf-shared")
        let blobs = "\(repoFolder(home))/blobs"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        let partial = "\(blobs)/\(Self.weightsSHA).incomplete"
        let fd = open(partial, O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        let errPath = cli.path("waiting.stderr")
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = try withHubEnvironment(["HF_ENDPOINT": hub.endpoint, "HF_HOME": home]) {
            try cli.start(["import", "--from", "hf:\(Self.repo)", "--out", cli.path("shared.h5")], stderr: stderr)
        }
        var waited = false
        for _ in 0..<300 where process.isRunning {   // at most 30 s
            if (try? String(contentsOfFile: errPath, encoding: .utf8))?.contains("waiting for another process") == true { waited = true; break }
            usleep(100_000)
        }
        XCTAssertTrue(waited, "vittrain did not wait for the lock")
        // The "other process" finishes: complete bytes, renamed into place, lock released.
        XCTAssertEqual(Self.weights.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, Self.weights.count)
        XCTAssertEqual(rename(partial, "\(blobs)/\(Self.weightsSHA)"), 0)
        close(fd)
        process.waitUntilExit()
        try stderr.close()
        XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        try assertSameAsDirectImport("shared.h5")
        XCTAssertFalse(try hub.requests().contains { $0.path.hasPrefix("/cdn/") }, "the blob was downloaded twice")
        XCTAssertEqual(entries(under: blobs).filter { $0.hasSuffix(".incomplete") }, [])
    }

    func testWrongChecksumIsRefusedAndLeavesNothingInTheCache() throws {
        let corrupt = try server(["--corrupt"])
        let home = cli.path("hf-corrupt")
        let result = try importHub("hf:\(Self.repo)", out: "corrupt.h5", env: ["HF_ENDPOINT": corrupt.endpoint, "HF_HOME": home])
        assertOneLineError(result, contains: ["hf:\(Self.repo)@main", "model.safetensors", "sha256", Self.weightsSHA])
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("corrupt.h5")))
        XCTAssertEqual(entries(under: home), [], "a refused download left files in the cache")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repoFolder(home)))

        // Nothing poisoned: a good server then fills the same cache.
        let good = try server()
        try importSucceeds("hf:\(Self.repo)", from: good.endpoint, home: home, out: "retry.h5")
    }

    func testMissingRepositoryRevisionOrWeightsGiveOneLineMessages() throws {
        let noWeights = cli.path("no-weights")
        try FileManager.default.createDirectory(atPath: noWeights, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(Self.fixture)/config.json", toPath: "\(noWeights)/config.json")
        let hub = try server(extraRepos: ["test-org/no-weights": noWeights])
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HOME": cli.path("hf-404")]
        let cases: [(String, [String])] = [
            ("hf:test-org/missing", ["hf:test-org/missing@main", "repository not found", "HTTP 404", "HF_TOKEN"]),
            ("hf:\(Self.repo)@v9", ["no revision 'v9'", "HTTP 404"]),
            ("hf:test-org/no-weights", ["has no model.safetensors", "HTTP 404"]),
            ("hf:bad//name", ["hf:bad//name", "not a repository name"]),
        ]
        for (reference, needles) in cases {
            assertOneLineError(try importHub(reference, out: "x.h5", env: env), contains: needles)
            XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("x.h5")), reference)
        }
        XCTAssertEqual(entries(under: cli.path("hf-404")), [], "failed look-ups left files in the cache")
    }

    /// A renamed repository answers with a relative redirect, which is followed (on the same host
    /// only); the cache keeps the name the user asked for, as huggingface_hub does.
    func testFollowsARenamedRepositorysRelativeRedirect() throws {
        let hub = try server(["--moved", "old-org/tiny-vit=\(Self.repo)"])
        let home = cli.path("hf-moved")
        try importSucceeds("hf:old-org/tiny-vit", from: hub.endpoint, home: home, out: "moved.h5")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(home)/hub/models--old-org--tiny-vit/refs/main"))
        let paths = try hub.requests().map(\.path)
        XCTAssertEqual(Array(paths.prefix(2)), ["/old-org/tiny-vit/resolve/main/model.safetensors",
                                                "/\(Self.repo)/resolve/main/model.safetensors"])
    }

    func testPrivateRepositoryNeedsHFTokenWhichNeverReachesTheCDN() throws {
        // The CDN is another host (localhost, not 127.0.0.1), as the Hub's is.
        let hub = try server(["--token", "secret", "--cdn-host", "localhost"])
        let home = cli.path("hf-private")
        let anonymous = try importHub("hf:\(Self.repo)", out: "p.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home])
        assertOneLineError(anonymous, contains: ["HTTP 401", "set HF_TOKEN"])
        let wrong = try importHub("hf:\(Self.repo)", out: "p.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home, "HF_TOKEN": "nope"])
        assertOneLineError(wrong, contains: ["HTTP 401", "Invalid credentials", "HF_TOKEN was sent"])

        let before = try hub.requests().count
        let allowed = try importHub("hf:\(Self.repo)", out: "p.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home, "HF_TOKEN": "secret"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        try assertSameAsDirectImport("p.h5")
        let requests = try hub.requests().dropFirst(before)
        for request in requests {
            let expected = request.path.hasPrefix("/cdn/") ? nil : "Bearer secret"
            XCTAssertEqual(request.authorization, expected, request.path)
        }
        XCTAssertTrue(requests.contains { $0.path.hasPrefix("/cdn/") })
    }

    func testOfflineOrUnreachableFailsAtOnceNamingTheCache() throws {
        let hub = try server()
        let home = cli.path("hf-offline")
        let offline = try importHub("hf:\(Self.repo)", out: "o.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home, "HF_HUB_OFFLINE": "1"])
        assertOneLineError(offline, contains: ["HF_HUB_OFFLINE", repoFolder(home)])
        XCTAssertEqual(try hub.requests().count, 0, "offline mode asked the Hub")

        hub.stop()   // nothing listens on its port any more
        let unreachable = try importHub("hf:\(Self.repo)", out: "o.h5", env: ["HF_ENDPOINT": hub.endpoint, "HF_HOME": home])
        assertOneLineError(unreachable, contains: ["cannot reach \(hub.endpoint)", repoFolder(home)])
        // HF_HUB_CACHE overrides HF_HOME/hub, as in huggingface_hub.
        let cache = cli.path("elsewhere")
        let moved = try importHub("hf:\(Self.repo)", out: "o.h5", env: ["HF_HOME": home, "HF_HUB_CACHE": cache, "HF_HUB_OFFLINE": "1"])
        assertOneLineError(moved, contains: ["\(cache)/models--test-org--tiny-vit"])
    }

    func testInitCheckpointAcceptsAHubReference() throws {
        let hub = try server()
        let fixtures = CLIRunner.repository.appendingPathComponent("Tests/Fixtures").path
        func config(_ checkpoint: String) -> String {
            """
            {"name": "from-hub",
             "model": {"arch": "vit-tiny", "img_size": 16, "patch_size": 4, "embed_dim": 16, "depth": 2, "num_heads": 2},
             "data": {"dataset": "hdf5", "root": "\(fixtures)/adamw_batch.h5", "normalize": false},
             "optim": {"lr": 0.01},
             "train": {"epochs": 1, "batch_size": 2},
             "freeze": {"patch_embed": true, "position_embedding": true, "blocks": 2, "patterns": ["norm.*"]},
             "init": {"checkpoint": "\(checkpoint)"},
             "checkpoint": {"dir": "from-hub"}}
            """
        }
        try cli.write(config("hf:\(Self.repo)"), to: "hub.json")
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HOME": cli.path("hf-train")]
        let run = try withHubEnvironment(env) { try cli.run(["--config", "hub.json"]) }
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("initial weights from hf:\(Self.repo)"), run.stderr)
        // The frozen backbone is exactly the Hub repository's.
        let direct = try directImport()
        let trained = Dictionary(uniqueKeysWithValues: try Checkpoint.read(cli.path("from-hub/last.h5")).parameters.map { ($0.path, $0.values) })
        for p in direct.parameters where !p.path.hasPrefix("head.") {
            XCTAssertTrue(trained[p.path] == p.values, "\(p.path) is not the Hub file's")
        }

        try cli.write(config("hf:bad//name"), to: "bad.json")
        let bad = try withHubEnvironment(env) { try cli.run(["--config", "bad.json"]) }
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("init.checkpoint: hf:bad//name: 'bad//name' is not a repository name"), bad.stderr)
    }
}
