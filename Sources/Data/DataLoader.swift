// The batch loader: per-epoch shuffling from (seed, epoch), per-sample augmentation from
// (seed, epoch, index), so any epoch — and any batch within it — is reproducible for resume.
// A background thread decodes and augments a couple of batches ahead (samples in parallel),
// overlapping the training step; its errors are rethrown by the consumer's `next()`.
// Shape legend: B = batch, C = channels, H = height, W = width.

import Foundation

/// One batch: images [B, C, H, W], labels and the dataset indices they came from.
public struct Batch {
    public let images: Tensor
    public let labels: [Int]
    public let indices: [Int]
}

public final class DataLoader {
    public let dataset: ImageDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let augmentation: AugmentationOptions
    /// Per-output-channel mean/std applied last; nil leaves pixels in [0, 1].
    public let normalization: (mean: [Float], std: [Float])?
    public let dropLast: Bool
    /// Output tensor geometry (after channel replication and resizing).
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Batches decoded ahead of the consumer.
    public var prefetch: Int = 2
    /// Total seconds the consumer has spent blocked in `next()` waiting for a batch.
    public private(set) var waitSeconds: Double = 0
    /// Data-parallel sharding (`shard(rank:of:padded:)`): this process reads positions
    /// rank, rank + worldSize, … of each epoch's order, as PyTorch's DistributedSampler.
    public private(set) var rank = 0
    public private(set) var worldSize = 1
    public private(set) var padsShards = true

    /// - Parameters:
    ///   - normalization: mean/std per output channel (a single value is used for every channel).
    ///   - outputSize: resize (bilinear) to outputSize × outputSize when it differs from the dataset's.
    ///   - outputChannels: 3 from a 1-channel dataset replicates gray; 1 from RGB takes luma (ITU-R 601).
    /// Throws if the normalisation or channel request does not fit the dataset.
    public init(dataset: ImageDataset, batchSize: Int, shuffle: Bool, seed: UInt64,
                augmentation: AugmentationOptions = .none, normalization: (mean: [Float], std: [Float])? = nil,
                dropLast: Bool = false, outputSize: Int? = nil, outputChannels: Int? = nil) throws {
        guard batchSize > 0 else {
            throw DatasetError(file: "data loader", message: "batch size \(batchSize); expected a positive integer")
        }
        let outChannels = outputChannels ?? dataset.channels
        guard outChannels == dataset.channels || (dataset.channels == 1 && outChannels == 3)
                || (dataset.channels == 3 && outChannels == 1) else {
            throw DatasetError(file: "data loader", message: "cannot turn \(dataset.channels)-channel images into \(outChannels) channels; expected 1→3, 3→1 or the same count")
        }
        if let size = outputSize, size <= 0 {
            throw DatasetError(file: "data loader", message: "output size \(size); expected a positive integer")
        }
        if var norm = normalization {
            if norm.mean.count == 1 { norm.mean = [Float](repeating: norm.mean[0], count: outChannels) }
            if norm.std.count == 1 { norm.std = [Float](repeating: norm.std[0], count: outChannels) }
            guard norm.mean.count == outChannels, norm.std.count == outChannels else {
                throw DatasetError(file: "data loader", message: "normalisation has \(norm.mean.count) means and \(norm.std.count) stds; expected \(outChannels) (one per channel)")
            }
            guard norm.std.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw DatasetError(file: "data loader", message: "normalisation std \(norm.std); expected positive values")
            }
            self.normalization = norm
        } else {
            self.normalization = nil
        }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.augmentation = augmentation
        self.dropLast = dropLast
        self.channels = outChannels
        self.height = outputSize ?? dataset.height
        self.width = outputSize ?? dataset.width
    }

    /// Batches in one epoch (of this rank's shard).
    public var batchesPerEpoch: Int {
        let count = shardCount(from: 0)
        return dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// Makes this loader read rank `rank`'s shard of `worldSize`. With `padded` (training), the
    /// order is padded by repeating its start so every rank gets as many samples (and batches),
    /// as DistributedSampler(drop_last=False); without (evaluation), no sample is seen twice.
    public func shard(rank: Int, of worldSize: Int, padded: Bool) {
        precondition(worldSize > 0 && (0..<worldSize).contains(rank), "rank \(rank) of \(worldSize)")
        self.rank = rank
        self.worldSize = worldSize
        self.padsShards = padded
    }

    /// Samples this rank reads from global position `position` of an epoch to its end.
    func shardCount(from position: Int) -> Int {
        let rest = max(0, dataset.count - position)
        if padsShards { return (rest + worldSize - 1) / worldSize }
        return rest > rank ? (rest - rank + worldSize - 1) / worldSize : 0
    }

    /// This rank's share of `epoch`'s order from global position `position` on (0 at an epoch's
    /// start; after a resume, the samples all ranks together consumed before, whatever their
    /// number was). Padding repeats the order's start, so a resumed epoch pads as the whole one.
    public func shardOrder(epoch: Int, from position: Int = 0) -> [Int] {
        let full = order(epoch: epoch)
        guard worldSize > 1 || position > 0 else { return full }
        var rest = Array(full[min(position, full.count)...])
        if padsShards && !full.isEmpty {
            let padding = (worldSize - rest.count % worldSize) % worldSize
            rest += (0..<padding).map { full[$0 % full.count] }
        }
        return stride(from: rank, to: rest.count, by: worldSize).map { rest[$0] }
    }

    /// The order in which an epoch visits the dataset: a permutation from (seed, epoch) when
    /// shuffling, else 0..<count.
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<dataset.count)
        guard shuffle else { return order }
        var rng = RandomGenerator(seed: SyntheticShapesDataset.mix(seed, 0x5348_5546_464C_4500, UInt64(bitPattern: Int64(epoch))))
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, rng.nextInt(below: i + 1))
            }
        }
        return order
    }

    /// Dataset indices of batch `batch` of `epoch` (in this rank's shard).
    public func indices(epoch: Int, batch: Int) -> [Int] {
        indices(order: shardOrder(epoch: epoch), batch: batch)
    }

    private func indices(order: [Int], batch: Int) -> [Int] {
        let start = batch * batchSize
        return Array(order[start..<min(start + batchSize, order.count)])
    }

    /// Builds one batch now, on the calling thread (samples in parallel). Augmentation draws come
    /// from (seed, epoch, index), so the result does not depend on batch composition or timing.
    public func makeBatch(indices: [Int], epoch: Int) throws -> Batch {
        let per = channels * height * width
        var pixels = [Float](repeating: 0, count: indices.count * per)
        var labels = [Int](repeating: 0, count: indices.count)
        let lock = NSLock()
        var firstError: (position: Int, error: Error)?
        pixels.withUnsafeMutableBufferPointer { out in
            labels.withUnsafeMutableBufferPointer { labelOut in
                let base = out.baseAddress!
                let labelBase = labelOut.baseAddress!
                Parallel.forEach(indices.count) { position in
                    do {
                        let (image, label) = try prepare(index: indices[position], epoch: epoch)
                        image.withUnsafeBufferPointer { src in
                            (base + position * per).update(from: src.baseAddress!, count: per)
                        }
                        labelBase[position] = label
                    } catch {
                        lock.lock()
                        if firstError == nil || position < firstError!.position { firstError = (position, error) }
                        lock.unlock()
                    }
                }
            }
        }
        if let firstError { throw firstError.error }
        return Batch(images: Tensor(shape: [indices.count, channels, height, width], data: pixels),
                     labels: labels, indices: indices)
    }

    /// One sample after channel conversion, resize, augmentation and normalisation.
    public func prepare(index: Int, epoch: Int) throws -> (pixels: [Float], label: Int) {
        var (image, label) = try dataset.sample(at: index)
        let expected = dataset.channels * dataset.height * dataset.width
        guard image.count == expected else {
            throw DatasetError(file: "sample \(index)", message: "\(image.count) values; expected \(dataset.channels)×\(dataset.height)×\(dataset.width)")
        }
        if channels != dataset.channels {
            if dataset.channels == 1 {
                image = Augment.replicateChannels(image, copies: channels)
            } else {
                let plane = dataset.height * dataset.width
                image = (0..<plane).map { 0.299 * image[$0] + 0.587 * image[plane + $0] + 0.114 * image[2 * plane + $0] }
            }
        }
        if height != dataset.height || width != dataset.width {
            image = Resize.bilinear(image, channels: channels, inHeight: dataset.height, inWidth: dataset.width,
                                    outHeight: height, outWidth: width)
        }
        if augmentation != .none {
            var rng = RandomGenerator(seed: SyntheticShapesDataset.mix(seed, UInt64(bitPattern: Int64(epoch)), UInt64(index)))
            image = Augment.apply(augmentation, to: image, channels: channels, height: height, width: width, rng: &rng)
        }
        if let normalization {
            Augment.normalize(&image, channels: channels, mean: normalization.mean, std: normalization.std)
        }
        return (image, label)
    }

    /// The batches of `epoch` from `startBatch` on, decoded ahead on a background thread.
    public func batches(epoch: Int, startBatch: Int = 0) -> BatchIterator {
        BatchIterator(loader: self, epoch: epoch, order: shardOrder(epoch: epoch), startBatch: startBatch)
    }

    /// The batches of `epoch` after the first `position` samples of its (global) order.
    public func batches(epoch: Int, startPosition position: Int) -> BatchIterator {
        BatchIterator(loader: self, epoch: epoch, order: shardOrder(epoch: epoch, from: position), startBatch: 0)
    }

    fileprivate func addWait(_ seconds: Double) { waitSeconds += seconds }
}

/// Iterates one epoch's batches; `next()` rethrows errors raised while decoding. Stopping early
/// (dropping the iterator) stops the background thread after the batch it is building.
public final class BatchIterator {
    private let pipeline: Pipeline
    private weak var loader: DataLoader?
    /// Seconds this iterator's consumer spent waiting.
    public private(set) var waitSeconds: Double = 0

    init(loader: DataLoader, epoch: Int, order: [Int], startBatch: Int) {
        self.loader = loader
        pipeline = Pipeline(capacity: max(1, loader.prefetch))
        let first = max(0, startBatch)
        let last = loader.dropLast ? order.count / loader.batchSize : (order.count + loader.batchSize - 1) / loader.batchSize
        let batchSize = loader.batchSize
        let pipeline = self.pipeline
        let thread = Thread {
            for b in first..<max(first, last) {
                if pipeline.isCancelled { break }
                let start = b * batchSize
                let indices = Array(order[start..<min(start + batchSize, order.count)])
                let result = Result { try loader.makeBatch(indices: indices, epoch: epoch) }
                guard pipeline.put(result) else { break }
                if case .failure = result { break }
            }
            pipeline.close()
        }
        thread.name = "vittrain.data"
        thread.start()
    }

    deinit { pipeline.cancel() }

    /// The next batch, nil at the end of the epoch; throws the first decoding error.
    public func next() throws -> Batch? {
        let start = DispatchTime.now().uptimeNanoseconds
        let item = pipeline.take()
        let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        waitSeconds += waited
        loader?.addWait(waited)
        switch item {
        case nil: return nil
        case .success(let batch)?: return batch
        case .failure(let error)?:
            pipeline.cancel()
            throw error
        }
    }

    /// Same as `next()`.
    public func nextBatch() throws -> Batch? { try next() }

    /// Stops the background thread early.
    public func cancel() { pipeline.cancel() }
}

/// A bounded queue between the decoding thread and the consumer.
private final class Pipeline: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Result<Batch, Error>] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var isCancelled: Bool {
        condition.lock(); defer { condition.unlock() }
        return cancelled
    }

    /// Waits for room; false if cancelled.
    func put(_ item: Result<Batch, Error>) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while queue.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(item)
        condition.broadcast()
        return true
    }

    /// Waits for an item; nil once closed and drained, or cancelled.
    func take() -> Result<Batch, Error>? {
        condition.lock(); defer { condition.unlock() }
        while queue.isEmpty && !closed && !cancelled { condition.wait() }
        if cancelled || queue.isEmpty { return nil }
        let item = queue.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }

    func cancel() {
        condition.lock(); cancelled = true; queue.removeAll(); condition.broadcast(); condition.unlock()
    }
}
