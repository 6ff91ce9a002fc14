import FileFormats
import Foundation
import XCTest

/// `eval` on a model with more than 20 classes writes the confusion matrix to a CSV file and
/// prints the top confusions instead of a 24×24 table.
final class LargeConfusionTests: XCTestCase {
    func testConfusionOfTwentyFourClassesGoesToAFile() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        let file = try HDF5File.create(cli.path("many.h5"))
        let n = 48
        try file.write((0..<(n * 3 * 8 * 8)).map { UInt8(($0 * 37) % 251) }, shape: [n, 3, 8, 8], to: "images")
        try file.write((0..<n).map { Int64($0 % 24) }, shape: [n], to: "labels")
        file.close()
        try cli.write("""
        {"name": "many",
         "model": {"arch": "vit-tiny", "img_size": 8, "patch_size": 4, "embed_dim": 8, "depth": 1, "num_heads": 2, "num_classes": 24},
         "data": {"dataset": "hdf5", "root": "\(cli.path("many.h5"))", "normalize": false},
         "train": {"epochs": 1, "max_steps": 1, "batch_size": 16, "threads": 1},
         "checkpoint": {"dir": "run"}}
        """, to: "many.json")
        let train = try cli.run(["--config", "many.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let eval = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--data", cli.path("many.h5"),
                                "--confusion", cli.path("confusion.csv")])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("top confusions (true → predicted)"), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("confusion matrix (24 classes) → \(cli.path("confusion.csv"))"), eval.stdout)
        XCTAssertLessThan(eval.stdout.split(separator: "\n").count, 20, "no 24-row table on the terminal")
        let rows = try String(contentsOfFile: cli.path("confusion.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 25)
        // Every image is counted once: the 24×24 cells sum to the 48 images.
        let total = rows.dropFirst().flatMap { $0.split(separator: ",").dropFirst().map { Int($0)! } }.reduce(0, +)
        XCTAssertEqual(total, n)
    }
}
