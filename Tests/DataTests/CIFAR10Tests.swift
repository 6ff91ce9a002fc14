// CIFAR-10 binary format: a file built from known bytes read back exactly through the dataset and
// the loader; bad files give one-line errors; the real data (if present) has the published labels.

import Foundation
import XCTest
import Data

final class CIFAR10Tests: XCTestCase {
    /// Record r: label (r·3) % 10, pixel byte at CHW offset i = (r·7 + i) % 256.
    static func pixelByte(record r: Int, offset i: Int) -> UInt8 { UInt8((r * 7 + i) % 256) }

    static func makeBatch(records: Int, firstRecord: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        for r in firstRecord..<firstRecord + records {
            bytes.append(UInt8((r * 3) % 10))
            for i in 0..<3072 { bytes.append(pixelByte(record: r, offset: i)) }
        }
        return bytes
    }

    func testTestSplitLabelsAndPlaneOrder() throws {
        let dir = try TestSupport.temporaryDirectory()
        try TestSupport.write(Self.makeBatch(records: 4), to: dir + "/test_batch.bin")
        let data = try CIFAR10Dataset(root: dir, split: .test)
        XCTAssertEqual(data.count, 4)
        XCTAssertEqual(data.classNames, CIFAR10Dataset.standardClassNames)
        for r in 0..<4 {
            let (pixels, label) = try data.sample(at: r)
            XCTAssertEqual(label, (r * 3) % 10)
            XCTAssertEqual(pixels.count, 3 * 32 * 32)
            // R plane first, then G, then B, each row-major: CHW offset c·1024 + y·32 + x.
            for (c, y, x) in [(0, 0, 0), (0, 0, 31), (0, 1, 0), (1, 0, 0), (2, 31, 31), (1, 17, 5)] {
                let offset = c * 1024 + y * 32 + x
                XCTAssertEqual(pixels[offset], Float(Self.pixelByte(record: r, offset: offset)) / 255)
            }
            XCTAssertEqual(pixels, (0..<3072).map { Float(Self.pixelByte(record: r, offset: $0)) / 255 })
        }
    }

    func testTrainSplitConcatenatesFiveBatchesAndReadsMeta() throws {
        let dir = try TestSupport.temporaryDirectory()
        let nested = dir + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        for k in 1...5 {
            try TestSupport.write(Self.makeBatch(records: 2, firstRecord: (k - 1) * 2), to: nested + "/data_batch_\(k).bin")
        }
        let names = ["a0", "b1", "c2", "d3", "e4", "f5", "g6", "h7", "i8", "j9"]
        try (names.map { $0 + "  " }.joined(separator: "\n") + "\n\n").write(toFile: nested + "/batches.meta.txt", atomically: true, encoding: .utf8)
        // The root may be the parent of cifar-10-batches-bin.
        let data = try CIFAR10Dataset(root: dir, split: .train)
        XCTAssertEqual(data.count, 10)
        XCTAssertEqual(data.classNames, names)
        XCTAssertEqual(try (0..<10).map { try data.sample(at: $0).label }, (0..<10).map { ($0 * 3) % 10 })
        XCTAssertEqual(try data.sample(at: 7).pixels[5], Float(Self.pixelByte(record: 7, offset: 5)) / 255)
    }

    func testLoaderDeliversExactBytesInOrder() throws {
        let dir = try TestSupport.temporaryDirectory()
        try TestSupport.write(Self.makeBatch(records: 5), to: dir + "/test_batch.bin")
        let data = try CIFAR10Dataset(root: dir, split: .test)
        let loader = try DataLoader(dataset: data, batchSize: 2, shuffle: false, seed: 0)
        XCTAssertEqual(loader.batchesPerEpoch, 3)
        let iterator = loader.batches(epoch: 0)
        var seen: [Int] = []
        while let batch = try iterator.next() {
            XCTAssertEqual(batch.images.shape, [batch.indices.count, 3, 32, 32])
            for (position, index) in batch.indices.enumerated() {
                XCTAssertEqual(batch.labels[position], (index * 3) % 10)
                let expected = (0..<3072).map { Float(Self.pixelByte(record: index, offset: $0)) / 255 }
                XCTAssertEqual(Array(batch.images.data[position * 3072..<(position + 1) * 3072]), expected)
            }
            seen += batch.indices
        }
        XCTAssertEqual(seen, [0, 1, 2, 3, 4])
    }

    func testTruncatedFileNamesFileAndRecordSize() throws {
        let dir = try TestSupport.temporaryDirectory()
        var bytes = Self.makeBatch(records: 2)
        bytes.removeLast()
        try TestSupport.write(bytes, to: dir + "/test_batch.bin")
        let error = TestSupport.expectDatasetError { _ = try CIFAR10Dataset(root: dir, split: .test) }
        XCTAssertEqual(error?.file, dir + "/test_batch.bin")
        XCTAssertTrue(error?.description.contains("truncated: 6145 bytes is not a multiple of the 3073-byte record") ?? false, "\(String(describing: error))")
    }

    func testBadLabelAndMissingFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        var bytes = Self.makeBatch(records: 3)
        bytes[3073] = 12
        try TestSupport.write(bytes, to: dir + "/test_batch.bin")
        let bad = TestSupport.expectDatasetError { _ = try CIFAR10Dataset(root: dir, split: .test) }
        XCTAssertTrue(bad?.description.contains("record 1") ?? false, "\(String(describing: bad))")
        XCTAssertTrue(bad?.description.contains("label 12; expected 0-9") ?? false, "\(String(describing: bad))")

        let missing = TestSupport.expectDatasetError { _ = try CIFAR10Dataset(root: dir, split: .train) }
        XCTAssertEqual(missing?.file, dir + "/data_batch_1.bin")
        XCTAssertTrue(missing?.description.contains("vittrain data fetch cifar10") ?? false, "\(String(describing: missing))")
    }

    /// The machine's rebuilt CIFAR-10 (../shared/datasets beside the repository), if present.
    func testRealCIFAR10LabelsAndCounts() throws {
        let root = TestSupport.packageRoot + "/../shared/datasets/cifar-10-batches-bin"
        guard FileManager.default.fileExists(atPath: root + "/data_batch_1.bin") else {
            throw XCTSkip("CIFAR-10 not found at \(root)")
        }
        let train = try CIFAR10Dataset(root: root, split: .train)
        XCTAssertEqual(train.count, 50_000)
        XCTAssertEqual(train.classNames, CIFAR10Dataset.standardClassNames)
        XCTAssertEqual(Array(train.labels.prefix(20)), [6, 9, 9, 4, 1, 1, 2, 7, 8, 3, 4, 7, 7, 2, 9, 9, 9, 3, 2, 6])
        var counts = [Int](repeating: 0, count: 10)
        for label in train.labels { counts[Int(label)] += 1 }
        XCTAssertEqual(counts, [Int](repeating: 5000, count: 10))
        // README: the first training image's red channel starts 61 48 56 81 107 in this rebuild.
        XCTAssertEqual(Array(train.bytes(at: 0).prefix(5)), [61, 48, 56, 81, 107])

        let test = try CIFAR10Dataset(root: root, split: .test)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(Array(test.labels.prefix(10)), [3, 8, 8, 0, 6, 6, 1, 6, 3, 1])
    }
}
