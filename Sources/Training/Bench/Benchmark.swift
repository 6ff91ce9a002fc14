// `vittrain bench`: training-step and eval throughput of a config's model on this machine
// (median and spread over repeated steps), peak memory, achieved GFLOP/s, and how fast the data
// loader feeds batches compared with the training step, and where a training step's time goes by
// op family (Tensor's Profiler). `gemmReference` times cblas_sgemm on 1024³ for the GFLOP/s
// ceiling. Speed lives here, never in unit tests.

import Data
import Foundation
import Models

#if canImport(Glibc)
import Glibc
#endif

public struct BenchmarkResult: Codable {
    public var config: String
    public var arch: String
    public var batchSize: Int
    public var threads: Int
    public var blasCore: String
    /// "highest" (fp32 GEMMs) or "medium" (bf16 GEMM inputs), as it took effect.
    public var matmulPrecision: String
    /// The kernel that runs the large products (ours in fp32 or bf16, or OpenBLAS).
    public var gemmKernel: String
    /// The CPU level the kernels run at and what the CPU has (KernelReport.cpuFeatures).
    public var cpu: String
    /// The kernel behind each op family of the breakdown, by its label.
    public var kernels: [String: String]
    public var trainImagesPerSecond: Summary
    public var evalImagesPerSecond: Summary
    public var trainGflops: Double
    public var peakResidentMB: Double
    public var loaderImagesPerSecond: Double
    public var loaderToStepRatio: Double
    public var frozenParameters: Int
    /// Mean milliseconds per training step spent in each op family (GEMM, attention, norm,
    /// elementwise, optimizer, data wait), plus "other" for the untimed rest of the step.
    public var stepBreakdownMs: [String: Double]

    /// Median and spread of a set of measurements.
    public struct Summary: Codable {
        public var median: Double
        public var min: Double
        public var max: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            min = sorted.first ?? 0
            max = sorted.last ?? 0
        }
    }

    public var text: String {
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        return """
        bench \(config): \(arch), batch \(batchSize), \(threads) threads, matmul precision \(matmulPrecision)
          CPU          \(cpu)
          GEMM kernel  \(gemmKernel) (small products: OpenBLAS \(blasCore))
          kernels by op family:
        \(kernelsText)
          train step   \(f(trainImagesPerSecond.median)) images/s (min \(f(trainImagesPerSecond.min)), max \(f(trainImagesPerSecond.max)))
          eval forward \(f(evalImagesPerSecond.median)) images/s (min \(f(evalImagesPerSecond.min)), max \(f(evalImagesPerSecond.max)))
          achieved     \(f(trainGflops)) GFLOP/s in training (analytic ViT FLOPs)
          data loader  \(f(loaderImagesPerSecond)) images/s = \(f(loaderToStepRatio))× the training step
          peak memory  \(f(peakResidentMB)) MB resident
          frozen       \(frozenParameters) parameter values
          step time by op family (ms per step):
        \(breakdownText)
        """
    }

    private var kernelsText: String {
        OpFamily.allCases.compactMap { family in
            kernels[family.label].map { "    " + family.label.padding(toLength: 12, withPad: " ", startingAt: 0) + $0 }
        }.joined(separator: "\n")
    }

    private var breakdownText: String {
        let total = stepBreakdownMs.values.reduce(0, +)
        let order = OpFamily.allCases.map(\.label) + ["other"]
        return order.compactMap { label in
            stepBreakdownMs[label].map { ms in
                "    " + label.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%8.1f ms  %5.1f%%", ms, total > 0 ? 100 * ms / total : 0)
            }
        }.joined(separator: "\n")
    }
}

public enum Benchmark {
    /// Peak resident set size of this process so far, in MB.
    public static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Runs `steps` timed training steps (after one warm-up) and as many eval forwards.
    public static func run(setup: RunSetup, configName: String, steps: Int) throws -> BenchmarkResult {
        let model = setup.model
        let loader = setup.trainLoader
        let trainer = try Trainer(setup: setup, log: { _ in })
        let batches = loader.batches(epoch: 0, startBatch: 0)
        var prepared: [Batch] = []
        while prepared.count < min(steps + 1, loader.batchesPerEpoch), let b = try batches.next() {
            prepared.append(b)
        }
        batches.cancel()
        guard let first = prepared.first else {
            throw SetupError(problems: ["bench: the dataset yields no batches"])
        }
        // Training steps take their batches from a live loader, so the wait for the next batch is
        // part of the step, as in training; the op families are timed by the Profiler.
        var trainRates: [Double] = []
        var feedEpoch = 0
        var live = loader.batches(epoch: feedEpoch, startBatch: 0)
        var breakdown = [String: Double]()
        for i in 0...steps {
            if i == 1 {
                Profiler.reset()
                Profiler.isEnabled = true
            }
            let start = Date()
            var next = try live.next()
            if next == nil {
                live.cancel()
                feedEpoch += 1
                live = loader.batches(epoch: feedEpoch, startBatch: 0)
                next = try live.next()
            }
            guard let batch = next else { throw SetupError(problems: ["bench: the dataset yields no batches"]) }
            Profiler.add(.dataWait, seconds: Date().timeIntervalSince(start))
            _ = try trainer.trainStep(batch, lr: 1e-4)
            let elapsed = Date().timeIntervalSince(start)
            if i > 0 {
                trainRates.append(Double(batch.labels.count) / elapsed)
                breakdown["step", default: 0] += elapsed
            }
        }
        live.cancel()
        Profiler.isEnabled = false
        var stepBreakdownMs = [String: Double]()
        let totals = Profiler.totals
        for family in OpFamily.allCases {
            stepBreakdownMs[family.label] = 1000 * (totals[family] ?? 0) / Double(steps)
        }
        let timed = totals.values.reduce(0, +)
        stepBreakdownMs["other"] = max(0, 1000 * ((breakdown["step"] ?? 0) - timed) / Double(steps))
        let carriedTokens = model.lastBlockCarriedTokens      // in training mode, as the steps ran
        model.setTraining(false)
        var evalRates: [Double] = []
        for i in 0...steps {
            let batch = prepared[i % prepared.count]
            let start = Date()
            _ = Tensor.withoutGrad { model(batch.images) }
            if i > 0 { evalRates.append(Double(batch.labels.count) / Date().timeIntervalSince(start)) }
        }
        model.setTraining(true)
        // The loader on its own: decode, augment and batch, as fast as it goes.
        let loaderStart = Date()
        var loaded = 0
        let feed = loader.batches(epoch: 1, startBatch: 0)
        while loaded < max(steps, 4) * loader.batchSize, let b = try feed.next() { loaded += b.labels.count }
        feed.cancel()
        let loaderRate = Double(loaded) / Date().timeIntervalSince(loaderStart)

        let c = model.config
        let tokens = first.images.shape.count == 4 ? 1 + model.gridSize.height * model.gridSize.width : 1
        let train = BenchmarkResult.Summary(trainRates)
        return BenchmarkResult(
            config: configName, arch: setup.config.model.arch, batchSize: loader.batchSize,
            threads: Parallel.threadCount, blasCore: BLAS.coreName,
            matmulPrecision: BLAS.effectivePrecision.rawValue, gemmKernel: BLAS.largeProductKernel,
            cpu: KernelReport.cpuFeatures, kernels: KernelReport.kernelsByFamily,
            trainImagesPerSecond: train, evalImagesPerSecond: .init(evalRates),
            trainGflops: ModelFLOPs.training(c, tokens: tokens, lastBlockTokens: carriedTokens) * train.median / 1e9,
            peakResidentMB: peakResidentMB(), loaderImagesPerSecond: loaderRate,
            loaderToStepRatio: loaderRate / max(train.median, 1e-9),
            frozenParameters: model.namedParameters().filter { !$0.tensor.requiresGrad }.reduce(0) { $0 + $1.tensor.count },
            stepBreakdownMs: stepBreakdownMs)
    }
}
