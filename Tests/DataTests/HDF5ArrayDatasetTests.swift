// HDF5 image arrays written with HDF5File and read back exactly (uint8 → /255, float32 as stored);
// missing labels, mismatched counts and wrong shapes give one-line errors naming the file.

import Foundation
import XCTest
import Data
import FileFormats

final class HDF5ArrayDatasetTests: XCTestCase {
    func testUInt8ImagesAndClassNamesAttribute() throws {
        let path = try TestSupport.temporaryDirectory() + "/set.h5"
        let pixels: [UInt8] = (0..<72).map { (i: Int) -> UInt8 in UInt8((i * 11) % 256) }
        let file = try HDF5File.create(path)
        try file.write(pixels, shape: [3, 2, 3, 4], to: "images")
        try file.write([Int64(2), 0, 1], shape: [3], to: "labels")
        try file.setAttribute("class_names", "[\"cat\", \"dog\", \"emu\"]")
        file.close()

        let data = try HDF5ArrayDataset(path: path)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual([data.channels, data.height, data.width], [2, 3, 4])
        XCTAssertEqual(data.classNames, ["cat", "dog", "emu"])
        for i in 0..<3 {
            let (x, label) = try data.sample(at: i)
            XCTAssertEqual(label, [2, 0, 1][i])
            XCTAssertEqual(x, pixels[i * 24..<(i + 1) * 24].map { Float($0) / 255 })
        }
    }

    func testFloat32ImagesAsStoredAndDefaultClassNames() throws {
        let path = try TestSupport.temporaryDirectory() + "/set.h5"
        let values: [Float] = (0..<16).map { (i: Int) -> Float in Float(i) * 0.37 - 2 }
        let file = try HDF5File.create(path)
        try file.write(values, shape: [4, 1, 2, 2], to: "images")
        try file.write([Int32(0), 3, 3, 1], shape: [4], to: "labels")
        file.close()

        let data = try HDF5ArrayDataset(path: path)
        XCTAssertEqual(data.classNames, ["class_0", "class_1", "class_2", "class_3"])
        XCTAssertEqual(try data.sample(at: 2).pixels, Array(values[8..<12]))
        XCTAssertEqual(try data.sample(at: 2).label, 3)
        XCTAssertEqual(try HDF5ArrayDataset(path: path, numClasses: 10).classNames.count, 10)
    }

    func testMissingLabelsAndMismatchesNameTheFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        let noLabels = dir + "/nolabels.h5"
        var file = try HDF5File.create(noLabels)
        try file.write([UInt8](repeating: 1, count: 8), shape: [2, 1, 2, 2], to: "images")
        file.close()
        let missing = TestSupport.expectDatasetError { _ = try HDF5ArrayDataset(path: noLabels) }
        XCTAssertEqual(missing?.description, "\(noLabels): no dataset 'labels'; expected integer labels of shape (N)")

        let mismatch = dir + "/mismatch.h5"
        file = try HDF5File.create(mismatch)
        try file.write([UInt8](repeating: 1, count: 8), shape: [2, 1, 2, 2], to: "images")
        try file.write([Int64(0), 1, 1], shape: [3], to: "labels")
        file.close()
        let count = TestSupport.expectDatasetError { _ = try HDF5ArrayDataset(path: mismatch) }
        XCTAssertEqual(count?.description, "\(mismatch): dataset 'labels' has shape [3]; expected (2) to match the 2 images")

        let flat = dir + "/flat.h5"
        file = try HDF5File.create(flat)
        try file.write([UInt8](repeating: 1, count: 8), shape: [2, 4], to: "images")
        try file.write([Int64(0), 1], shape: [2], to: "labels")
        file.close()
        let shape = TestSupport.expectDatasetError { _ = try HDF5ArrayDataset(path: flat) }
        XCTAssertTrue(shape?.description.contains("expected (N, C, H, W)") ?? false, "\(String(describing: shape))")

        let notHDF5 = dir + "/junk.h5"
        try TestSupport.write([1, 2, 3], to: notHDF5)
        let junk = TestSupport.expectDatasetError { _ = try HDF5ArrayDataset(path: notHDF5) }
        XCTAssertEqual(junk?.file, notHDF5)
    }
}
