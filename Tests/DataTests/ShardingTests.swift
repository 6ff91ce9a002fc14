// Data-parallel sharding as PyTorch's DistributedSampler: rank r reads positions r, r + N, … of
// each epoch's permutation, padded by repeating the permutation's start so every rank has the
// same number of batches; evaluation shards are unpadded; a resume position splits the rest.

import XCTest
import Data

final class ShardingTests: XCTestCase {
    private func shards(_ count: Int, ranks: Int, batch: Int = 4, padded: Bool = true, from position: Int = 0) throws -> [[Int]] {
        try (0..<ranks).map { rank in
            let loader = try DataLoader(dataset: StubDataset(count: count), batchSize: batch, shuffle: true, seed: 9)
            loader.shard(rank: rank, of: ranks, padded: padded)
            return loader.shardOrder(epoch: 2, from: position)
        }
    }

    func testRankRTakesPositionsRPlusMultiplesOfNAndPadsWithTheStart() throws {
        let order = try DataLoader(dataset: StubDataset(count: 10), batchSize: 4, shuffle: true, seed: 9).order(epoch: 2)
        let parts = try shards(10, ranks: 3)
        // 10 samples over 3 ranks: padded to 12 with the order's first two.
        let padded = order + order[0..<2]
        for rank in 0..<3 {
            XCTAssertEqual(parts[rank], stride(from: rank, to: 12, by: 3).map { padded[$0] })
        }
        XCTAssertEqual(Set(parts.flatMap { $0 }), Set(0..<10))
        // Every rank has as many batches, so their collectives pair up.
        let loaders = try (0..<3).map { rank -> DataLoader in
            let loader = try DataLoader(dataset: StubDataset(count: 10), batchSize: 4, shuffle: true, seed: 9)
            loader.shard(rank: rank, of: 3, padded: true)
            return loader
        }
        XCTAssertEqual(loaders.map(\.batchesPerEpoch), [1, 1, 1])
    }

    func testUnpaddedShardsCoverEverySampleOnce() throws {
        let parts = try shards(10, ranks: 3, padded: false)
        XCTAssertEqual(parts.map(\.count), [4, 3, 3])
        XCTAssertEqual(parts.flatMap { $0 }.sorted(), Array(0..<10))
    }

    func testTwoShardsOfABatchAreTheSingleProcessBatch() throws {
        // Batch b of rank 0 and rank 1 (32 each) together are batch b of one process (64).
        let whole = try DataLoader(dataset: StubDataset(count: 384), batchSize: 64, shuffle: true, seed: 9)
        let parts = try shards(384, ranks: 2, batch: 32)
        for b in 0..<6 {
            let together = Set(parts[0][(32 * b)..<(32 * b + 32)] + parts[1][(32 * b)..<(32 * b + 32)])
            XCTAssertEqual(together, Set(whole.indices(epoch: 2, batch: b)))
        }
    }

    func testAResumePositionSplitsTheRestOfTheEpochWhateverTheRankCount() throws {
        let order = try DataLoader(dataset: StubDataset(count: 20), batchSize: 4, shuffle: true, seed: 9).order(epoch: 2)
        // Two ranks consumed 8 samples; one rank continues with the remaining 12 in order …
        XCTAssertEqual(try shards(20, ranks: 1, from: 8)[0], Array(order[8...]))
        // … and three ranks share them out, as they would have from the start.
        let parts = try shards(20, ranks: 3, from: 8)
        XCTAssertEqual(parts.flatMap { $0 }.sorted(), order[8...].sorted())
        XCTAssertEqual(parts[1], [order[9], order[12], order[15], order[18]])
        // Resuming past the end leaves nothing to read.
        XCTAssertEqual(try shards(20, ranks: 2, from: 20).map(\.count), [0, 0])
    }
}
