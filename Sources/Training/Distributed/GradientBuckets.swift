// Gradient averaging in buckets that overlap the backward pass, as PyTorch DDP's reducer: the
// trainable parameters are grouped by transformer block (embedding and head parameters form
// their own buckets); when the tape reports a bucket's last leaf final, its gradients are packed
// and an MPI_Iallreduce starts while the earlier blocks' backward runs. `finish` waits for all
// and writes back sum / N.

import Foundation
import Tensor

public final class GradientBuckets {
    private final class Bucket {
        let name: String
        let members: [(path: String, tensor: Tensor, offset: Int)]
        let buffer: UnsafeMutableBufferPointer<Float>
        var pending = 0
        var request: Communicator.Request?

        init(name: String, members: [(path: String, tensor: Tensor)]) {
            self.name = name
            var offset = 0
            self.members = members.map { member in
                defer { offset += member.tensor.count }
                return (member.path, member.tensor, offset)
            }
            buffer = .allocate(capacity: offset)
            buffer.initialize(repeating: 0)
        }

        deinit { buffer.deallocate() }

        /// Copies the members' gradients into the buffer (zeros for a parameter without one).
        func pack() {
            for (_, tensor, offset) in members {
                let slot = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + tensor.count)])
                if let grad = tensor.grad {
                    grad.withUnsafeBufferPointer { slot.baseAddress!.update(from: $0.baseAddress!, count: tensor.count) }
                } else {
                    slot.update(repeating: 0)
                }
            }
        }
    }

    public let communicator: Communicator
    private let buckets: [Bucket]
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    private var startError: Error?
    /// Per step: seconds from the first bucket's start to the end of backward (communication
    /// hidden behind compute), and seconds `finish` waited afterwards (exposed communication).
    public private(set) var lastOverlapSeconds = 0.0
    public private(set) var lastExposedSeconds = 0.0
    public private(set) var totalOverlapSeconds = 0.0
    public private(set) var totalExposedSeconds = 0.0
    private var firstStart: UInt64?

    /// Off only in `vittrain bench`, to time the same steps without communication.
    public var synchronizes = true

    /// Values reduced per step.
    public var valueCount: Int { buckets.reduce(0) { $0 + $1.buffer.count } }
    public var bucketNames: [String] { buckets.map(\.name) }

    public init(parameters: [(path: String, tensor: Tensor)], communicator: Communicator) {
        self.communicator = communicator
        var groups: [(name: String, members: [(path: String, tensor: Tensor)])] = []
        for parameter in parameters where parameter.tensor.requiresGrad {
            let name = GradientBuckets.bucketName(parameter.path)
            if groups.last?.name == name {
                groups[groups.count - 1].members.append(parameter)
            } else {
                groups.append((name, [parameter]))
            }
        }
        buckets = groups.map { Bucket(name: $0.name, members: $0.members) }
        for (index, bucket) in buckets.enumerated() {
            for member in bucket.members { bucketOf[ObjectIdentifier(member.tensor)] = index }
        }
        beginStep()
    }

    /// "blocks.3" for any parameter of block 3; consecutive non-block parameters share a bucket
    /// named after where they sit ("embed" before the blocks, "head" after).
    static func bucketName(_ path: String) -> String {
        let parts = path.split(separator: ".")
        if parts.count > 2, parts[0] == "blocks", Int(parts[1]) != nil { return "blocks.\(parts[1])" }
        if parts.count > 2, parts[0] == "backbone" { return "embed" }
        switch parts.first {
        case "cls_token", "dist_token", "reg_token", "pos_embed", "patch_embed", "norm_pre": return "embed"
        default: return "head"
        }
    }

    /// Arms every bucket for the next backward pass.
    public func beginStep() {
        for bucket in buckets {
            bucket.pending = bucket.members.count
            bucket.request = nil
        }
        startError = nil
        firstStart = nil
    }

    /// The tape's `leafReady`: counts the leaf off its bucket and starts the bucket's allreduce
    /// when it was the last; also gives in-flight reductions a chance to progress.
    public func leafReady(_ tensor: Tensor) {
        guard synchronizes, let index = bucketOf[ObjectIdentifier(tensor)] else { return }
        let bucket = buckets[index]
        bucket.pending -= 1
        if bucket.pending == 0 { start(bucket) }
        for other in buckets { if let request = other.request { _ = try? request.poll() } }
    }

    private func start(_ bucket: Bucket) {
        guard bucket.request == nil, startError == nil else { return }
        bucket.pack()
        if firstStart == nil { firstStart = DispatchTime.now().uptimeNanoseconds }
        do {
            bucket.request = try communicator.startSum(bucket.buffer, what: "gradient allreduce of \(bucket.name)")
        } catch {
            startError = error
        }
    }

    /// After backward: starts any bucket whose parameters got no gradient, waits for all, and
    /// replaces every gradient by the mean over ranks.
    public func finish() throws {
        guard synchronizes else { return }
        let backwardEnded = DispatchTime.now().uptimeNanoseconds
        for bucket in buckets where bucket.request == nil { start(bucket) }
        if let startError { throw startError }
        for bucket in buckets { try communicator.wait(bucket.request!) }
        let waited = DispatchTime.now().uptimeNanoseconds
        lastOverlapSeconds = Double(backwardEnded - (firstStart ?? backwardEnded)) / 1e9
        lastExposedSeconds = Double(waited - backwardEnded) / 1e9
        totalOverlapSeconds += lastOverlapSeconds
        totalExposedSeconds += lastExposedSeconds
        let scale = 1 / Float(communicator.size)
        for bucket in buckets {
            for (_, tensor, offset) in bucket.members {
                let slot = bucket.buffer[offset..<(offset + tensor.count)]
                tensor.withGradBuffer(assigningIfFresh: { grad, _ in
                    for i in 0..<tensor.count { grad[i] = slot[offset + i] * scale }
                })
            }
        }
        beginStep()
    }
}
