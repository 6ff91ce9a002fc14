import Data
import Foundation
import Training
import XCTest

/// The timm-named recipe keys: read, range-checked with the key named, written back into the
/// checkpoint's JSON and read again unchanged, and turned into the loader's augmentation options.
final class RecipeConfigTests: XCTestCase {
    func read(_ json: String) throws -> RunConfig {
        try RunConfig.read(try ConfigReader.parse(Data(json.utf8), file: "test.json"))
    }

    func testKeysRoundTripAndBuildTheOptions() throws {
        let c = try read("""
        {"data": {"auto_augment": "rand-m9-mstd0.5-inc1", "train_interpolation": "bicubic", "reprob": 0.25,
                  "remode": "rand", "recount": 3, "mixup": 0.8, "cutmix": 1.0, "cutmix_minmax": [0.2, 0.8],
                  "mixup_prob": 0.6, "mixup_switch_prob": 0.3, "mixup_mode": "pair"},
         "train": {"label_smoothing": 0.1, "model_ema": true, "model_ema_decay": 0.999, "model_ema_warmup": true}}
        """)
        XCTAssertEqual(try RunConfig.fromJSON(c.jsonString()), c)
        XCTAssertEqual(c.data.cutmixMinmax, [0.2, 0.8])
        XCTAssertEqual(c.train.modelEmaDecay, 0.999)
        let options = try RunSetup.augmentation(c, imageSize: 32, numClasses: 10, mean: [0.5, 0.25, 0])
        XCTAssertEqual(options.hyperparameters?.fill, [128, 64, 0])
        XCTAssertEqual(options.hyperparameters?.translateConst, 14)
        XCTAssertEqual(options.hyperparameters?.interpolation, "bicubic")
        XCTAssertEqual(options.erasing, RandomErasingOptions(probability: 0.25, mode: .rand, maxCount: 3))
        let mixup = try XCTUnwrap(options.mixup)
        XCTAssertEqual(mixup.cutmixAlpha, 1.0)
        XCTAssertEqual(mixup.prob, 0.6)
        XCTAssertEqual(mixup.switchProb, 0.3)
        XCTAssertEqual(mixup.mode, .pair)
        XCTAssertEqual(mixup.labelSmoothing, 0.1)
        XCTAssertEqual(mixup.numClasses, 10)
        let plain = try RunSetup.augmentation(RunConfig(), imageSize: 32, numClasses: 10, mean: nil)
        XCTAssertNil(plain.autoAugment)
        XCTAssertNil(plain.mixup)
        XCTAssertNil(plain.erasing)
    }

    func testBadValuesNameTheirKeys() {
        for (json, key) in [(#"{"data": {"auto_augment": "rand-m9-q3"}}"#, "data.auto_augment"),
                            (#"{"data": {"reprob": 1.5}}"#, "data.reprob"),
                            (#"{"data": {"remode": "noise"}}"#, "data.remode"),
                            (#"{"data": {"mixup_mode": "row"}}"#, "data.mixup_mode"),
                            (#"{"data": {"cutmix_minmax": [0.9, 0.2]}}"#, "data.cutmix_minmax"),
                            (#"{"train": {"model_ema_decay": 1.0}}"#, "train.model_ema_decay")] {
            XCTAssertThrowsError(try read(json), json) { error in
                XCTAssertTrue("\(error)".contains(key), "\(json): \(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}
