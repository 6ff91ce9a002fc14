// The loader: each index exactly once per epoch, per-epoch shuffles reproducible from (seed, epoch),
// resume from a batch, augmentation tied to (seed, epoch, index), errors from the background thread.

import Foundation
import XCTest
import Data

final class DataLoaderTests: XCTestCase {
    func allBatches(_ loader: DataLoader, epoch: Int, startBatch: Int = 0) throws -> [Batch] {
        let iterator = loader.batches(epoch: epoch, startBatch: startBatch)
        var out: [Batch] = []
        while let batch = try iterator.next() { out.append(batch) }
        return out
    }

    func testEveryIndexOncePerEpochAndShuffleReproducible() throws {
        let data = StubDataset(count: 23)
        let loader = try DataLoader(dataset: data, batchSize: 5, shuffle: true, seed: 42)
        XCTAssertEqual(loader.batchesPerEpoch, 5)
        let e0 = try allBatches(loader, epoch: 0)
        let e1 = try allBatches(loader, epoch: 1)
        let order0 = e0.flatMap(\.indices), order1 = e1.flatMap(\.indices)
        XCTAssertEqual(order0.sorted(), Array(0..<23))
        XCTAssertEqual(order1.sorted(), Array(0..<23))
        XCTAssertNotEqual(order0, order1)
        XCTAssertNotEqual(order0, Array(0..<23))
        XCTAssertEqual(e0.map { $0.indices.count }, [5, 5, 5, 5, 3])
        // Same (seed, epoch) → same order, also from a fresh loader.
        let again = try DataLoader(dataset: data, batchSize: 5, shuffle: true, seed: 42)
        XCTAssertEqual(try allBatches(again, epoch: 0).flatMap(\.indices), order0)
        XCTAssertEqual(loader.order(epoch: 1), order1)
        // Pixels and labels follow the indices.
        for batch in e0 {
            XCTAssertEqual(batch.labels, batch.indices.map { $0 % 3 })
            XCTAssertEqual(batch.images.shape, [batch.indices.count, 1, 2, 2])
            XCTAssertEqual(batch.images.data, batch.indices.flatMap { [Float](repeating: Float($0), count: 4) })
        }
    }

    func testDropLastAndNoShuffle() throws {
        let loader = try DataLoader(dataset: StubDataset(count: 23), batchSize: 5, shuffle: false, seed: 1, dropLast: true)
        XCTAssertEqual(loader.batchesPerEpoch, 4)
        XCTAssertEqual(try allBatches(loader, epoch: 3).flatMap(\.indices), Array(0..<20))
    }

    func testStartBatchResumesSameSequenceWithSameAugmentation() throws {
        let data = SyntheticShapesDataset(count: 40, imageSize: 16, seed: 5, split: .train)
        let loader = try DataLoader(dataset: data, batchSize: 6, shuffle: true, seed: 9,
                                    augmentation: .standard, normalization: data.defaultNormalization)
        let full = try allBatches(loader, epoch: 2)
        let resumed = try allBatches(loader, epoch: 2, startBatch: 3)
        XCTAssertEqual(resumed.count, full.count - 3)
        for (a, b) in zip(full.dropFirst(3), resumed) {
            XCTAssertEqual(a.indices, b.indices)
            XCTAssertEqual(a.labels, b.labels)
            XCTAssertEqual(a.images.data, b.images.data)
        }
        // Augmentation changes with the epoch for the same index.
        let index = full[0].indices[0]
        XCTAssertNotEqual(try loader.prepare(index: index, epoch: 2).pixels, try loader.prepare(index: index, epoch: 3).pixels)
    }

    func testBackgroundErrorSurfacesAtTheRightBatch() throws {
        let loader = try DataLoader(dataset: StubDataset(count: 20, failing: [13]), batchSize: 4, shuffle: false, seed: 0)
        let iterator = loader.batches(epoch: 0)
        for _ in 0..<3 { XCTAssertNotNil(try iterator.next()) }
        let error = TestSupport.expectDatasetError { _ = try iterator.next() }
        XCTAssertEqual(error?.description, "stub-13.png: corrupt image")
        XCTAssertNil(try iterator.next())
        XCTAssertGreaterThanOrEqual(loader.waitSeconds, 0)
    }

    func testStoppingEarlyDoesNotHang() throws {
        let loader = try DataLoader(dataset: StubDataset(count: 1000), batchSize: 2, shuffle: true, seed: 0)
        for epoch in 0..<20 {
            let iterator = loader.batches(epoch: epoch)
            XCTAssertNotNil(try iterator.next())
        }
    }

    func testChannelReplicationResizeAndNormalisation() throws {
        let data = StubDataset(count: 3, channels: 1, height: 2, width: 2)
        let loader = try DataLoader(dataset: data, batchSize: 3, shuffle: false, seed: 0,
                                    normalization: ([0.5], [2]), outputSize: 4, outputChannels: 3)
        XCTAssertEqual([loader.channels, loader.height, loader.width], [3, 4, 4])
        let batch = try XCTUnwrap(try loader.batches(epoch: 0).next())
        XCTAssertEqual(batch.images.shape, [3, 3, 4, 4])
        // Sample 2 is constant 2, so every output is (2 − 0.5)/2.
        XCTAssertEqual(Array(batch.images.data[96..<144]), [Float](repeating: 0.75, count: 48))

        XCTAssertNotNil(TestSupport.expectDatasetError {
            _ = try DataLoader(dataset: data, batchSize: 2, shuffle: false, seed: 0, normalization: ([0.5, 0.5], [1, 1]))
        })
        XCTAssertNotNil(TestSupport.expectDatasetError {
            _ = try DataLoader(dataset: data, batchSize: 2, shuffle: false, seed: 0, outputChannels: 2)
        })
        XCTAssertNotNil(TestSupport.expectDatasetError {
            _ = try DataLoader(dataset: data, batchSize: 0, shuffle: false, seed: 0)
        })
    }
}
