// The per-run attention record (create, append epochs, read back, errors) and the training
// report built from it (PNG count and sizes, page manifest, chromium check when installed).

import XCTest
import Foundation
import FileFormats
import Interpret

final class AttentionRecordTests: XCTestCase {
    func probes() -> [RGBImage] {
        (0..<2).map { (i: Int) -> RGBImage in
            let pixels: [UInt8] = (0..<3072).map { (p: Int) -> UInt8 in UInt8((p * (3 + i)) % 256) }
            return RGBImage(width: 32, height: 32, pixels: pixels)
        }
    }

    func fixtureAttentions() throws -> [Tensor] {
        let file = try HDF5File.open(Fixtures.directory + "/attention_measures.h5")
        defer { file.close() }
        return try (0..<2).map { try Fixtures.tensor(file, "attention/\($0)") }
    }

    func makeRecord(_ dir: String, epochs: [Int]) throws -> (AttentionRecord, [AttentionSnapshot]) {
        let masks: [[UInt8]] = (0..<2).map { (i: Int) -> [UInt8] in (0..<1024).map { (p: Int) -> UInt8 in p / 32 < 16 + i ? 1 : 0 } }
        let record = try AttentionRecord.create(at: dir + "/" + AttentionRecord.defaultFileName, probes: probes(), labels: [3, 1],
                                                masks: masks, classNames: ["a", "b", "c", "d"], gridHeight: 8, gridWidth: 8, layers: 2, heads: 3)
        let real = try fixtureAttentions()
        let uniform = [Tensor.full([2, 3, 65, 65], 1.0 / 65), Tensor.full([2, 3, 65, 65], 1.0 / 65)]
        var snapshots: [AttentionSnapshot] = []
        for (i, epoch) in epochs.enumerated() {
            let snapshot = try AttentionSnapshot(attentions: i % 2 == 0 ? uniform : real, gridHeight: 8, gridWidth: 8)
            try record.append(epoch: epoch, snapshot: snapshot, fullMaps: i == 0 ? uniform : nil)
            snapshots.append(snapshot)
        }
        return (record, snapshots)
    }

    func testCreateAppendAndReadBack() throws {
        let dir = try temporaryDirectory("record")
        let (_, snapshots) = try makeRecord(dir, epochs: [1, 2, 10])
        let record = try AttentionRecord.open(dir + "/attention_record.h5")
        XCTAssertEqual([record.gridHeight, record.gridWidth, record.layers, record.heads, record.probeCount], [8, 8, 2, 3, 2])
        XCTAssertEqual(record.classNames, ["a", "b", "c", "d"])
        XCTAssertEqual(try record.epochs(), [1, 2, 10])
        let two = try record.read(epoch: 2)
        XCTAssertEqual(two.cls.data, snapshots[1].cls.data)
        XCTAssertEqual(two.rollout.data, snapshots[1].rollout.data)
        XCTAssertEqual(two.entropy.data, snapshots[1].clsEntropy.data)
        XCTAssertEqual(two.distance.data, snapshots[1].distance.data)
        XCTAssertEqual(two.rowEntropy?.data, snapshots[1].rowEntropy.data)
        XCTAssertEqual(try record.fullMaps(epoch: 1).map(\.shape), [[2, 3, 65, 65], [2, 3, 65, 65]])
        XCTAssertEqual(try record.fullMaps(epoch: 2).count, 0)
        XCTAssertEqual(try record.probeImages(), probes())
        XCTAssertEqual(try record.probeLabels(), [3, 1])
        XCTAssertEqual(try record.probeMasks()?[1].filter { $0 != 0 }.count, 17 * 32)
        // h5py-style layout: epochs/0002/cls.
        let file = try HDF5File.open(record.path)
        defer { file.close() }
        XCTAssertEqual(try file.shape(of: "epochs/0002/cls"), [2, 2, 3, 64])
        XCTAssertEqual(try file.intAttribute("epoch", on: "epochs/0010"), 10)
    }

    func testReappendingAnEpochReplacesItAndBadShapesAreErrors() throws {
        let dir = try temporaryDirectory("record-replace")
        let (record, snapshots) = try makeRecord(dir, epochs: [1, 2])
        try record.append(epoch: 1, snapshot: snapshots[1])
        XCTAssertEqual(try record.read(epoch: 1).cls.data, snapshots[1].cls.data)
        XCTAssertEqual(try record.fullMaps(epoch: 1).count, 0, "a replaced epoch keeps nothing of the old one")
        XCTAssertThrowsError(try record.append(epoch: 3, clsAttention: Tensor.zeros([2, 2, 3, 63]), rollout: snapshots[0].rollout,
                                               entropy: snapshots[0].clsEntropy, distance: snapshots[0].distance)) { error in
            XCTAssertTrue("\(error)".contains("[2, 2, 3, 64]"), "\(error)")
        }
        XCTAssertEqual(try record.epochs(), [1, 2], "a rejected append leaves the record as it was")
        XCTAssertThrowsError(try record.read(epoch: 7))
    }

    func testOpeningSomethingElseIsAOneLineError() throws {
        let dir = try temporaryDirectory("record-bad")
        XCTAssertThrowsError(try AttentionRecord.open(dir + "/missing.h5")) { XCTAssertTrue("\($0)".contains("missing.h5")) }
        let other = try HDF5File.create(dir + "/other.h5")
        try other.write([Float(1)], shape: [1], to: "x")
        other.close()
        XCTAssertThrowsError(try AttentionRecord.open(dir + "/other.h5")) { error in
            XCTAssertTrue("\(error)".contains("not an attention record"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: dir + "/junk.h5"))
        XCTAssertThrowsError(try AttentionRecord.open(dir + "/junk.h5"))
    }

    func testTrainingReport() throws {
        let dir = try temporaryDirectory("report")
        _ = try makeRecord(dir, epochs: [1, 2, 3])
        let summary = try TrainingReport.write(runDirectory: dir)
        XCTAssertEqual(summary.epochs, [1, 2, 3])
        // 2 probe PNGs + per probe and epoch: 2 layers × (3 heads + mean) + rollout.
        XCTAssertEqual(summary.pngCount, 2 + 2 * 3 * (2 * 4 + 1))
        let report = dir + "/attention_report"
        let probe = try PNG.read(report + "/probe01.png")
        XCTAssertEqual([probe.width, probe.height], [160, 160])
        let map = try PNG.read(report + "/maps/p01/e0002/l01_h02.png")
        XCTAssertEqual([map.width, map.height], [8, 8])
        // Epoch 1 is uniform attention: a constant map, drawn in one colour (on the probe's scale over
        // all epochs, so it is not stretched into false contrast).
        let flat = try PNG.read(report + "/maps/p00/e0001/l00_mean.png")
        XCTAssertEqual(Set(stride(from: 0, to: flat.pixels.count, by: 3).map { flat.pixels[$0 + 2] }).count, 1)
        XCTAssertNotEqual(Set(map.pixels).count, 1, "a real map has contrast")
        let html = try String(contentsOfFile: summary.indexPath, encoding: .utf8)
        XCTAssertTrue(html.contains("\"epochs\":[1,2,3]"), "epochs in the manifest")
        XCTAssertTrue(html.contains("\"label\":\"d\""), "class names label the probes")

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") {
            let (status, output) = try Fixtures.checkPage(summary.indexPath, screenshot: report + "/screenshot.png")
            XCTAssertEqual(status, 0, output)
            XCTAssertTrue(output.contains("src=maps/p00/e0003/l00_mean.png"), output)
        }
    }

    func testReportSamplesManyEpochsAndNeedsOne() throws {
        let dir = try temporaryDirectory("report-sample")
        _ = try makeRecord(dir, epochs: [0, 1, 2, 3, 4, 5, 6])
        let summary = try TrainingReport.write(runDirectory: dir, options: TrainingReportOptions(maxEpochs: 3))
        XCTAssertEqual(summary.epochs, [0, 3, 6])
        let empty = try temporaryDirectory("report-empty")
        _ = try makeRecord(empty, epochs: [])
        XCTAssertThrowsError(try TrainingReport.write(runDirectory: empty)) { XCTAssertTrue("\($0)".contains("no epochs")) }
    }
}
