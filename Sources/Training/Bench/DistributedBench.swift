// `vittrain bench` under mpirun: what data parallelism costs on this setup. It times the same
// training steps three ways — rank 0 alone (the 1-rank baseline), all ranks without
// communication, all ranks with bucketed gradient allreduce — and the allreduce on its own
// (gradient-sized, for bandwidth; one value, for latency). Step times are the slowest rank's.

import Data
import Foundation

public struct DistributedBenchResult: Encodable {
    public var ranks: Int
    public var threadsPerRank: Int
    public var batchPerRank: Int
    public var gradientValues: Int
    public var buckets: Int
    /// Median step seconds: rank 0 alone, all ranks without allreduce, all ranks with it.
    public var stepSecondsAlone: Double
    public var stepSecondsNoCommunication: Double
    public var stepSecondsSynchronized: Double
    /// Per synchronized step (medians): allreduce time hidden behind backward, and time spent
    /// waiting for it after backward.
    public var overlappedMs: Double
    public var exposedMs: Double
    /// A gradient-sized allreduce on its own, its bus bandwidth (ring: 2(N−1)/N × bytes / time),
    /// and a one-value allreduce (latency).
    public var allreduceMs: Double
    public var busBandwidthGBs: Double
    public var latencyUs: Double
    public var globalImagesPerSecond: Double
    /// N-rank throughput over N × the 1-rank throughput (weak scaling, per-rank batch fixed).
    public var scalingEfficiency: Double
    /// Share of the synchronized step not lost to communication.
    public var communicationEfficiency: Double

    public var text: String {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        return """
        distributed: \(ranks) ranks × \(threadsPerRank) thread(s), batch \(batchPerRank) per rank (global \(ranks * batchPerRank)); \(gradientValues) gradient values in \(buckets) buckets
          step (median): 1 rank alone \(f(1000 * stepSecondsAlone)) ms, \(ranks) ranks without allreduce \(f(1000 * stepSecondsNoCommunication)) ms, with allreduce \(f(1000 * stepSecondsSynchronized)) ms
          allreduce per step: \(f(overlappedMs)) ms overlapped with backward, \(f(exposedMs)) ms exposed after it
          allreduce alone: \(f(allreduceMs, 2)) ms for \(f(Double(gradientValues * 4) / 1e6)) MB (bus bandwidth \(f(busBandwidthGBs, 2)) GB/s), latency \(f(latencyUs)) µs
          throughput \(f(globalImagesPerSecond)) img/s; scaling efficiency \(f(100 * scalingEfficiency))% (vs 1 rank alone), communication efficiency \(f(100 * communicationEfficiency))%
        """
    }
}

public enum DistributedBench {
    public static func run(setup: RunSetup, communicator: Communicator, steps: Int) throws -> DistributedBenchResult {
        let trainer = try Trainer(setup: setup, communicator: communicator, log: { _ in })
        guard let dataParallel = trainer.dataParallel else {
            throw DistributedError("bench: the distributed section needs mpirun with at least 2 ranks")
        }
        let loader = setup.trainLoader
        let iterator = loader.batches(epoch: 0, startBatch: 0)
        var batches: [Batch] = []
        while batches.count < min(steps + 1, loader.batchesPerEpoch), let b = try iterator.next() { batches.append(b) }
        iterator.cancel()
        guard !batches.isEmpty else { throw DistributedError("bench: the dataset yields no batches") }
        let gradients = dataParallel.gradients

        /// Median over steps of the slowest rank's step time (plus the bucket timings).
        func timeSteps(synchronize: Bool, active: Bool) throws -> (step: Double, overlap: Double, exposed: Double) {
            gradients.synchronizes = synchronize
            defer { gradients.synchronizes = true }
            var times: [Double] = [], overlaps: [Double] = [], exposed: [Double] = []
            for i in 0...steps {
                var seconds = [0.0]
                if active {
                    let start = Date()
                    _ = try trainer.trainStep(batches[i % batches.count], lr: 1e-4)
                    seconds[0] = Date().timeIntervalSince(start)
                }
                if synchronize || i == steps { try communicator.max(&seconds, what: "bench step timing") }
                if i > 0 {
                    times.append(seconds[0])
                    overlaps.append(gradients.lastOverlapSeconds)
                    exposed.append(gradients.lastExposedSeconds)
                }
            }
            var all = [times.sorted()[times.count / 2]]
            try communicator.max(&all, what: "bench step timing")
            return (all[0], overlaps.sorted()[overlaps.count / 2], exposed.sorted()[exposed.count / 2])
        }

        let alone = try timeSteps(synchronize: false, active: communicator.rank == 0)
        let local = try timeSteps(synchronize: false, active: true)
        let synced = try timeSteps(synchronize: true, active: true)

        // The allreduce alone, on a buffer the size of the gradients.
        var buffer = [Float](repeating: 1, count: gradients.valueCount)
        try communicator.sum(&buffer, what: "bench allreduce")
        var reduceTimes: [Double] = []
        for _ in 0..<5 {
            let start = Date()
            try communicator.sum(&buffer, what: "bench allreduce")
            reduceTimes.append(Date().timeIntervalSince(start))
        }
        var latencies: [Double] = []
        var one = [0.0]
        for _ in 0..<50 {
            let start = Date()
            try communicator.sum(&one, what: "bench latency")
            latencies.append(Date().timeIntervalSince(start))
        }
        let reduceSeconds = reduceTimes.sorted()[reduceTimes.count / 2]
        let n = Double(communicator.size)
        let bytes = Double(gradients.valueCount * 4)
        let batch = Double(loader.batchSize)
        return DistributedBenchResult(
            ranks: communicator.size, threadsPerRank: Parallel.threadCount, batchPerRank: loader.batchSize,
            gradientValues: gradients.valueCount, buckets: gradients.bucketNames.count,
            stepSecondsAlone: alone.step, stepSecondsNoCommunication: local.step, stepSecondsSynchronized: synced.step,
            overlappedMs: 1000 * synced.overlap, exposedMs: 1000 * synced.exposed,
            allreduceMs: 1000 * reduceSeconds, busBandwidthGBs: 2 * (n - 1) / n * bytes / reduceSeconds / 1e9,
            latencyUs: 1e6 * latencies.sorted()[latencies.count / 2],
            globalImagesPerSecond: n * batch / synced.step,
            scalingEfficiency: alone.step / synced.step,
            communicationEfficiency: local.step / synced.step)
    }
}
