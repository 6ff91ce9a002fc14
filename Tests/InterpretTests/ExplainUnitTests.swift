// Hand-checked pieces of `vittrain explain`: DINO masks, the relevance rule on a two-token toy,
// AUC and orders, class-name fallbacks, data-config parsing, method lists and image-file errors.

import XCTest
import FileFormats
import Interpret

final class ExplainUnitTests: XCTestCase {
    func testDinoMaskKeepsTheTopMass() throws {
        // One image, one head, four patches with shares 0.5, 0.3, 0.15, 0.05: keeping 0.6 of the
        // mass keeps the two largest (their cumulative share from the top is 0.5, then 0.8 > 0.6 is
        // reached by the second), as DINO's cumsum over the ascending sort > 1 − 0.6.
        let cls = Tensor(shape: [1, 1, 4], data: [0.15, 0.5, 0.05, 0.3])
        XCTAssertEqual(try DinoMask.masks(cls, keepMass: 0.6).data, [0, 1, 0, 1])
        XCTAssertEqual(try DinoMask.masks(cls, keepMass: 1).data, [1, 1, 1, 1])
        XCTAssertThrowsError(try DinoMask.masks(cls, keepMass: 0))
    }

    func testRelevanceRuleByHand() {
        // T = 2 (CLS + one patch), one layer, two heads. Ā = mean_h (g ⊙ a)⁺; R = I + Ā; map = R[0, 1] = Ā[0, 1].
        let a = Tensor(shape: [1, 2, 2, 2], data: [0.6, 0.4, 0.5, 0.5, 0.2, 0.8, 0.9, 0.1])
        let g = Tensor(shape: [1, 2, 2, 2], data: [1, 2, -1, 3, 0.5, -4, 2, 2])
        let map = ClassRelevance.relevance(attentions: [a], gradients: [g],
                                           tokens: ExplainTokens(classToken: 0, patches: 1..<2, tokenCount: 2))
        // head 0: 0.4·2 = 0.8; head 1: 0.8·(−4) < 0 → 0; mean 0.4.
        XCTAssertEqual(map.data[0], 0.4, accuracy: 1e-6)
        // Two layers: e₀·(I + Ā₂)(I + Ā₁); with Ā₂ = Ā₁ = Ā: [1, 0]·(I + Ā)² → R[0,1] = 2·Ā01 + Ā00·Ā01 + Ā01·Ā11.
        let two = ClassRelevance.relevance(attentions: [a, a], gradients: [g, g],
                                           tokens: ExplainTokens(classToken: 0, patches: 1..<2, tokenCount: 2))
        let a00 = (0.6 * 1 + 0.2 * 0.5) / 2.0, a01 = 0.4, a11 = (0.5 * 3 + 0.1 * 2) / 2.0
        XCTAssertEqual(Double(two.data[0]), 2 * a01 + a00 * a01 + a01 * a11, accuracy: 1e-6)
        // Without a class token the map starts from the mean of the patch rows.
        let noClass = ClassRelevance.relevance(attentions: [a], gradients: [g],
                                               tokens: ExplainTokens(classToken: nil, patches: 1..<2, tokenCount: 2))
        XCTAssertEqual(Double(noClass.data[0]), 1 + a11, accuracy: 1e-6)
    }

    func testAUCAndOrders() {
        XCTAssertEqual(Faithfulness.auc([1, 1, 1]), 1, accuracy: 1e-12)
        XCTAssertEqual(Faithfulness.auc([1, 0.5, 0]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(Faithfulness.auc([1, 0, 0, 0, 0]), 0.125, accuracy: 1e-12)
        XCTAssertEqual(Faithfulness.order([0.1, 0.9, 0.1, 0.5]), [1, 3, 0, 2])
        let random = Faithfulness.randomOrder(count: 50, seed: 3)
        XCTAssertEqual(Set(random), Set(0..<50))
        XCTAssertNotEqual(random, Array(0..<50))
        XCTAssertEqual(random, Faithfulness.randomOrder(count: 50, seed: 3))
    }

    func testClassNamesFallBackInOrder() {
        XCTAssertEqual(ClassNames.resolve(count: 2, checkpoint: ["a", "b"], dataset: ["x", "y"]), ["a", "b"])
        XCTAssertEqual(ClassNames.resolve(count: 2, checkpoint: ["only one"], dataset: ["x", "y"]), ["x", "y"])
        XCTAssertEqual(ClassNames.resolve(count: 2, checkpoint: nil, dataset: nil), ["class 0", "class 1"])
        let imageNet = ClassNames.resolve(count: 1000, checkpoint: nil, dataset: nil)
        XCTAssertEqual(imageNet[281], "tabby, tabby cat")
        XCTAssertEqual(imageNet[0], "tench, Tinca tinca")
    }

    func testDataConfigAndMethodParsing() throws {
        let c = try PretrainedDataConfig.parse(#"{"input_size": [3, 224, 224], "interpolation": "bicubic", "crop_pct": 0.9, "url": "x", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}"#, source: "c.h5")
        XCTAssertEqual(c.inputSize, [3, 224, 224])
        XCTAssertEqual(c.cropPct, 0.9)
        XCTAssertThrowsError(try PretrainedDataConfig.parse("[1, 2]", source: "c.h5")) { error in
            XCTAssertTrue("\(error)".contains("c.h5") && "\(error)".contains("pretrained_cfg"), "\(error)")
        }
        var bad = c
        bad.interpolation = "lanczos"
        XCTAssertThrowsError(try ImageTransform(config: bad, fallbackChannels: 3, fallbackSize: 8, fallbackMean: [0, 0, 0], fallbackStd: [1, 1, 1])) {
            XCTAssertTrue("\($0)".contains("lanczos"))
        }
        XCTAssertEqual(try ExplainMethod.parseList("rollout, chefer2021,rollout"), [.rollout, .chefer2021])
        XCTAssertThrowsError(try ExplainMethod.parseList("gradcam2")) { XCTAssertTrue("\($0)".contains("gradcam2")) }
    }

    func testBadImageFilesNameTheFile() throws {
        let directory = try temporaryDirectory("explain-files")
        let text = directory + "/notes.jpg"
        try "not an image".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ImageFile.read(text)) { XCTAssertTrue("\($0)".contains("notes.jpg") && "\($0)".contains("not a PNG or JPEG")) }
        let truncated = directory + "/cut.jpg"
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: Fixtures.directory + "/explain/chelsea.jpg"))
        try jpeg.prefix(40).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try ImageFile.read(truncated)) { XCTAssertTrue("\($0)".contains("cut.jpg") && "\($0)".contains("JPEG"), "\($0)") }
        XCTAssertThrowsError(try ImageFile.read(directory + "/missing.png")) { XCTAssertTrue("\($0)".contains("missing.png")) }
        XCTAssertThrowsError(try ImageFile.expand([directory + "/empty"]))
        // A folder expands to its images only, sorted by name.
        try FileManager.default.copyItem(atPath: Fixtures.directory + "/explain/coffee.png", toPath: directory + "/b.png")
        try FileManager.default.copyItem(atPath: Fixtures.directory + "/explain/chelsea.jpg", toPath: directory + "/a.JPG")
        XCTAssertEqual(try ImageFile.expand([directory]).map { ($0 as NSString).lastPathComponent }, ["a.JPG", "b.png", "cut.jpg", "notes.jpg"])
    }

    func testExifOrientationRotatesThePhoto() throws {
        // Orientation 6 (rotate 90° clockwise) turns a 75×50 photo into 50×75.
        var jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.directory + "/explain/chelsea.jpg")))
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        jpeg.insert(contentsOf: segment, at: 2)
        let plain = try JPEG.decode(Data(jpeg.prefix(2) + jpeg.dropFirst(2 + segment.count)), name: "plain")
        let rotated = try JPEG.decode(Data(jpeg), name: "rotated")
        XCTAssertEqual([rotated.width, rotated.height], [plain.height, plain.width])
        // Output (x, y) comes from source (y, h − 1 − x): the top-left of the rotated image is the bottom-left of the plain one.
        XCTAssertEqual(Array(rotated.pixels[0..<3]), Array(plain.pixels[((plain.height - 1) * plain.width) * 3..<((plain.height - 1) * plain.width) * 3 + 3]))
    }
}

final class LayerAnimationTests: XCTestCase {
    func testAPNGHasOneFramePerLayerAndDecodesAsItsFirstFrame() throws {
        let frames = (0..<3).map { k in RGBImage(width: 5, height: 4, pixels: (0..<60).map { UInt8(($0 * 7 + k * 50) % 256) }) }
        let bytes = [UInt8](try LayerAnimation.encode(frames, delayMilliseconds: 500))
        // Chunk types in order.
        var types: [String] = [], i = 8
        while i + 12 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            types.append(String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self))
            i += 12 + length
        }
        XCTAssertEqual(i, bytes.count)
        XCTAssertEqual(types.first, "IHDR")
        XCTAssertEqual(types[1], "acTL")
        XCTAssertEqual(types.filter { $0 == "fcTL" }.count, 3)
        XCTAssertGreaterThanOrEqual(types.filter { $0 == "fdAT" }.count, 2)
        XCTAssertEqual(types.last, "IEND")
        // Viewers without APNG support see the first frame; libpng checks the CRCs of IHDR, IDAT and IEND.
        XCTAssertEqual(try PNG.decode(Data(bytes), name: "layers.png"), frames[0])
    }
}

final class SharedScaleTests: XCTestCase {
    /// Layer 0 almost uniform (±1 %), layer 1 peaked: on the image's shared scale layer 0 is nearly
    /// flat, while stretched to its own min–max (per-map) it looks as vivid as layer 1.
    func testANearlyUniformLayerLooksFlatOnTheSharedScale() throws {
        let t = 5, grid = 2
        var rng = RandomGenerator(seed: 5)
        var nearUniform = [Float](repeating: 0, count: t * t), peaked = [Float](repeating: 0, count: t * t)
        for i in 0..<t {
            let row = (0..<t).map { _ in 1 + 0.01 * (rng.nextFloat() - 0.5) }
            let sum = row.reduce(0, +)
            for j in 0..<t { nearUniform[i * t + j] = row[j] / sum }
            for j in 0..<t { peaked[i * t + j] = j == 1 ? 0.8 : 0.05 }
        }
        let attentions = [Tensor(shape: [1, 1, t, t], data: nearUniform), Tensor(shape: [1, 1, t, t], data: peaked)]
        let image = ExplainedImage(name: "x", image: RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 128, count: 192)))
        func spread(shared: Bool) throws -> Int {
            let dir = try temporaryDirectory("scale")
            var options = AttentionDumpOptions(displaySize: 8, gridCellSize: 8)
            options.sharedScale = shared
            _ = try AttentionDump.write(images: [image], attentions: attentions, gridHeight: grid, gridWidth: grid, to: dir, options: options)
            let png = try PNG.read(dir + "/000_x/layer00_head00.png")
            // The largest per-channel range over the pixels: 0 for a flat overlay.
            return (0..<3).map { c in
                let channel = stride(from: c, to: png.pixels.count, by: 3).map { Int(png.pixels[$0]) }
                return channel.max()! - channel.min()!
            }.max()!
        }
        let shared = try spread(shared: true), perMap = try spread(shared: false)
        XCTAssertLessThan(shared, 12, "shared scale: the near-uniform layer should be flat")
        XCTAssertGreaterThan(perMap, 60, "per-map: stretched to full contrast")
    }
}

final class ExplainTokenLayoutTests: XCTestCase {
    /// Registers and a missing class token: relevance and faithfulness run on the patches only, and
    /// without a class token the relevance starts from the mean of the patch rows.
    func testRegistersAndAveragePoolingExplainThePatches() throws {
        for (classToken, registers) in [(true, 4), (false, 0)] {
            var config = ViTConfig(imageSize: 16, patchSize: 4, numClasses: 3, embedDim: 12, depth: 2, numHeads: 2,
                                   classToken: classToken, registerTokens: registers, globalPool: classToken ? .token : .avg)
            config.numClasses = 3
            let model = try VisionTransformer.make(config: config, seed: 2)
            let tokens = ExplainTokens(model: model)
            XCTAssertEqual(tokens.classToken, classToken ? 0 : nil)
            XCTAssertEqual(tokens.patches, (tokens.tokenCount - 16)..<tokens.tokenCount)
            XCTAssertEqual(tokens.tokenCount, 16 + (classToken ? 1 : 0) + registers)
            var rng = RandomGenerator(seed: 9)
            let images = Tensor(shape: [2, 3, 16, 16], data: (0..<(2 * 768)).map { _ in rng.nextFloat() * 2 - 1 })
            let maps = try ClassRelevance.chefer2021(model: model, images: images, classes: [0, 2])
            XCTAssertEqual(maps.shape, [2, 16])
            XCTAssertTrue(maps.data.allSatisfy { $0.isFinite && $0 >= 0 })
            let curves = try Faithfulness.curves(model: model, image: Tensor(shape: [1, 3, 16, 16], data: Array(images.data[0..<768])),
                                                 order: Faithfulness.order(Array(maps.data[0..<16])), target: 0, step: 4)
            XCTAssertEqual(curves.deletion.count, 5)
        }
    }
}
