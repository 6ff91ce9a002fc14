// Colormaps against matplotlib's bytes, bilinear resampling against torch, overlay blending,
// grid tiling and the tiny label font.

import XCTest
import FileFormats
import Interpret

final class ImageTests: XCTestCase {
    func testJetMatchesMatplotlibBytes() {
        // matplotlib: colormaps["jet"]([0, 64, 128, 200, 255], bytes=True)
        let expected: [(Int, (UInt8, UInt8, UInt8))] = [(0, (0, 0, 127)), (64, (0, 128, 255)), (128, (124, 255, 121)),
                                                         (200, (255, 118, 0)), (255, (127, 0, 0))]
        for (index, rgb) in expected {
            let c = Colormap.jet.rgb(index: index)
            XCTAssertEqual([c.0, c.1, c.2], [rgb.0, rgb.1, rgb.2], "jet[\(index)]")
        }
        let top = Colormap.jet.rgb(1.0), bottom = Colormap.jet.rgb(0), clamped = Colormap.jet.rgb(7)
        XCTAssertEqual([top.0, top.1, top.2], [127, 0, 0])
        XCTAssertEqual([bottom.0, bottom.1, bottom.2], [0, 0, 127])
        XCTAssertEqual([clamped.0, clamped.1, clamped.2], [127, 0, 0])
    }

    func testJetWholeTableMatchesMatplotlib() throws {
        let file = try HDF5File.open(Fixtures.directory + "/attention_measures.h5")
        defer { file.close() }
        let table = try file.readUInt8("colormap/jet")
        XCTAssertEqual(table.shape, [256, 3])
        for i in 0..<256 {
            let c = Colormap.jet.rgb(index: i)
            XCTAssertEqual([c.0, c.1, c.2], Array(table.values[(3 * i)..<(3 * i + 3)]), "jet[\(i)]")
        }
    }

    func testInfernoEndsAndMonotoneLuminance() {
        let low = Colormap.inferno.rgb(0), high = Colormap.inferno.rgb(1)
        XCTAssertEqual([low.0, low.1, low.2], [0, 0, 3])
        XCTAssertEqual([high.0, high.1, high.2], [252, 254, 164])
        // inferno is perceptually ordered: brightness never drops by more than rounding.
        var previous = -1.0
        for i in 0..<256 {
            let c = Colormap.inferno.rgb(index: i)
            let luma = 0.2126 * Double(c.0) + 0.7152 * Double(c.1) + 0.0722 * Double(c.2)
            XCTAssertGreaterThan(luma, previous - 1.0, "inferno[\(i)]")
            previous = luma
        }
    }

    func testBilinearMatchesTorch() throws {
        let file = try HDF5File.open(Fixtures.directory + "/attention_measures.h5")
        defer { file.close() }
        let input = try file.readFloats("resample/input")
        let map = ScalarMap(width: 4, height: 3, values: input.values)
        let up = map.resizedBilinear(width: 10, height: 7)
        let expectedUp = try file.readFloats("resample/up_7x10")
        XCTAssertEqual(expectedUp.shape, [7, 10])
        for (a, e) in zip(up.values, expectedUp.values) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        let down = up.resizedBilinear(width: 3, height: 2)
        for (a, e) in zip(down.values, try file.readFloats("resample/down_2x3").values) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testNormalisations() {
        let map = ScalarMap(width: 2, height: 2, values: [1, 2, 3, 5])
        XCTAssertEqual(map.normalised(.minMax).values, [0, 0.25, 0.5, 1])
        XCTAssertEqual(map.normalised(.divideByMax).values, [0.2, 0.4, 0.6, 1])
        XCTAssertEqual(map.normalised(.fixed(low: 2, high: 4)).values, [0, 0, 0.5, 1])
        XCTAssertEqual(ScalarMap(width: 2, height: 1, values: [3, 3]).normalised(.minMax).values, [0, 0])
    }

    func testUniformMapOverlayIsTheBlendedColour() {
        let image = RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 0, count: 48).enumerated().map {
            [100, 150, 200][$0.offset % 3] })
        let uniform = ScalarMap(width: 2, height: 2, values: [0.25, 0.25, 0.25, 0.25])
        // min-max of a constant map is 0 → jet(0) = (0, 0, 127); half-and-half blend.
        let out = Overlay.blend(uniform, over: image, style: OverlayStyle(colormap: .jet, alpha: 0.5))
        XCTAssertEqual(out.width, 4)
        XCTAssertEqual(out.height, 4)
        for p in 0..<16 { XCTAssertEqual(Array(out.pixels[(3 * p)..<(3 * p + 3)]), [50, 75, 164]) }
        // divide-by-max draws it at the hot end instead: jet(1) = (127, 0, 0), alpha 0.25.
        let hot = Overlay.blend(uniform, over: image, style: OverlayStyle(colormap: .jet, alpha: 0.25, normalisation: .divideByMax))
        XCTAssertEqual(Array(hot.pixels[0..<3]), [107, 113, 150])
    }

    func testOverlayFollowsTheMap() {
        // A hot right column on a 1×2 grid: after bilinear upsampling the right edge is hot (dark
        // red in jet), the left edge cold (dark blue); alpha 1 shows the colormap alone.
        let grey = RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 128, count: 192))
        let out = Overlay.blend(ScalarMap(width: 2, height: 1, values: [0, 1]), over: grey, style: OverlayStyle(alpha: 1))
        XCTAssertEqual(Array(out.pixels[0..<3]), [0, 0, 127])
        XCTAssertEqual(Array(out.pixels[(7 * 3)..<(7 * 3 + 3)]), [127, 0, 0])
    }

    func testImageConversionAndNearestScaling() throws {
        let grey = try Overlay.image(chw: [0, 0.5, 1, 2], channels: 1, height: 2, width: 2)
        XCTAssertEqual(grey.pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255, 255, 255, 255])
        let rgb = try Overlay.image(chw: [1, 0, 0, 1, 0.5, 0.5], channels: 3, height: 1, width: 2)
        XCTAssertEqual(rgb.pixels, [255, 0, 128, 0, 255, 128])
        XCTAssertThrowsError(try Overlay.image(chw: [1, 2, 3], channels: 2, height: 1, width: 1))
        let big = Overlay.scaledNearest(rgb, width: 4, height: 2)
        XCTAssertEqual(Array(big.pixels[0..<12]), [255, 0, 128, 255, 0, 128, 0, 255, 128, 0, 255, 128])
    }

    func testGridTilesCellsAndDrawsLabels() {
        let red = RGBImage(width: 3, height: 2, pixels: [UInt8](repeating: 0, count: 18).enumerated().map { $0.offset % 3 == 0 ? 255 : 0 })
        let plain = GridImage.tile([[red, nil], [red, red]], spacing: 1)
        XCTAssertEqual(plain.width, 1 + 2 * (3 + 1))
        XCTAssertEqual(plain.height, 1 + 2 * (2 + 1))
        XCTAssertEqual(Array(plain.pixels[((1 * plain.width) + 1) * 3..<((1 * plain.width) + 1) * 3 + 3]), [255, 0, 0])
        XCTAssertEqual(Array(plain.pixels[((1 * plain.width) + 5) * 3..<((1 * plain.width) + 5) * 3 + 3]), [255, 255, 255], "nil cell stays background")
        let labelled = GridImage.tile([[red]], spacing: 2, rowLabels: ["L10"], columnLabels: ["H0"], labelScale: 1)
        // Label column: "L10" is 3 glyphs · 4 − 1 = 11 px + spacing; label row: 5 px + spacing.
        XCTAssertEqual(labelled.width, 2 + 11 + 2 + 3 + 2)
        XCTAssertEqual(labelled.height, 2 + 5 + 2 + 2 + 2)
        let ink = (0..<(labelled.width * labelled.height)).filter { labelled.pixels[3 * $0] == 40 }.count
        XCTAssertGreaterThan(ink, 10, "labels are drawn")
    }
}
