// What a trainer needs to run as one rank of a data-parallel job (PyTorch DDP semantics): the
// communicator, the gradient buckets, per-rank random streams, and the small reductions that
// keep every rank's view of a step (loss, accuracy, stop requests) and of evaluation identical.

import Data
import Foundation
import Models

public final class DataParallel {
    public let communicator: Communicator
    public let gradients: GradientBuckets
    public var rank: Int { communicator.rank }
    public var size: Int { communicator.size }

    public init(communicator: Communicator, parameters: [(path: String, tensor: Tensor)]) {
        self.communicator = communicator
        gradients = GradientBuckets(parameters: parameters, communicator: communicator)
    }

    /// Rank r > 0 draws dropout and drop path from its own stream (timm seeds `seed + rank`);
    /// rank 0 keeps the single-process stream, so N = 1 is the ordinary run.
    public static func rankRandomState(seed: Int, rank: Int, step: Int) -> RandomGenerator {
        // The generator's SplitMix64 seeding spreads these bits; distinct (rank, step) give distinct seeds.
        RandomGenerator(seed: UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(rank) << 40 ^ UInt64(step))
    }

    /// Copies rank 0's parameters to every rank, as DDP does when it wraps a model, so ranks
    /// start equal even if an initialiser were not deterministic.
    public func broadcastParameters(_ parameters: [(path: String, tensor: Tensor)]) throws {
        for (path, tensor) in parameters {
            try communicator.broadcast(&tensor.data, what: "broadcast of \(path)")
        }
    }

    /// A step's figures summed over ranks; `stop` is true on every rank if any rank was asked
    /// to stop, so all of them end after the same step.
    public func reduceStep(lossSum: Double, correct: Int, count: Int, stop: Bool) throws -> (lossSum: Double, correct: Int, count: Int, stop: Bool) {
        var figures = [lossSum, Double(correct), Double(count), stop ? 1 : 0]
        try communicator.sum(&figures, what: "step figures allreduce")
        return (figures[0], Int(figures[1]), Int(figures[2]), figures[3] > 0)
    }

    /// Each rank evaluated its shard; this combines them into the whole set's figures.
    public func reduce(_ metrics: EvalMetrics) throws -> EvalMetrics {
        var figures = [metrics.loss * Double(metrics.count), metrics.accuracy * Double(metrics.count), Double(metrics.count)]
        figures += metrics.confusion.flatMap { $0.map(Double.init) }
        try communicator.sum(&figures, what: "evaluation allreduce")
        let count = Int(figures[2].rounded())
        let classes = metrics.confusion.count
        let confusion = (0..<classes).map { row in (0..<classes).map { Int(figures[3 + row * classes + $0].rounded()) } }
        return EvalMetrics(loss: figures[0] / Double(max(count, 1)), accuracy: figures[1] / Double(max(count, 1)),
                           count: count, confusion: confusion)
    }

    /// Every rank's generator state, in rank order (all ranks call this at the same point).
    public func gatherRandomStates(_ state: [UInt64]) throws -> [[UInt64]] {
        let bytes = state.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        return try communicator.gather(bytes, what: "random state gather").map { rankBytes in
            stride(from: 0, to: rankBytes.count - 7, by: 8).map { start in
                (0..<8).reduce(UInt64(0)) { $0 | UInt64(rankBytes[start + $1]) << (8 * UInt64($1)) }
            }
        }
    }
}

extension Communicator {
    /// Runs `body` on every rank and agrees on the outcome: if it failed anywhere, every rank
    /// throws, but only rank 0's error carries the text (each distinct message once, with the
    /// ranks it came from unless all failed alike), so a bad input is reported once, not N times.
    public func agree<T>(_ body: () throws -> T) throws -> T {
        let outcome = Result { try body() }
        guard isDistributed else { return try outcome.get() }
        var message = ""
        if case .failure(let error) = outcome { message = "\(error)" }
        let messages = try gather(Array(message.utf8), what: "start-up check").map { String(decoding: $0, as: UTF8.self) }
        guard messages.contains(where: { !$0.isEmpty }) else { return try outcome.get() }
        guard rank == 0 else { throw DistributedError.reportedByRankZero }
        var lines: [String] = []
        for text in Set(messages.filter { !$0.isEmpty }).sorted() {
            let ranks = messages.indices.filter { messages[$0] == text }
            lines.append(ranks.count == size ? text : "rank \(ranks.map(String.init).joined(separator: ", ")): \(text)")
        }
        throw DistributedError(lines.joined(separator: "\n"), agreed: true)
    }
}

extension DistributedError {
    /// Thrown on ranks other than 0 when rank 0 reports the failure for all of them.
    public static let reportedByRankZero = DistributedError("", agreed: true)
    public var isReportedElsewhere: Bool { description.isEmpty }
}
