import FileFormats
import Foundation
import XCTest

/// `vittrain eval` and `vittrain report` on a real run: metrics, predictions in both formats,
/// attention dumps of probe images and outside PNGs, embeddings, the attention record and report.
final class EvalCommandTests: XCTestCase {
    func testEvalDumpEmbeddingsAndReport() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.write(TrainCommandTests.tinyConfig, to: "tiny.json")
        let train = try cli.run(["--config", "tiny.json", "--set", "checkpoint.dir=run", "--set", "eval.probe_images=4"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("rollout puts"), train.stderr)

        // The record holds both epochs; the report page is built from it.
        let record = try HDF5File.open(cli.path("run/attention_record.h5"))
        XCTAssertEqual(try record.children(of: "epochs"), ["0001", "0002"])
        XCTAssertEqual(try record.shape(of: "epochs/0002/cls"), [1, 4, 2, 16])   // [L, B, H, N]
        record.close()
        let report = try cli.run(["report", cli.path("run")])
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("run/attention_report/index.html")))

        let eval = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--predictions", cli.path("p.h5"),
                                "--dump-attention", cli.path("dump"), "--probe-images", "3", "--embeddings", cli.path("emb")])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("accuracy"), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("(32 images)"), eval.stdout)
        XCTAssertTrue(eval.stdout.contains("confusion"), eval.stdout)
        let predictions = try HDF5File.open(cli.path("p.h5"))
        XCTAssertEqual(try predictions.shape(of: "logits"), [32, 6])
        XCTAssertEqual(try predictions.readInt64("labels").values.count, 32)
        predictions.close()
        let grid = try PNG.read(cli.path("dump/000_val0/grid.png"))
        XCTAssertGreaterThan(grid.width, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("dump/index.html")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("dump/002_val2/rollout.png")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("dump/003_val3")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("emb/embeddings.h5")))

        // Outside PNGs, resized to the model, and JSON-lines predictions.
        try PNG.write(RGBImage(width: 20, height: 24, pixels: (0..<(20 * 24 * 3)).map { UInt8($0 % 251) }), to: cli.path("a.png"))
        let outside = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--images", cli.path("a.png"),
                                   "--dump-attention", cli.path("dump2"), "--predictions", cli.path("p.jsonl")])
        XCTAssertEqual(outside.status, 0, outside.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("dump2/000_a/rollout.png")))
        let lines = try String(contentsOfFile: cli.path("p.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 32)
        XCTAssertTrue(lines[0].hasPrefix(#"{"index":0,"label":"#), String(lines[0]))

        let bad = try cli.run(["eval", "--checkpoint", cli.path("run/last.h5"), "--images", cli.path("tiny.json"),
                               "--dump-attention", cli.path("dump3")])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("tiny.json"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }
}
