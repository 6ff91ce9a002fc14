// Learning curves from a metrics log: epoch lines parsed (step lines and repeated epochs after a
// resume handled), four SVG charts with one polyline per series, points placed by epoch and by wall
// time, and a one-line error naming a bad line.

import XCTest
import Foundation
@testable import Interpret

final class LearningCurvesTests: XCTestCase {
    let log = """
    {"kind": "step", "epoch": 0, "step": 5, "loss": 2.3}
    {"kind": "epoch", "epoch": 1, "train_loss": 2.0, "train_accuracy": 0.3, "val_loss": 1.8, "val_accuracy": 0.4, "wall_time_s": 60}
    {"kind": "epoch", "epoch": 2, "train_loss": 1.5, "train_accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.6, "ema_val_accuracy": 0.55, "ema_val_loss": 1.3, "wall_time_s": 130}
    {"kind": "epoch", "epoch": 2, "train_loss": 1.4, "train_accuracy": 0.52, "val_loss": 1.1, "val_accuracy": 0.62, "ema_val_accuracy": 0.56, "ema_val_loss": 1.25, "wall_time_s": 125}
    {"kind": "epoch", "epoch": 3, "train_loss": 1.0, "train_accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.75, "ema_val_accuracy": 0.7, "ema_val_loss": 1.0, "wall_time_s": 300}
    """

    func temporary() throws -> String {
        let dir = NSTemporaryDirectory() + "vittrain-curves-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testChartsPlotEachSeriesAgainstEpochAndWallTime() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try log.write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let points = try LearningCurves.read(dir + "/metrics.jsonl")
        XCTAssertEqual(points.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(points[1].values["val_accuracy"], 0.62, "the last line of a repeated epoch wins")
        let html = try LearningCurves.writeCharts(metrics: dir + "/metrics.jsonl", to: dir)
        XCTAssertTrue(html.contains("Epoch 3: val acc 75.00%, EMA val acc 70.00% after 5.0 minutes"), html)
        for name in ["curve_loss_epoch.svg", "curve_loss_time.svg", "curve_accuracy_epoch.svg", "curve_accuracy_time.svg"] {
            let svg = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg"), name)
            XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3, "\(name): train, val, EMA val")
            XCTAssertTrue(html.contains(name))
        }
        // Against wall time, epoch 3 (300 s) sits 2.3× as far right of the origin as epoch 2 (125 s)...
        let time = LearningCurves.svg(points, metric: "accuracy", againstWallTime: true)
        let xs = try xCoordinates(time, series: "val")
        let left = 56.0
        XCTAssertEqual((xs[2] - left) / (xs[1] - left), 300.0 / 125.0, accuracy: 0.02)
        // ...and against epoch, the points are evenly spaced.
        let epochXs = try xCoordinates(LearningCurves.svg(points, metric: "accuracy", againstWallTime: false), series: "val")
        XCTAssertEqual(epochXs[1] - epochXs[0], epochXs[2] - epochXs[1], accuracy: 0.2)
        // The train series has no EMA-style gap: 3 points; EMA has 2 (epoch 1 had none).
        XCTAssertEqual(try xCoordinates(time, series: "EMA val").count, 2)
    }

    func xCoordinates(_ svg: String, series: String) throws -> [Double] {
        let marker = "data-series=\"\(series)\""
        let range = try XCTUnwrap(svg.range(of: marker))
        let after = svg[range.upperBound...]
        let start = try XCTUnwrap(after.range(of: "points=\"")).upperBound
        let end = try XCTUnwrap(after[start...].firstIndex(of: "\""))
        return after[start..<end].split(separator: " ").map { Double($0.split(separator: ",")[0])! }
    }

    func testBadLineIsNamed() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"kind\": \"epoch\", \"epoch\": 1}\nnot json\n".write(toFile: dir + "/m.jsonl", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LearningCurves.read(dir + "/m.jsonl")) { error in
            XCTAssertEqual("\(error)", dir + "/m.jsonl: line 2 is not a JSON object")
        }
    }
}
