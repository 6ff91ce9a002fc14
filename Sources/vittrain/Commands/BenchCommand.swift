// `vittrain bench --config C [--steps N] [--batch B] [--json] [--gemm]`: throughput, memory and GFLOP/s of
// a config's model on this machine. Scripts/bench_vs_torch.sh runs PyTorch on the same case.

import ArgumentParser
import Foundation
import Training

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and eval throughput, memory and GFLOP/s for a config.")

    @Option(name: .shortAndLong, help: "The JSON config.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Option(help: "Timed steps (after one warm-up step).")
    var steps = 10

    @Option(help: "Batch size (default: the config's).")
    var batch: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Instead of the model, time sgemm on 1024×1024 matrices (the machine's GEMM ceiling).")
    var gemm = false

    func run() throws {
        try reportingErrors {
            var sets = overrides
            if let batch { sets.append("train.batch_size=\(batch)") }
            var runConfig = try RunConfig.load(path: config, overrides: sets)
            runConfig.checkpoint.dir = NSTemporaryDirectory() + "vittrain-bench-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: runConfig.checkpoint.dir!) }
            ComputeSettings.apply(runConfig.train)
            if gemm {
                let result = GemmReference.run()
                print(json ? try encode(result) : result.text)
                return
            }
            let setup = try RunSetup(config: runConfig, loadInitialWeights: false)
            if try runDistributedSection(setup: setup) { return }
            let result = try Benchmark.run(setup: setup, configName: config, steps: max(1, steps))
            print(json ? try encode(result) : result.text)
        }
    }

    private func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Under mpirun with 2+ ranks the bench measures data parallelism (Bench/DistributedBench.swift)
    /// instead of the single-process report; rank 0 prints. False when not distributed.
    private func runDistributedSection(setup: RunSetup) throws -> Bool {
        let world = try Communicator.fromEnvironment()
        guard world.isDistributed else { return false }
        let result = try DistributedBench.run(setup: setup, communicator: world, steps: max(2, steps))
        if world.rank == 0 { print(json ? try encode(result) : result.text) }
        world.finalize()
        return true
    }
}
