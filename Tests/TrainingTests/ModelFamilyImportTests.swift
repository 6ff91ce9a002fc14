// Every ViT family imported from timm's hub format (Scripts/fixtures/model_families.py: tiny
// models, noise on every weight) and from Hugging Face ViT / DeiT folders, with no flag: the
// config.json gives the architecture. Logits and pre-logits features must match timm /
// transformers within 1e-4 relative, and one training step's gradients for the plain,
// DINOv2-with-registers and GAP families.

import FileFormats
import Foundation
import Models
import Training
import XCTest

final class ModelFamilyImportTests: XCTestCase {
    static let timmFamilies = ["plain", "deit_distilled", "dinov2", "dinov2_reg4", "dinov2_headless", "deit3",
                               "clip", "clip_quickgelu", "gap", "siglip_map"]
    static let huggingFaceFamilies = ["hf_deit", "hf_deit_teacher", "hf_vitmodel"]

    static func folder(_ name: String) -> String { FixturePaths.fixture("families/\(name)") }

    /// max |a − b| / max |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(b.map { Double(abs($0)) }.max() ?? 0, 1e-12)
        return zip(a, b).map { Double(abs($0 - $1)) }.max()! / scale
    }

    func imported(_ name: String) throws -> (VisionTransformer, HDF5File) {
        let weights = try WeightImport.load(Self.folder(name))
        let model = try VisionTransformer.make(config: weights.config, seed: 0)
        try model.load(weights.parameters, strict: true, resamplePositionEmbedding: false)
        return (model, try HDF5File.open(Self.folder(name) + "/expected.h5"))
    }

    func testEveryFamilyMatchesItsReferenceLogitsAndFeatures() throws {
        for name in Self.timmFamilies + Self.huggingFaceFamilies {
            let (model, file) = try imported(name)
            defer { file.close() }
            let (shape, pixels) = try file.readFloats("images")
            let out = Tensor.withoutGrad { model.forward(Tensor(shape: shape, data: pixels)) }
            let logits = try file.readFloats("logits"), features = try file.readFloats("features")
            XCTAssertEqual(out.logits.shape, logits.shape, name)
            XCTAssertEqual(out.features.shape, features.shape, name)
            let logitError = Self.relativeError(out.logits.data, logits.values)
            let featureError = Self.relativeError(out.features.data, features.values)
            print("family \(name): logits rel. error \(logitError), features \(featureError)")
            XCTAssertLessThan(logitError, 1e-4, name)
            XCTAssertLessThan(featureError, 1e-4, name)
        }
    }

    func testTrainingStepGradientsMatchTimm() throws {
        for name in ["plain", "dinov2_reg4", "gap"] {
            let (model, file) = try imported(name)
            defer { file.close() }
            let (shape, pixels) = try file.readFloats("images")
            let labels = try file.readInt64("labels").values.map(Int.init)
            model.setTraining(true)
            Tensor.crossEntropy(logits: model.forward(Tensor(shape: shape, data: pixels)).logits, targets: labels).backward()
            var worst = (0.0, "")
            for (path, tensor) in model.namedParameters() {
                let expected = try file.readFloats("grad/\(path)").values
                guard let grad = tensor.grad else { XCTFail("\(name): \(path) got no gradient"); continue }
                let error = Self.relativeError(grad, expected)
                if error > worst.0 { worst = (error, path) }
            }
            print("family \(name): worst relative gradient error \(worst.0) at \(worst.1)")
            XCTAssertLessThan(worst.0, 1e-4, "\(name) \(worst.1)")
        }
    }

    func testConfigsGiveTheFamilyWithoutFlags() throws {
        let reg = try WeightImport.load(Self.folder("dinov2_reg4")).config
        XCTAssertEqual(reg.numHeads, 4)                       // a width / 64 guess would say 0; presets 1
        XCTAssertEqual(reg.registerTokens, 4)
        XCTAssertTrue(reg.noEmbedClass)
        XCTAssertEqual(reg.tokenLayout.registerRange, 1..<5)
        let clip = try WeightImport.load(Self.folder("clip_quickgelu")).config
        XCTAssertEqual(clip.activation, .quickGELU)
        XCTAssertEqual(clip.layerNormEps, 1e-5)
        XCTAssertTrue(clip.preNorm)
        XCTAssertFalse(clip.hasPatchBias)
        let gap = try WeightImport.load(Self.folder("gap")).config
        XCTAssertFalse(gap.classToken)
        XCTAssertEqual(gap.globalPool, .avg)
        XCTAssertNil(gap.tokenLayout.classIndex)
        let deit = try WeightImport.load(Self.folder("hf_deit_teacher"))
        XCTAssertTrue(deit.config.distilled)
        XCTAssertEqual(deit.classNames, ["cat", "dog", "owl", "fox", "emu"])
        let pooled = try WeightImport.load(Self.folder("hf_vitmodel"))
        XCTAssertEqual(pooled.config.numClasses, 0)
        XCTAssertTrue(pooled.notes.contains { $0.contains("pooler") })
        let timmHub = try WeightImport.load(Self.folder("dinov2"))
        XCTAssertTrue(timmHub.pretrainedConfig?.contains("\"interpolation\":\"bicubic\"") ?? false)
    }

    /// Without a config the head count is not guessed: the message names --heads.
    func testALoneFileWithoutConfigIsRefusedNamingHeads() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("families-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lone = directory.appendingPathComponent("weights.safetensors").path
        try FileManager.default.copyItem(atPath: Self.folder("plain") + "/model.safetensors", toPath: lone)
        XCTAssertThrowsError(try WeightImport.load(lone)) { error in
            XCTAssertTrue("\(error)".contains("--heads"), "\(error)")
        }
        let config = try WeightImport.load(lone, overrides: ImportOverrides(heads: 4)).config
        XCTAssertEqual(config.numHeads, 4)
    }
}
