// PNG class folders: labels by sorted class name, files in sorted order, exact pixels, bilinear
// resize of a known image, and errors naming the corrupt file, the empty root, the unsupported format.

import Foundation
import XCTest
import Data
import FileFormats

final class ImageFolderDatasetTests: XCTestCase {
    /// A 2×2 RGB image whose channel c at (y, x) is base + 40·c + 20·y + 10·x.
    static func tiny(_ base: UInt8) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<2 { for x in 0..<2 { for c in 0..<3 { pixels.append(base + UInt8(40 * c + 20 * y + 10 * x)) } } }
        return RGBImage(width: 2, height: 2, pixels: pixels)
    }

    func makeFolder() throws -> String {
        let root = try TestSupport.temporaryDirectory()
        for dir in ["zebra", "ant", "ant/more", ".hidden"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try PNG.write(Self.tiny(1), to: root + "/zebra/b.png")
        try PNG.write(Self.tiny(2), to: root + "/zebra/a.png")
        try PNG.write(Self.tiny(3), to: root + "/ant/x.png")
        try PNG.write(Self.tiny(4), to: root + "/ant/more/c.png")
        try PNG.write(Self.tiny(5), to: root + "/.hidden/h.png")
        try "notes".write(toFile: root + "/ant/README.txt", atomically: true, encoding: .utf8)
        return root
    }

    func testLabelsBySortedClassNameAndExactPixels() throws {
        let root = try makeFolder()
        let data = try ImageFolderDataset(root: root, imageSize: 2)
        XCTAssertEqual(data.classNames, ["ant", "zebra"])
        XCTAssertEqual(data.files.map { String($0.path.dropFirst(root.count + 1)) }, ["ant/x.png", "ant/more/c.png", "zebra/a.png", "zebra/b.png"])
        XCTAssertEqual(data.files.map(\.label), [0, 0, 1, 1])
        let (pixels, label) = try data.sample(at: 2)
        XCTAssertEqual(label, 1)
        // zebra/a.png has base 2; CHW: channel c plane is [base+40c, +10, +20, +30].
        var expected: [Float] = []
        for c in 0..<3 { for y in 0..<2 { for x in 0..<2 { expected.append(Float(2 + 40 * c + 20 * y + 10 * x) / 255) } } }
        XCTAssertEqual(pixels, expected)
        try data.validate()
    }

    func testResizeOfKnownImage() throws {
        let root = try makeFolder()
        let data = try ImageFolderDataset(root: root, imageSize: (height: 4, width: 4))
        let (pixels, _) = try data.sample(at: 0)  // ant/x.png, base 3
        XCTAssertEqual(pixels.count, 3 * 16)
        // align_corners=False, 2→4: weights per axis (1,0), (.75,.25), (.25,.75), (0,1).
        let w: [[Float]] = [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]]
        for c in 0..<3 {
            for oy in 0..<4 {
                for ox in 0..<4 {
                    var v: Float = 0
                    for y in 0..<2 { for x in 0..<2 { v += w[oy][y] * w[ox][x] * Float(3 + 40 * c + 20 * y + 10 * x) / 255 } }
                    XCTAssertEqual(pixels[c * 16 + oy * 4 + ox], v, accuracy: 1e-6, "c\(c) y\(oy) x\(ox)")
                }
            }
        }
    }

    func testCorruptPNGNamesFileFromSampleAndValidate() throws {
        let root = try makeFolder()
        try "this is not a png".write(toFile: root + "/zebra/broken.png", atomically: true, encoding: .utf8)
        let data = try ImageFolderDataset(root: root, imageSize: 2)
        let index = try XCTUnwrap(data.files.firstIndex { $0.path.hasSuffix("broken.png") })
        let error = TestSupport.expectDatasetError { _ = try data.sample(at: index) }
        XCTAssertEqual(error?.file, root + "/zebra/broken.png")
        let first = TestSupport.expectDatasetError { try data.validate() }
        XCTAssertEqual(first?.file, root + "/zebra/broken.png")
        // Through the loader the error surfaces from the background thread.
        let loader = try DataLoader(dataset: data, batchSize: 8, shuffle: false, seed: 0)
        let viaLoader = TestSupport.expectDatasetError { _ = try loader.batches(epoch: 0).next() }
        XCTAssertEqual(viaLoader?.file, root + "/zebra/broken.png")
    }

    func testUnsupportedFormatEmptyRootAndEmptyClass() throws {
        let root = try makeFolder()
        try TestSupport.write([0xFF, 0xD8, 0xFF], to: root + "/ant/photo.jpg")
        let jpeg = TestSupport.expectDatasetError { _ = try ImageFolderDataset(root: root, imageSize: 2) }
        XCTAssertEqual(jpeg?.file, root + "/ant/photo.jpg")
        XCTAssertTrue(jpeg?.message.contains("only PNG") ?? false)

        let empty = try TestSupport.temporaryDirectory()
        let none = TestSupport.expectDatasetError { _ = try ImageFolderDataset(root: empty, imageSize: 2) }
        XCTAssertEqual(none?.description, "\(empty): no class folders; expected root/<class>/*.png (one sub-folder per class)")

        try FileManager.default.createDirectory(atPath: empty + "/cat", withIntermediateDirectories: true)
        let noImages = TestSupport.expectDatasetError { _ = try ImageFolderDataset(root: empty, imageSize: 2) }
        XCTAssertEqual(noImages?.file, empty + "/cat")

        let missing = TestSupport.expectDatasetError { _ = try ImageFolderDataset(root: empty + "/nope", imageSize: 2) }
        XCTAssertEqual(missing?.file, empty + "/nope")
    }

    func testOpenByNameUsesSplitSubfolder() throws {
        let root = try TestSupport.temporaryDirectory()
        for dir in ["train/a", "train/b", "val/a", "val/b"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try PNG.write(Self.tiny(1), to: root + "/train/a/1.png")
        try PNG.write(Self.tiny(1), to: root + "/train/a/2.png")
        try PNG.write(Self.tiny(1), to: root + "/train/b/1.png")
        try PNG.write(Self.tiny(1), to: root + "/val/b/1.png")
        try PNG.write(Self.tiny(1), to: root + "/val/a/1.png")
        XCTAssertEqual(DatasetKind.detect(path: root), "folder")
        let train = try DatasetKind.openDataset(kind: "folder", root: root, split: .train, imageSize: 8)
        let test = try DatasetKind.openDataset(kind: "folder", root: root, split: .test, imageSize: 8)
        XCTAssertEqual([train.count, test.count], [3, 2])
        XCTAssertEqual(train.height, 8)
        XCTAssertEqual(test.classNames, ["a", "b"])
    }
}
