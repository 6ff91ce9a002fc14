// Opening datasets by name and guessing the kind from a path.

import Foundation
import XCTest
import Data
import FileFormats

final class DatasetKindTests: XCTestCase {
    func testOpenByNameAndAliases() throws {
        let synthetic = try DatasetKind.openDataset(kind: "synthetic", root: nil, split: .test, imageSize: 16, count: 12, seed: 4)
        XCTAssertEqual(synthetic.count, 12)
        XCTAssertEqual(synthetic.height, 16)
        XCTAssertEqual(DatasetKind(name: "CIFAR-10"), .cifar10)
        XCTAssertEqual(DatasetKind(name: "fashion_mnist"), .fashionMNIST)
        let unknown = TestSupport.expectDatasetError { _ = try DatasetKind.openDataset(kind: "mnist", root: nil, split: .train) }
        XCTAssertTrue(unknown?.message.contains("unknown dataset kind 'mnist'") ?? false)

        let dir = try TestSupport.temporaryDirectory()
        try TestSupport.write(CIFAR10Tests.makeBatch(records: 2), to: dir + "/test_batch.bin")
        let cifar = try DatasetKind.openDataset(kind: "cifar10", root: dir, split: .test)
        XCTAssertEqual(cifar.count, 2)

        let h5 = dir + "/h5"
        try FileManager.default.createDirectory(atPath: h5, withIntermediateDirectories: true)
        let file = try HDF5File.create(h5 + "/val.h5")
        try file.write([UInt8](repeating: 3, count: 12), shape: [3, 1, 2, 2], to: "images")
        try file.write([Int64(0), 1, 0], shape: [3], to: "labels")
        file.close()
        XCTAssertEqual(try DatasetKind.openDataset(kind: "h5", root: h5, split: .test).count, 3)
        let noTrain = TestSupport.expectDatasetError { _ = try DatasetKind.openDataset(kind: "hdf5", root: h5, split: .train) }
        XCTAssertEqual(noTrain?.file, h5)
    }

    func testDetect() throws {
        let dir = try TestSupport.temporaryDirectory()
        for sub in ["cifar", "fmnist", "h5", "folder/train/cat", "empty"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        try TestSupport.write([0], to: dir + "/cifar/data_batch_1.bin")
        try TestSupport.write([0], to: dir + "/fmnist/t10k-images-idx3-ubyte.gz")
        try TestSupport.write([0], to: dir + "/h5/train.h5")
        try TestSupport.write([0], to: dir + "/folder/train/cat/a.png")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/cifar"), "cifar10")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/fmnist"), "fashion-mnist")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/h5"), "hdf5")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/h5/train.h5"), "hdf5")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/folder"), "folder")
        XCTAssertEqual(DatasetKind.detect(path: dir + "/folder/train"), "folder")
        XCTAssertNil(DatasetKind.detect(path: dir + "/empty"))
        XCTAssertNil(DatasetKind.detect(path: dir + "/missing"))
    }
}
