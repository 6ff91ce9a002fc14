// Mixup/CutMix and random erasing against timm (Scripts/fixtures/augment.py): the fixture carries
// timm's random draws (λ, CutMix choice, box centres, erase areas and corners); replaying them through
// our functions must give timm's boxes exactly and its images and soft targets within 1e-6.

import XCTest
import Data
import FileFormats

final class MixupErasingParityTests: XCTestCase {
    static let path = TestSupport.packageRoot + "/Tests/Fixtures/augment_ops.h5"

    func testMixupCutmixMatchTimm() throws {
        let file = try HDF5File.open(Self.path)
        defer { file.close() }
        let cases = try file.children(of: "mixup")
        XCTAssertEqual(cases.count, 6)
        for name in cases {
            let g = "mixup/" + name
            let (shape, x) = try file.readFloats(g + "/x")
            let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let labels = try file.readInt64(g + "/labels").values.map { Int($0) }
            let lamRaw = try file.readDoubles(g + "/lam_raw").values
            let useCutmix = try file.readInt64(g + "/use_cutmix").values.map { $0 != 0 }
            let randint = try file.readInt64(g + "/randint").values.map { Int($0) }
            let boxes = try file.readInt64(g + "/boxes").values.map { Int($0) }
            let mode = try XCTUnwrap(MixupOptions.Mode(rawValue: name.components(separatedBy: "_")[0]))
            let minmax = name.contains("minmax")
            let correct = try file.hasAttribute("correct_lam", on: g) ? file.intAttribute("correct_lam", on: g) != 0 : true
            // Replay timm's draws in its order: one per batch, pair or element; each CutMix draw
            // with λ ≠ 1 consumed two randint values (centre) or four (minmax: sides, corner).
            var cursor = 0, boxIndex = 0
            var unique: [MixDraw] = []
            for (lam, cut) in zip(lamRaw, useCutmix) {
                guard lam != 1 else { unique.append(MixDraw(lam: 1, useCutmix: false)); continue }
                guard cut else { unique.append(MixDraw(lam: lam, useCutmix: false)); continue }
                let box: (yl: Int, yh: Int, xl: Int, xh: Int)
                if minmax {
                    let (ch, cw, yl, xl) = (randint[cursor], randint[cursor + 1], randint[cursor + 2], randint[cursor + 3])
                    box = (yl, yl + ch, xl, xl + cw)
                    cursor += 4
                } else {
                    box = Mixup.centeredBox(height: h, width: w, lam: lam, cy: randint[cursor], cx: randint[cursor + 1])
                    cursor += 2
                }
                XCTAssertEqual([box.yl, box.yh, box.xl, box.xh], Array(boxes[(4 * boxIndex)..<(4 * boxIndex + 4)]), "\(name) box \(boxIndex)")
                boxIndex += 1
                let corrected = correct || minmax ? Mixup.correctedLam(height: h, width: w, box: box) : lam
                unique.append(MixDraw(lam: corrected, useCutmix: true, box: box))
            }
            XCTAssertEqual(boxIndex * 4, boxes.count, name)
            let draws: [MixDraw]
            switch mode {
            case .batch: draws = [MixDraw](repeating: unique[0], count: b)
            case .elem: draws = unique
            case .pair: draws = unique + unique.reversed()
            }
            var mixed = x
            Mixup.mix(&mixed, count: b, channels: c, height: h, width: w, draws: draws)
            let expected = try file.readFloats(g + "/x_out").values
            XCTAssertNotEqual(expected, x, "\(name): the fixture should mix")
            XCTAssertLessThanOrEqual(zip(mixed, expected).map { abs($0 - $1) }.max()!, 1e-6, "\(name) images")
            let targets = Mixup.targets(labels: labels, lams: draws.map(\.lam), numClasses: 5, smoothing: 0.1)
            let expectedTargets = try file.readFloats(g + "/target").values
            XCTAssertLessThanOrEqual(zip(targets, expectedTargets).map { abs($0 - $1) }.max()!, 1e-6, "\(name) targets")
        }
    }

    func testRandomErasingMatchesTimm() throws {
        let file = try HDF5File.open(Self.path)
        defer { file.close() }
        for name in try file.children(of: "erasing") {
            let g = "erasing/" + name
            let (shape, x) = try file.readFloats(g + "/x")
            let (c, h, w) = (shape[0], shape[1], shape[2])
            let uniform = try file.readDoubles(g + "/uniform").values
            var randint = try file.readInt64(g + "/randint").values.map { Int($0) }[...]
            let maxCount = file.hasAttribute("max_count", on: g) ? try file.intAttribute("max_count", on: g) : 1
            let count = maxCount > 1 ? randint.popFirst()! : 1
            let area = Double(h * w)
            var image = x
            // Each attempt drew an area fraction and a log-aspect; a fitting box then drew top, left.
            for pair in stride(from: 0, to: uniform.count, by: 2) {
                let (size) = RandomErasing.boxSize(targetArea: uniform[pair] * area / Double(count), aspect: exp(uniform[pair + 1]))
                guard size.width < w, size.height < h else { continue }
                let box = ErasedBox(top: randint.popFirst()!, left: randint.popFirst()!, height: size.height, width: size.width)
                var rng = RandomGenerator(seed: 0)
                RandomErasing.fill(box, in: &image, channels: c, height: h, width: w, mode: .const, rng: &rng)
            }
            XCTAssertTrue(randint.isEmpty, "\(name): every drawn corner was used")
            XCTAssertEqual(image, try file.readFloats(g + "/x_out").values, name)
            XCTAssertNotEqual(image, x, name)
        }
    }

    func testLoaderAugmentationIsDeterministicAndVaries() throws {
        let dataset = StubPatternDataset(count: 8)
        var options = AugmentationOptions(randomCrop: true, horizontalFlip: true,
                                          autoAugment: try AutoAugmentPolicy(config: "rand-m9-mstd0.5-inc1"),
                                          erasing: RandomErasingOptions(probability: 0.5, mode: .pixel, maxCount: 2))
        options.mixup = MixupOptions(mixupAlpha: 0.8, cutmixAlpha: 1.0, numClasses: 3)
        options.mixup!.mode = .elem
        let make = { try DataLoader(dataset: dataset, batchSize: 4, shuffle: true, seed: 7, augmentation: options) }
        let a = try make().makeBatch(indices: [0, 1, 2, 3], epoch: 1, batchNumber: 0)
        let b = try make().makeBatch(indices: [0, 1, 2, 3], epoch: 1, batchNumber: 0)
        XCTAssertEqual(a.images.data, b.images.data)
        XCTAssertEqual(a.softTargets, b.softTargets)
        let other = try make().makeBatch(indices: [0, 1, 2, 3], epoch: 2, batchNumber: 0)
        XCTAssertNotEqual(a.images.data, other.images.data)
        // Soft targets: rows sum to 1 and have K = 3 columns.
        let t = try XCTUnwrap(a.softTargets)
        XCTAssertEqual(t.count, 12)
        for row in 0..<4 { XCTAssertEqual(t[(row * 3)..<(row * 3 + 3)].reduce(0, +), 1, accuracy: 1e-5) }
    }

    func testResumingInsideAnEpochGivesTheSameMixedBatches() throws {
        var options = AugmentationOptions(autoAugment: .trivial, erasing: RandomErasingOptions(probability: 0.5))
        options.mixup = MixupOptions(mixupAlpha: 0.4, cutmixAlpha: 1.0, numClasses: 3)
        let loader = try DataLoader(dataset: StubPatternDataset(count: 10), batchSize: 4, shuffle: true, seed: 9,
                                    augmentation: options)
        var all: [Batch] = []
        let iterator = loader.batches(epoch: 3)
        while let batch = try iterator.next() { all.append(batch) }
        XCTAssertEqual(all.count, 3)
        XCTAssertEqual(all.last?.labels.count, 2, "the short last batch is mixed too")
        let resumed = loader.batches(epoch: 3, startBatch: 1)
        for expected in all.dropFirst() {
            let batch = try XCTUnwrap(try resumed.next())
            XCTAssertEqual(batch.images.data, expected.images.data)
            XCTAssertEqual(batch.softTargets, expected.softTargets)
        }
        XCTAssertNotEqual(all[0].softTargets, all[1].softTargets)
    }

    func testRandAugmentStrings() throws {
        let policy = try RandAugment(config: "rand-m9-n3-mstd0.5-inc1")
        XCTAssertEqual(policy.numLayers, 3)
        XCTAssertEqual(policy.magnitudeStd, 0.5)
        XCTAssertEqual(policy.ops.map(\.name), RandAugment.increasingOps)
        XCTAssertEqual(policy.ops.first?.magnitude, 9)
        XCTAssertEqual(try RandAugment(config: "rand-m7-mstd101").magnitudeStd, .infinity)
        XCTAssertEqual(try RandAugment(config: "rand-m12-mmax15-p0.7").magnitudeMax, 15)
        let weighted = try RandAugment(config: "rand-mstd1-tweights")
        XCTAssertEqual(weighted.ops.count, 15)
        XCTAssertEqual(weighted.weights?.reduce(0, +) ?? 0, 1, accuracy: 1e-12)
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<50 { let picks = weighted.choose(rng: &rng); XCTAssertEqual(Set(picks).count, 2) }
        for bad in ["rand-m9x", "rand-q3", "augmix-m5", "rand-m9-tfoo", "rand-p1.5"] {
            let error = TestSupport.expectDatasetError { _ = try AutoAugmentPolicy(config: bad) }
            XCTAssertTrue(error?.description.contains("data.auto_augment") ?? false, "\(bad): \(String(describing: error))")
        }
    }
}

/// RGB images with a different gradient per index, so augmentations visibly change them.
final class StubPatternDataset: ImageDataset {
    let count: Int
    var channels: Int { 3 }
    var height: Int { 12 }
    var width: Int { 12 }
    var classNames: [String] { ["a", "b", "c"] }
    var defaultNormalization: (mean: [Float], std: [Float]) { ([0.5], [0.25]) }
    init(count: Int) { self.count = count }
    func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        let values = (0..<(3 * 144)).map { Float(($0 * (index + 3)) % 256) / 255 }
        return (values, index % 3)
    }
}
