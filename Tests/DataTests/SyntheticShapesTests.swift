// The synthetic quick-start dataset: reproducible from (seed, split, index), balanced, with masks
// inside the image that cover the drawn shape, and different content per split and seed.

import Foundation
import XCTest
import Data

final class SyntheticShapesTests: XCTestCase {
    func testDeterministicPerIndexAndSplitsDiffer() throws {
        let a = SyntheticShapesDataset(count: 60, imageSize: 32, seed: 7, split: .train)
        let b = SyntheticShapesDataset(count: 60, imageSize: 32, seed: 7, split: .train)
        let test = SyntheticShapesDataset(count: 60, imageSize: 32, seed: 7, split: .test)
        let other = SyntheticShapesDataset(count: 60, imageSize: 32, seed: 8, split: .train)
        // Reading out of order gives the same bytes: samples do not depend on each other.
        for i in [59, 0, 31, 5] {
            let x = try a.sample(at: i), y = try b.sample(at: i)
            XCTAssertEqual(x.pixels, y.pixels)
            XCTAssertEqual(x.label, y.label)
            XCTAssertEqual(a.mask(at: i), b.mask(at: i))
            XCTAssertNotEqual(x.pixels, try test.sample(at: i).pixels)
            XCTAssertNotEqual(x.pixels, try other.sample(at: i).pixels)
        }
        XCTAssertEqual([a.channels, a.height, a.width], [3, 32, 32])
        XCTAssertEqual(a.classNames, ["circle", "square", "triangle", "cross", "ring", "diamond"])
    }

    func testBalancedLabelsValidRangeAndMasks() throws {
        let data = SyntheticShapesDataset(count: 120, imageSize: 32, seed: 1, split: .train)
        var counts = [Int](repeating: 0, count: 6)
        for i in 0..<data.count {
            let (pixels, label) = try data.sample(at: i)
            counts[label] += 1
            XCTAssertEqual(pixels.count, 3 * 32 * 32)
            XCTAssertTrue(pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
            let mask = try XCTUnwrap(data.mask(at: i))
            XCTAssertEqual(mask.count, 32 * 32)
            XCTAssertTrue(mask.allSatisfy { $0 == 0 || $0 == 1 })
            let area = mask.reduce(0, +)
            // Area is drawn from 18–30 % of the image for every class (anti-aliasing moves it a little).
            XCTAssertGreaterThan(area, 0.16 * 1024, "sample \(i)")
            XCTAssertLessThan(area, 0.32 * 1024, "sample \(i)")
            // The shape stays clear of the border.
            for k in 0..<32 {
                XCTAssertEqual(mask[k] + mask[31 * 32 + k] + mask[k * 32] + mask[k * 32 + 31], 0, "sample \(i) touches the border")
            }
            // Inside the mask the colour differs from the border colour (the object is visible).
            var inside: [Float] = [0, 0, 0], outside: [Float] = [0, 0, 0]
            let outsideCount = 1024 - area
            for c in 0..<3 {
                for p in 0..<1024 {
                    if mask[p] == 1 { inside[c] += pixels[c * 1024 + p] / area } else { outside[c] += pixels[c * 1024 + p] / outsideCount }
                }
            }
            let luma = { (v: [Float]) in 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2] }
            XCTAssertGreaterThan(abs(luma(inside) - luma(outside)), 0.15, "sample \(i): object does not stand out")
        }
        XCTAssertEqual(counts, [20, 20, 20, 20, 20, 20])
    }

    /// Mean colour must not give the class away: per-class average brightness is about the same.
    func testMeanColourIsUninformative() throws {
        let data = SyntheticShapesDataset(count: 600, imageSize: 24, seed: 3, split: .train)
        var sums = [Float](repeating: 0, count: 6)
        for i in 0..<data.count {
            let (pixels, label) = try data.sample(at: i)
            sums[label] += pixels.reduce(0, +) / Float(pixels.count)
        }
        let means = sums.map { $0 / 100 }
        XCTAssertLessThan(means.max()! - means.min()!, 0.05, "per-class mean brightness \(means)")
    }

    func testOtherImageSizes() throws {
        let data = SyntheticShapesDataset(count: 6, imageSize: 64, seed: 2, split: .test)
        let (pixels, _) = try data.sample(at: 4)
        XCTAssertEqual(pixels.count, 3 * 64 * 64)
        XCTAssertGreaterThan(try XCTUnwrap(data.mask(at: 4)).reduce(0, +), 0.16 * 64 * 64)
    }
}
