// Fuzzes every parser of outside bytes for VITTRAIN_FUZZ_SECONDS each (default 10): mutants of
// the seed corpus must be accepted or rejected with one line naming the file or key, never crash
// the process or hang. Run: `VITTRAIN_FUZZ_SECONDS=60 swift test -c release --filter FuzzTests`.
import Foundation
import XCTest

final class ParserFuzzTests: XCTestCase {
    private func fuzz(_ target: FuzzTarget) {
        XCTAssertFalse(target.seeds.isEmpty, "no seeds for \(target.name) in \(SeedCorpus.folder.path)")
        let settings = FuzzSettings.fromEnvironment()
        let summary = ForkedFuzzRunner.run(target, settings: settings)
        print("fuzz \(target.name): \(summary.executions) executions, \(summary.distinctErrors.count) distinct errors, "
              + "\(summary.crashes.count) crashes, \(summary.hangs.count) hangs, \(summary.badErrors.count) bad messages "
              + "(\(summary.successes) accepted; seed \(settings.seed), \(settings.seconds) s)")
        for failure in summary.failures { XCTFail(failure) }
        // A run that executed nothing, or only rejected or only accepted, is not exploring the format.
        XCTAssertGreaterThan(summary.executions, 20, "fuzz \(target.name) barely ran")
        XCTAssertGreaterThan(summary.distinctErrors.count, 1, "fuzz \(target.name): mutants were never rejected in different ways")
        XCTAssertGreaterThan(summary.successes, 0, "fuzz \(target.name): no input was accepted (are the seeds valid?)")
    }

    func testConfig() { fuzz(FuzzTargets.config) }
    func testSafetensors() { fuzz(FuzzTargets.safetensors) }
    func testCheckpoint() { fuzz(FuzzTargets.checkpoint) }
    func testHDF5Arrays() { fuzz(FuzzTargets.hdf5Arrays) }
    func testPNG() { fuzz(FuzzTargets.png) }
    func testIDX() { fuzz(FuzzTargets.idx) }
    func testCIFAR() { fuzz(FuzzTargets.cifar) }
}

final class SeedCorpusTests: XCTestCase {
    /// Every seed must parse: a fuzzer that starts from broken inputs never reaches the deep code.
    func testEverySeedIsAccepted() throws {
        if ProcessInfo.processInfo.environment["VITTRAIN_FUZZ_WRITE_CORPUS"] != nil {
            let repository = SeedCorpus.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            try CorpusWriter.writeAll(repository: repository)
        }
        for target in FuzzTargets.all {
            XCTAssertFalse(target.seeds.isEmpty, "no seeds for \(target.name)")
            for (index, seed) in target.seeds.enumerated() {
                // Each seed through every way the target feeds it (the iteration picks the way).
                // (The IDX target expects the other kind of file on every fifth iteration.)
                for way in 0..<12 where !(target.name == "idx" && way % 5 == 4) {
                    let dir = NSTemporaryDirectory() + "vittrain-seed-\(getpid())-\(target.name)-\(index)-\(way)"
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(atPath: dir) }
                    // Iterations 0, 1 and 2 use no overrides in the config target.
                    let iteration = target.name == "config" ? way % 3 : way
                    XCTAssertNoThrow(try target.feed(seed, dir, iteration), "\(target.name) seed \(index), way \(way)")
                }
            }
        }
    }
}
