// The attention dump on the fixture's captured maps: every PNG decodes with the expected size,
// tables and arrays hold the measures, the page embeds its manifest; a uniform map's overlay
// PNG is the expected blended colour. The page is checked in chromium when it is installed.

import XCTest
import Foundation
import FileFormats
import Interpret

final class AttentionDumpTests: XCTestCase {
    func fixtureAttentions() throws -> [Tensor] {
        let file = try HDF5File.open(Fixtures.directory + "/attention_measures.h5")
        defer { file.close() }
        return try (0..<2).map { try Fixtures.tensor(file, "attention/\($0)") }
    }

    func images(_ count: Int) -> [ExplainedImage] {
        (0..<count).map { i in
            let pixels = (0..<(32 * 32 * 3)).map { UInt8(($0 * (7 + i) + i * 31) % 256) }
            return ExplainedImage(name: "probe \(i)/cat", image: RGBImage(width: 32, height: 32, pixels: pixels),
                                  label: "cat", prediction: i == 0 ? "cat" : "dog")
        }
    }

    func testDumpWritesDecodablePNGsTablesArraysAndPage() throws {
        let attentions = try fixtureAttentions()
        let dir = try temporaryDirectory("dump")
        let summary = try AttentionDump.write(images: images(2), attentions: attentions, gridHeight: 8, gridWidth: 8, to: dir)
        // Per image: input, 2 layers × (3 heads + mean), layer animation, rollout, grid, compare.
        XCTAssertEqual(summary.pngPaths.count, 2 * (1 + 2 * 4 + 1 + 1 + 1 + 1))
        for path in summary.pngPaths {
            let png = try PNG.read(path)
            if path.hasSuffix("grid.png") {
                // 2 rows (layers) × 6 columns (3 heads, mean, rollout, input) of 96 px cells, 4 px
                // spacing, labels at scale 2, then the colour bar (6 + 10 + 3 + 10 + 6 px).
                let labelWidth = (2 * 4 - 1) * 2 + 4, labelHeight = 10 + 4
                XCTAssertEqual(png.width, 4 + labelWidth + 6 * 100, path)
                XCTAssertEqual(png.height, 4 + labelHeight + 2 * 100 + 35, path)
            } else if path.hasSuffix("compare.png") {
                XCTAssertGreaterThan(png.width, 3 * 96, path)   // input, last-layer mean, rollout
            } else {
                XCTAssertEqual([png.width, png.height], [256, 256], path)
            }
        }
        // Overlays differ between heads (they show different maps).
        let folder = dir + "/000_probe_0_cat"
        XCTAssertNotEqual(try PNG.read(folder + "/layer01_head00.png").pixels, try PNG.read(folder + "/layer01_head01.png").pixels)
        // The input is the 32×32 image scaled ×8 by nearest neighbour.
        let input = try PNG.read(folder + "/input.png")
        XCTAssertEqual(Array(input.pixels[0..<3]), Array(images(1)[0].image.pixels[0..<3]))
        XCTAssertEqual(Array(input.pixels[(7 * 3)..<(7 * 3 + 3)]), Array(images(1)[0].image.pixels[0..<3]))

        let csv = try String(contentsOfFile: dir + "/entropy.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 * 2 * 3)
        XCTAssertEqual(csv[0], "image,layer,head,cls_entropy_nats,mean_row_entropy_nats")
        let first = csv[1].split(separator: ",")
        XCTAssertEqual(Float(first[3])!, summary.snapshot.clsEntropy.data[0], accuracy: 1e-5)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/distance.json"))) as! [String: Any]
        let distance = (json["values"] as! [String: Any])["mean_distance"] as! [[[Double]]]
        XCTAssertEqual(distance.count, 2)
        XCTAssertEqual(Float(distance[1][1][2]), summary.snapshot.value(of: summary.snapshot.distance, layer: 1, image: 1, head: 2), accuracy: 1e-5)

        let h5 = try HDF5File.open(dir + "/attention.h5")
        defer { h5.close() }
        XCTAssertEqual(try h5.readFloats("rollout").values, summary.snapshot.rollout.data)
        XCTAssertEqual(try h5.readFloats("attention/layer01").values, attentions[1].data)
        XCTAssertEqual(try h5.readUInt8("images/001").shape, [32, 32, 3])

        let html = try String(contentsOfFile: summary.indexPath, encoding: .utf8)
        XCTAssertTrue(html.contains("\"layers\":2"))
        XCTAssertTrue(html.contains("000_probe_0_cat/layer01_mean.png"))
        XCTAssertFalse(html.contains("__DATA__"))
    }

    func testUniformAttentionOverlayPNGIsTheBlendedColour() throws {
        // Every row uniform over T = 5 (2×2 grid): every CLS map is constant → min-max 0 → jet(0).
        let uniform = Tensor.full([1, 2, 5, 5], 0.2)
        let grey = RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 90, count: 48))
        let dir = try temporaryDirectory("uniform")
        let options = AttentionDumpOptions(displaySize: 16, gridCellSize: 8, style: OverlayStyle(colormap: .jet, alpha: 0.5))
        _ = try AttentionDump.write(images: [ExplainedImage(name: "grey", image: grey)], attentions: [uniform],
                                    gridHeight: 2, gridWidth: 2, to: dir, options: options)
        let png = try PNG.read(dir + "/000_grey/layer00_head01.png")
        XCTAssertEqual([png.width, png.height], [16, 16])
        for p in 0..<(16 * 16) { XCTAssertEqual(Array(png.pixels[(3 * p)..<(3 * p + 3)]), [45, 45, 109]) }
    }

    func testDumpRejectsMismatchedInputs() throws {
        let attentions = try fixtureAttentions()
        let dir = try temporaryDirectory("bad")
        XCTAssertThrowsError(try AttentionDump.write(images: images(3), attentions: attentions, gridHeight: 8, gridWidth: 8, to: dir))
        XCTAssertThrowsError(try AttentionDump.write(images: images(2), attentions: attentions, gridHeight: 4, gridWidth: 4, to: dir)) { error in
            XCTAssertTrue("\(error)".contains("[B, H, 17, 17]"), "\(error)")
        }
    }

    func testPageInChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw XCTSkip("chromium is not installed")
        }
        let dir = try temporaryDirectory("page")
        let summary = try AttentionDump.write(images: images(2), attentions: try fixtureAttentions(), gridHeight: 8, gridWidth: 8, to: dir)
        let (status, output) = try Fixtures.checkPage(summary.indexPath, screenshot: dir + "/screenshot.png")
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("selftest ok"), output)
        XCTAssertGreaterThan(try PNG.read(dir + "/screenshot.png").width, 0)

        // The check can fail: a script error on the page is reported.
        let html = try String(contentsOfFile: summary.indexPath, encoding: .utf8)
        try html.replacingOccurrences(of: "layerSlider.addEventListener", with: "undefinedHelper(); layerSlider.addEventListener")
            .write(toFile: dir + "/broken.html", atomically: true, encoding: .utf8)
        let broken = try Fixtures.checkPage(dir + "/broken.html", screenshot: dir + "/broken.png")
        XCTAssertNotEqual(broken.status, 0, "a page with a script error fails the check")
    }
}
