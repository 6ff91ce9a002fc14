import FileFormats
import Foundation
import XCTest

/// Interrupted runs lose nothing: SIGINT checkpoints and exits 0; SIGKILL at any moment leaves the
/// previous checkpoint readable and the resumed run ends where an uninterrupted one does; a full
/// disk fails the write cleanly and keeps the previous checkpoint.
final class InterruptionTests: XCTestCase {
    static let config = TrainCommandTests.tinyConfig

    private func modelValues(_ path: String) throws -> [String: [Float]] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        var result: [String: [Float]] = [:]
        for name in try file.children(of: "model") { result[name] = try file.readFloats("model/\(name)").values }
        return result
    }

    private func waitForFile(_ path: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(20_000)
        }
        return false
    }

    func testSIGINTWritesACheckpointExitsZeroAndResumesExactly() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(InterruptionTests.config, to: "tiny.json")
        // Long enough that the interrupt lands well before the end.
        let epochs = "train.epochs=150"
        XCTAssertEqual(try cli.run(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=straight"]).status, 0)

        let err = Pipe()
        let process = try cli.start(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=stopped"], stderr: err)
        XCTAssertTrue(waitForFile(cli.path("stopped/epoch-0001.h5"), timeout: 60), "no first checkpoint")
        usleep(150_000)
        process.interrupt()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertTrue(stderr.contains("interrupt"), stderr)
        XCTAssertTrue(stderr.contains("--resume-from"), stderr)
        let file = try HDF5File.open(cli.path("stopped/last.h5"))
        let epoch = try file.intAttribute("epoch")
        file.close()
        XCTAssertLessThan(epoch, 150, "the run should have stopped early")

        let resumed = try cli.run(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=stopped", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try modelValues(cli.path("stopped/last.h5")), try modelValues(cli.path("straight/last.h5")))
    }

    func testTenSIGKILLsThenResumeEndWhereAnUninterruptedRunEnds() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(InterruptionTests.config, to: "tiny.json")
        // Many short epochs, so kills land in steps, in evaluations and in checkpoint writes.
        let epochs = "train.epochs=150"
        let started = Date()
        XCTAssertEqual(try cli.run(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=straight"]).status, 0)
        // Each killed run gets at most 8% of an uninterrupted run's time, so ten kills always
        // happen before the run could finish; many land in start-up, steps, evals and writes.
        let runMicroseconds = Date().timeIntervalSince(started) * 1e6
        let killWindow = UInt32(max(30_000, 0.03 * runMicroseconds))...UInt32(max(60_000, 0.08 * runMicroseconds))

        var rng = SystemRandomNumberGenerator()
        var kills = 0
        var attempts = 0
        while kills < 10 && attempts < 40 {
            attempts += 1
            let resume = FileManager.default.fileExists(atPath: cli.path("killed/last.h5"))
            let process = try cli.start(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=killed"]
                                        + (resume ? ["--resume"] : []))
            usleep(UInt32.random(in: killWindow, using: &rng))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            // Whatever moment the kill hit, the last complete checkpoint still reads.
            if FileManager.default.fileExists(atPath: cli.path("killed/last.h5")) {
                XCTAssertNoThrow(try modelValues(cli.path("killed/last.h5")), "after kill \(kills)")
            }
        }
        XCTAssertEqual(kills, 10)
        let finish = try cli.run(["--config", "tiny.json", "--set", epochs, "--set", "checkpoint.dir=killed", "--resume"])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertEqual(try modelValues(cli.path("killed/last.h5")), try modelValues(cli.path("straight/last.h5")))
    }

    func testFullDiskKeepsThePreviousCheckpoint() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs") }
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(InterruptionTests.config, to: "tiny.json")
        let mountPoint = cli.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount tmpfs here") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let first = try cli.run(["--config", "tiny.json", "--set", "train.epochs=1", "--set", "checkpoint.dir=small/run"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = try modelValues(cli.path("small/run/last.h5"))
        // Fill the disk, then free 40 KB: enough to start (config, log) but not for another
        // checkpoint (about 90 KB), so the write at the end of the next epoch fails.
        _ = FileManager.default.createFile(atPath: cli.path("small/filler"), contents: nil)
        let filler = try XCTUnwrap(FileHandle(forWritingAtPath: cli.path("small/filler")))
        let chunk = Data(count: 4096)
        var written: UInt64 = 0
        while (try? filler.write(contentsOf: chunk)) != nil { written += 4096 }
        try filler.truncate(atOffset: written - 40_960)
        try filler.close()

        let second = try cli.run(["--config", "tiny.json", "--set", "train.epochs=3", "--set", "checkpoint.dir=small/run", "--resume"])
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.stderr.contains("No space left on device"), second.stderr)
        XCTAssertFalse(second.stderr.contains("Fatal error"), second.stderr)
        XCTAssertEqual(try modelValues(cli.path("small/run/last.h5")), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.path("small/run")).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "temporary files left behind")
    }
}
