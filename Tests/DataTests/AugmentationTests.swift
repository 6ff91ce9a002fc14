// Augmentation on a known image: crop shifts with zero fill, flip mirrors rows, normalisation is
// exact, bilinear resize matches align_corners=False values computed by hand.

import Foundation
import XCTest
import Data

final class AugmentationTests: XCTestCase {
    /// 2 channels of 3×4: value = 100·c + 10·y + x.
    let image: [Float] = {
        var out: [Float] = []
        for c in 0..<2 { for y in 0..<3 { for x in 0..<4 { out.append(Float(100 * c + 10 * y + x)) } } }
        return out
    }()

    func testFlipMirrorsEachRow() {
        let flipped = Augment.flipHorizontal(image, channels: 2, height: 3, width: 4)
        XCTAssertEqual(Array(flipped[0..<4]), [3, 2, 1, 0])
        XCTAssertEqual(Array(flipped[20..<24]), [123, 122, 121, 120])
        XCTAssertEqual(Augment.flipHorizontal(flipped, channels: 2, height: 3, width: 4), image)
    }

    func testCropShiftsWithZeroPadding() {
        // Offset (dy, dx) = (1, -2): output(y, x) = input(y + 1, x - 2), zero outside.
        let shifted = Augment.crop(image, channels: 2, height: 3, width: 4, dy: 1, dx: -2)
        XCTAssertEqual(Array(shifted[0..<12]), [0, 0, 10, 11, 0, 0, 20, 21, 0, 0, 0, 0])
        XCTAssertEqual(Array(shifted[12..<24]), [0, 0, 110, 111, 0, 0, 120, 121, 0, 0, 0, 0])
        XCTAssertEqual(Augment.crop(image, channels: 2, height: 3, width: 4, dy: 0, dx: 0), image)
        XCTAssertEqual(Augment.crop(image, channels: 2, height: 3, width: 4, dy: 0, dx: 5), [Float](repeating: 0, count: 24))
    }

    func testRandomCropStaysWithinPaddingAndIsDeterministic() {
        let ones = [Float](repeating: 1, count: 8 * 8)
        var seenShifts = Set<Int>()
        for seed in 0..<200 {
            var rng = RandomGenerator(seed: UInt64(seed))
            let out = Augment.randomCrop(ones, channels: 1, height: 8, width: 8, padding: 2, rng: &rng)
            var again = RandomGenerator(seed: UInt64(seed))
            XCTAssertEqual(out, Augment.randomCrop(ones, channels: 1, height: 8, width: 8, padding: 2, rng: &again))
            // The kept region is (8 − |dy|)·(8 − |dx|) with |dy|, |dx| ≤ 2.
            let kept = Int(out.reduce(0, +))
            XCTAssertTrue([64, 56, 48, 49, 42, 36].contains(kept), "kept \(kept)")
            seenShifts.insert(kept)
        }
        XCTAssertEqual(seenShifts.count, 6, "all |dy|,|dx| combinations should occur in 200 draws")
    }

    func testFlipProbabilityAboutHalf() {
        var flips = 0
        for seed in 0..<400 {
            var rng = RandomGenerator(seed: UInt64(seed))
            let out = Augment.apply(.init(horizontalFlip: true), to: image, channels: 2, height: 3, width: 4, rng: &rng)
            if out != image { flips += 1; XCTAssertEqual(out, Augment.flipHorizontal(image, channels: 2, height: 3, width: 4)) }
        }
        XCTAssertGreaterThan(flips, 150)
        XCTAssertLessThan(flips, 250)
    }

    func testNormalizeExact() {
        var x = image
        Augment.normalize(&x, channels: 2, mean: [1, 100], std: [2, 0.5])
        XCTAssertEqual(x[0], (0 - 1) / 2)
        XCTAssertEqual(x[11], (23 - 1) / 2)
        XCTAssertEqual(x[12], (100 - 100) / 0.5)
        XCTAssertEqual(x[23], (123 - 100) / 0.5)
    }

    func testBilinearResizeAlignCornersFalse() {
        // 1×2×2 → 1×4×4: torch.nn.functional.interpolate(mode="bilinear", align_corners=False)
        // of [[0, 1], [2, 3]] gives rows [0, .25, .75, 1], [.5, .75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3].
        let up = Resize.bilinear([0, 1, 2, 3], channels: 1, inHeight: 2, inWidth: 2, outHeight: 4, outWidth: 4)
        XCTAssertEqual(up, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
        // Halving averages 2×2 blocks (source points fall midway between pixels).
        let four: [Float] = (0..<16).map(Float.init)
        XCTAssertEqual(Resize.bilinear(four, channels: 1, inHeight: 4, inWidth: 4, outHeight: 2, outWidth: 2), [2.5, 4.5, 10.5, 12.5])
        // Same size is the identity.
        XCTAssertEqual(Resize.bilinear(image, channels: 2, inHeight: 3, inWidth: 4, outHeight: 3, outWidth: 4), image)
    }
}
