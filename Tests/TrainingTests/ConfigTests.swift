import Foundation
import Training
import XCTest

final class ConfigTests: XCTestCase {
    private func read(_ json: String, overrides: [String] = []) throws -> RunConfig {
        var object = try ConfigReader.parse(Data(json.utf8), file: "test.json")
        try RunConfig.applyOverrides(overrides, to: &object)
        return try RunConfig.read(object)
    }

    private func problems(_ json: String) -> [String] {
        do {
            _ = try read(json)
            return []
        } catch let error as ConfigErrors {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testDefaultsAndValues() throws {
        let c = try read(#"{"name": "x", "optim": {"lr": 0.002, "groups": [{"pattern": "head.*", "lr_scale": 10}]}, "train": {"epochs": 3}}"#)
        XCTAssertEqual(c.name, "x")
        XCTAssertEqual(c.optim.lr, 0.002)
        XCTAssertEqual(c.optim.groups, [ParameterGroupSection(pattern: "head.*", lrScale: 10)])
        XCTAssertEqual(c.train.epochs, 3)
        XCTAssertEqual(c.train.batchSize, 128)
        XCTAssertEqual(c.optim.weightDecay, 0.05)
    }

    func testEvalBatchSizeDefaultsToTheTrainingBatch() throws {
        XCTAssertNil(try read("{}").eval.batchSize, "nil: the training batch size")
        XCTAssertEqual(try read(#"{"eval": {"batch_size": 512}}"#).eval.batchSize, 512)
        XCTAssertEqual(problems(#"{"eval": {"batch_size": 0}}"#),
                       ["config key 'eval.batch_size': expected a positive integer, got 0"])
        XCTAssertEqual(problems(#"{"eval": {"batch_size": "big"}}"#),
                       [#"config key 'eval.batch_size': expected an integer, got the string "big""#])
    }

    func testUnknownKeysAreNamedWithTheirPath() {
        XCTAssertEqual(problems(#"{"optim": {"learning_rate": 0.1}}"#),
                       ["config key 'optim.learning_rate': unknown key (see Configs/README.md for the keys of each section)"])
        XCTAssertEqual(problems(#"{"modle": {}}"#).first?.hasPrefix("config key 'modle': unknown key"), true)
        XCTAssertEqual(problems(#"{"optim": {"groups": [{"pattern": "a", "lr": 1}]}}"#).first?.hasPrefix("config key 'optim.groups[0].lr'"), true)
    }

    func testWrongTypesAndRangesAreAllReported() {
        let found = problems(#"{"optim": {"lr": "fast"}, "train": {"batch_size": 0, "epochs": 2.5}, "data": {"dataset": "imagenet"}}"#)
        XCTAssertEqual(found.count, 4, "\(found)")
        XCTAssertTrue(found.contains("config key 'optim.lr': expected a number, got the string \"fast\""))
        XCTAssertTrue(found.contains("config key 'train.batch_size': expected a positive integer, got 0"))
        XCTAssertTrue(found.contains("config key 'train.epochs': expected an integer, got the number 2.5"))
        XCTAssertTrue(found.contains { $0.hasPrefix("config key 'data.dataset': expected one of synthetic, cifar10") })
        XCTAssertEqual(problems(#"{"train": {"seed": true}}"#), ["config key 'train.seed': expected an integer, got the boolean true"])
    }

    func testMatmulPrecisionIsHighestUnlessMediumIsAsked() throws {
        XCTAssertEqual(try read("{}").train.matmulPrecision, "highest")
        XCTAssertEqual(try read("{}", overrides: [#"train.matmul_precision="medium""#]).train.matmulPrecision, "medium")
        XCTAssertEqual(problems(#"{"train": {"matmul_precision": "low"}}"#).first?
            .hasPrefix("config key 'train.matmul_precision': expected one of highest, medium"), true)
    }

    func testOverridesParseJSONValuesAndCreateSections() throws {
        let c = try read(#"{"train": {"epochs": 3}}"#,
                         overrides: ["train.epochs=7", "optim.betas=[0.8,0.99]", "name=abc", "data.augmentation.horizontal_flip=true"])
        XCTAssertEqual(c.train.epochs, 7)
        XCTAssertEqual(c.optim.betas, [0.8, 0.99])
        XCTAssertEqual(c.name, "abc")
        XCTAssertTrue(c.data.augmentation.horizontalFlip)
        XCTAssertThrowsError(try read("{}", overrides: ["train.epochs=x"]))
        XCTAssertThrowsError(try read("{}", overrides: ["noequals"]))
    }

    func testJSONRoundTrip() throws {
        var c = RunConfig()
        c.name = "round"
        c.model.embedDim = 64
        c.optim.groups = [ParameterGroupSection(pattern: "*.bias", weightDecay: 0)]
        c.`init`.checkpoint = "x.h5"
        c.train.maxSteps = 5
        XCTAssertEqual(try RunConfig.fromJSON(c.jsonString()), c)
    }

    func testShippedConfigsAreValid() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Configs").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: configs.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(names.count, 3)
        for name in names {
            XCTAssertNoThrow(try RunConfig.load(path: configs.appendingPathComponent(name).path), name)
        }
    }

    func testInvalidJSONNamesTheFile() {
        XCTAssertThrowsError(try ConfigReader.parse(Data("{".utf8), file: "bad.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.json: not valid JSON"), "\(error)")
        }
    }
}
