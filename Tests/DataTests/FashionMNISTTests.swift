// IDX files (raw and gzip) written by the test and read back exactly; wrong magic, count mismatch
// and truncation give one-line errors; the Debian Fashion-MNIST (if installed) has 60000/10000 images.

import Foundation
import XCTest
import Data

final class FashionMNISTTests: XCTestCase {
    /// Writes 3 images of 4×5 (pixel = 10·image + offset) and their labels.
    func writeSplit(_ dir: String, prefix: String, gzip: Bool, labels: [UInt8] = [7, 0, 9]) throws -> [UInt8] {
        let pixels = (0..<3).flatMap { n in (0..<20).map { UInt8(10 * n + $0) } }
        var images = IDXFile.encode(dims: [3, 4, 5], bytes: pixels)
        var labelFile = IDXFile.encode(dims: [labels.count], bytes: labels)
        if gzip {
            images = try Gzip.compress(images)
            labelFile = try Gzip.compress(labelFile)
        }
        let suffix = gzip ? ".gz" : ""
        try TestSupport.write(images, to: "\(dir)/\(prefix)-images-idx3-ubyte\(suffix)")
        try TestSupport.write(labelFile, to: "\(dir)/\(prefix)-labels-idx1-ubyte\(suffix)")
        return pixels
    }

    func testRawAndGzipReadBackExactly() throws {
        for gzip in [false, true] {
            let dir = try TestSupport.temporaryDirectory()
            let pixels = try writeSplit(dir, prefix: "t10k", gzip: gzip)
            let data = try FashionMNISTDataset(root: dir, split: .test)
            XCTAssertEqual(data.imagesPath.hasSuffix(".gz"), gzip)
            XCTAssertEqual(data.count, 3)
            XCTAssertEqual([data.channels, data.height, data.width], [1, 4, 5])
            XCTAssertEqual(try (0..<3).map { try data.sample(at: $0).label }, [7, 0, 9])
            for n in 0..<3 {
                XCTAssertEqual(try data.sample(at: n).pixels, pixels[n * 20..<(n + 1) * 20].map { Float($0) / 255 })
            }
            XCTAssertEqual(data.classNames[0], "T-shirt/top")
            XCTAssertEqual(data.classNames[9], "Ankle boot")

            let rgb = try FashionMNISTDataset(root: dir, split: .test, replicateToRGB: true)
            XCTAssertEqual(rgb.channels, 3)
            let one = try rgb.sample(at: 1).pixels
            XCTAssertEqual(Array(one[0..<20]), Array(one[20..<40]))
            XCTAssertEqual(Array(one[40..<60]), pixels[20..<40].map { Float($0) / 255 })
            XCTAssertEqual(rgb.defaultNormalization.mean.count, 3)
        }
    }

    func testWrongMagicNamesFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        _ = try writeSplit(dir, prefix: "train", gzip: false)
        var bytes = try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: dir + "/train-images-idx3-ubyte")))
        bytes[2] = 0; bytes[3] = 0
        try TestSupport.write(bytes, to: dir + "/train-images-idx3-ubyte")
        let error = TestSupport.expectDatasetError { _ = try FashionMNISTDataset(root: dir, split: .train) }
        XCTAssertEqual(error?.description, "\(dir)/train-images-idx3-ubyte: wrong magic number 0x00000000; expected 0x00000803 (IDX images)")
    }

    func testCountMismatchAndTruncationAndBadGzip() throws {
        let dir = try TestSupport.temporaryDirectory()
        _ = try writeSplit(dir, prefix: "train", gzip: true, labels: [1, 2])
        let mismatch = TestSupport.expectDatasetError { _ = try FashionMNISTDataset(root: dir, split: .train) }
        XCTAssertTrue(mismatch?.description.contains("2 labels but") ?? false, "\(String(describing: mismatch))")
        XCTAssertTrue(mismatch?.file.hasSuffix("train-labels-idx1-ubyte.gz") ?? false)

        let truncated = try TestSupport.temporaryDirectory()
        _ = try writeSplit(truncated, prefix: "train", gzip: false)
        var bytes = try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: truncated + "/train-images-idx3-ubyte")))
        bytes.removeLast(3)
        try TestSupport.write(bytes, to: truncated + "/train-images-idx3-ubyte")
        let short = TestSupport.expectDatasetError { _ = try FashionMNISTDataset(root: truncated, split: .train) }
        XCTAssertTrue(short?.description.contains("57 data bytes; expected 60 for shape 3×4×5 (truncated)") ?? false, "\(String(describing: short))")

        let corrupt = try TestSupport.temporaryDirectory()
        _ = try writeSplit(corrupt, prefix: "train", gzip: true)
        var gz = try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: corrupt + "/train-images-idx3-ubyte.gz")))
        gz.removeLast(gz.count / 2)
        try TestSupport.write(gz, to: corrupt + "/train-images-idx3-ubyte.gz")
        let cut = TestSupport.expectDatasetError { _ = try FashionMNISTDataset(root: corrupt, split: .train) }
        XCTAssertTrue(cut?.file.hasSuffix("train-images-idx3-ubyte.gz") ?? false, "\(String(describing: cut))")
        XCTAssertTrue(cut?.message.contains("gzip") ?? false, "\(String(describing: cut))")
    }

    func testRealFashionMNISTCounts() throws {
        let dir = FashionMNISTDataset.debianDirectory
        guard FileManager.default.fileExists(atPath: dir + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST not installed at \(dir)")
        }
        let train = try FashionMNISTDataset(root: dir, split: .train)
        let test = try FashionMNISTDataset(root: dir, split: .test)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual([train.channels, train.height, train.width], [1, 28, 28])
        var counts = [Int](repeating: 0, count: 10)
        for label in train.labels { counts[Int(label)] += 1 }
        XCTAssertEqual(counts, [Int](repeating: 6000, count: 10))
        // Fashion-MNIST's first training label is 9 (ankle boot), first test label 9 too.
        XCTAssertEqual(train.labels[0], 9)
        XCTAssertEqual(test.labels[0], 9)
    }
}
