// `vittrain explain`'s numerics against torch / timm / PIL (Scripts/fixtures/explain.py →
// Tests/Fixtures/explain): chefer2021 relevance for two classes (1e-5), deletion / insertion
// curves and AUC (1e-4), JPEG decoding and timm's eval transform on real photos.

import XCTest
import FileFormats
import Interpret

final class ExplainFixtureTests: XCTestCase {
    var folder: String { Fixtures.directory + "/explain" }

    func open() throws -> (HDF5File, VisionTransformer) {
        let file = try HDF5File.open(folder + "/explain.h5")
        let config = ViTConfig(imageSize: try file.intAttribute("img_size"), patchSize: try file.intAttribute("patch_size"),
                               numClasses: try file.intAttribute("num_classes"), embedDim: try file.intAttribute("embed_dim"),
                               depth: try file.intAttribute("depth"), numHeads: try file.intAttribute("num_heads"))
        let model = try VisionTransformer.make(config: config, seed: 1)
        try model.loadSafetensors(folder + "/model.safetensors")
        return (file, model)
    }

    func testChefer2021MatchesTorchForTwoClasses() throws {
        let (file, model) = try open()
        defer { file.close() }
        let inputs = try Fixtures.tensor(file, "inputs")
        assertClose(Tensor.withoutGrad { model(inputs) }, try Fixtures.tensor(file, "logits"), tolerance: 1e-4, "explain logits")
        let classes = try file.readInt64("relevance_classes").values.map { Int($0) }
        let expected = try Fixtures.tensor(file, "relevance")            // [2, B, N]
        let (b, n) = (expected.shape[1], expected.shape[2])
        var maps: [Tensor] = []
        for (k, c) in classes.enumerated() {
            let ours = try ClassRelevance.chefer2021(model: model, images: inputs, classes: [Int](repeating: c, count: b))
            let reference = Tensor(shape: [b, n], data: Array(expected.data[(k * b * n)..<((k + 1) * b * n)]))
            assertClose(ours, reference, tolerance: 1e-5, "chefer2021 class \(c)")
            maps.append(ours)
        }
        let difference = zip(maps[0].data, maps[1].data).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(difference, 1e-2, "the maps of two classes must differ")
        // Explaining leaves no gradient on the parameters and the mode unchanged.
        XCTAssertTrue(model.namedParameters().allSatisfy { $0.tensor.grad == nil })
        XCTAssertFalse(model.isTraining)
    }

    func testDeletionAndInsertionMatchTorch() throws {
        let (file, model) = try open()
        defer { file.close() }
        let inputs = try Fixtures.tensor(file, "inputs")
        let step = try file.intAttribute("step")
        let per = inputs.shape.dropFirst().reduce(1, *)
        for i in 0..<inputs.shape[0] {
            let group = "faithfulness/\(i)"
            let image = Tensor(shape: [1] + Array(inputs.shape.dropFirst()), data: Array(inputs.data[(i * per)..<((i + 1) * per)]))
            let saliency = try file.readFloats(group + "/saliency").values
            let curves = try Faithfulness.curves(model: model, image: image, order: Faithfulness.order(saliency),
                                                 target: try file.intAttribute("target", on: group), step: step, batchSize: 5)
            assertClose(Tensor(shape: [curves.deletion.count], data: curves.deletion), try Fixtures.tensor(file, group + "/deletion"),
                        tolerance: 1e-4, "deletion curve \(i)")
            assertClose(Tensor(shape: [curves.insertion.count], data: curves.insertion), try Fixtures.tensor(file, group + "/insertion"),
                        tolerance: 1e-4, "insertion curve \(i)")
            XCTAssertEqual(curves.deletionAUC, try file.doubleAttribute("deletion_auc", on: group), accuracy: 1e-4)
            XCTAssertEqual(curves.insertionAUC, try file.doubleAttribute("insertion_auc", on: group), accuracy: 1e-4)
        }
    }

    func testPhotosDecodeAndPreprocessAsTimm() throws {
        let (file, _) = try open()
        defer { file.close() }
        let names = try JSONDecoder().decode([String].self, from: Data(try file.stringAttribute("photos").utf8))
        let config = try PretrainedDataConfig.parse(try file.stringAttribute("pretrained_cfg"), source: "explain.h5")
        let transform = try ImageTransform(config: config, fallbackChannels: 3, fallbackSize: 1, fallbackMean: [0, 0, 0], fallbackStd: [1, 1, 1])
        XCTAssertEqual(transform.interpolation, .bicubic)
        XCTAssertEqual(transform.cropPct, 0.875)
        let inputs = try Fixtures.tensor(file, "inputs")
        let photos = try ExplainInputs(paths: names.map { folder + "/" + $0 }, transform: transform)
        for (i, name) in names.enumerated() {
            let decoded = try file.readUInt8("decoded/\(i)")
            let image = try ImageFile.read(folder + "/" + name)
            XCTAssertEqual([image.height, image.width, 3], decoded.shape, name)
            let worst = zip(image.pixels, decoded.values).map { abs(Int($0) - Int($1)) }.max()!
            print("parity decode \(name): max |difference| \(worst) grey levels")
            XCTAssertLessThanOrEqual(worst, 1, "\(name): decoded pixels differ from PIL's")
        }
        // PIL's resize is reproduced in fixed point, so only float rounding of (x/255 − mean)/std remains.
        assertClose(photos.inputs, inputs, tolerance: 1e-5, "timm eval transform")
        XCTAssertEqual(photos.pictures.map(\.image.width), [32, 32])
    }
}
