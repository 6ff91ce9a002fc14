// PNG: RGB/RGBA write→read round trips, decoding of every colour type and bit depth from
// hand-encoded fixtures (Scripts/make_png_fixtures.py; same formulas here), and bad-file errors.
import Foundation
import XCTest
import FileFormats

final class PNGTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTemporaryDirectory(name) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    // Fixture formulas (must match Scripts/make_png_fixtures.py); images are 5×3.
    let width = 5, height = 3
    func s8(_ i: Int, _ c: Int) -> UInt8 { UInt8((37 * i + 91 * c + 11) % 256) }
    func palette(_ n: Int) -> [[UInt8]] {
        (0..<n).map { (k: Int) -> [UInt8] in
            let green: Int = ((255 - 30 * k) % 256 + 256) % 256  // Python's % is never negative
            return [UInt8((40 * k) % 256), UInt8(green), UInt8((7 * k) % 256)]
        }
    }

    func expectedPixels(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<(width * height) {
            if name.hasPrefix("palette") {
                let n = ["palette1": 2, "palette2": 4, "palette4": 16, "palette8": 20, "palette8_trns": 20][name]!
                out += palette(n)[i % n]
            } else if let depth = ["gray1": 1, "gray2": 2, "gray4": 4][name] {
                let v = UInt8(((3 * i) % (1 << depth)) * 255 / ((1 << depth) - 1))
                out += [v, v, v]
            } else if name.hasPrefix("gray") {
                out += [s8(i, 0), s8(i, 0), s8(i, 0)]
            } else {
                out += [s8(i, 0), s8(i, 1), s8(i, 2)]
            }
        }
        return out
    }

    func testDecodesEveryColourTypeAndBitDepth() throws {
        let names = ["gray1", "gray2", "gray4", "gray8", "gray16", "grayalpha8", "grayalpha16", "rgb8", "rgb16",
                     "rgba8", "rgba16", "rgb8_interlaced", "palette1", "palette2", "palette4", "palette8", "palette8_trns"]
        for name in names {
            let image = try PNG.read(fixturePath("png/\(name).png"))
            XCTAssertEqual(image.width, width, name)
            XCTAssertEqual(image.height, height, name)
            XCTAssertEqual(image.pixels, expectedPixels(name), name)
        }
        // Spot-check the formulas themselves against literal bytes: pixel 1 of rgb8 and of gray2.
        XCTAssertEqual(Array(try PNG.read(fixturePath("png/rgb8.png")).pixels[3..<6]), [48, 139, 230])
        XCTAssertEqual(Array(try PNG.read(fixturePath("png/gray2.png")).pixels[3..<6]), [255, 255, 255])
        XCTAssertEqual(Array(try PNG.read(fixturePath("png/palette8.png")).pixels[3..<6]), [40, 225, 7])
    }

    func testRGBRoundTrip() throws {
        let w = 37, h = 23
        let pixels: [UInt8] = (0..<(w * h * 3)).map { UInt8(($0 * 7919) % 256) }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        let path = dir + "/rgb.png"
        try PNG.write(image, to: path)
        XCTAssertEqual(try PNG.read(path), image)
        XCTAssertEqual(try PNG.decode(PNG.encode(image), name: "mem"), image)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["rgb.png"])
        let one = RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
        try PNG.write(one, to: path)  // replaces the earlier file
        XCTAssertEqual(try PNG.read(path), one)
    }

    func testRGBAWriteDropsAlphaOnRead() throws {
        let w = 4, h = 2
        var rgba: [UInt8] = []
        for i in 0..<(w * h) { rgba += [UInt8(i * 30), UInt8(255 - i), UInt8(i * 3), UInt8(i * 36)] }
        let path = dir + "/rgba.png"
        try PNG.write(rgba: rgba, width: w, height: h, to: path)
        let image = try PNG.read(path)
        var rgb: [UInt8] = []
        for i in 0..<(w * h) { rgb += rgba[(i * 4)..<(i * 4 + 3)] }
        XCTAssertEqual(image, RGBImage(width: w, height: h, pixels: rgb), "colour kept even where alpha is 0")
        XCTAssertEqual(try PNG.decode(PNG.encode(rgba: rgba, width: w, height: h), name: "mem").pixels, rgb)
    }

    func testWriteRejectsBadSizes() throws {
        let path = dir + "/bad.png"
        assertFileError(try PNG.write(RGBImage(width: 2, height: 2, pixels: [1, 2, 3]), to: path),
                        file: path, contains: ["2×2 RGB image needs 12 bytes, got 3"])
        assertFileError(try PNG.write(RGBImage(width: 0, height: 2, pixels: []), to: path), file: path, contains: ["0×2"])
        assertFileError(try PNG.write(rgba: [0, 0, 0], width: 1, height: 1, to: path), file: path, contains: ["needs 4 bytes"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testBadFilesGiveOneLineErrors() throws {
        let missing = dir + "/missing.png"
        assertFileError(try PNG.read(missing), file: missing, contains: ["no such file"])

        let text = dir + "/notes.png"
        try Data("this is a text file, renamed\n".utf8).write(to: URL(fileURLWithPath: text))
        assertFileError(try PNG.read(text), file: text, contains: ["not a PNG file"])

        let empty = dir + "/empty.png"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertFileError(try PNG.read(empty), file: empty, contains: ["not a PNG file"])

        let random = dir + "/random.png"
        var rng = SystemRandomNumberGenerator()
        try Data((0..<2048).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: random))
        assertFileError(try PNG.read(random), file: random, contains: ["not a PNG file"])

        let good = try PNG.encode(RGBImage(width: 40, height: 30, pixels: (0..<3600).map { UInt8(($0 * 31) % 256) }))
        for cut in [good.count / 2, 20, 40, good.count - 5] {
            let truncated = dir + "/truncated-\(cut).png"
            try good.prefix(cut).write(to: URL(fileURLWithPath: truncated))
            assertFileError(try PNG.read(truncated), file: truncated, contains: ["cannot decode PNG", "truncated"], "cut \(cut)")
        }
        // A PNG signature followed by garbage, and a flipped byte inside the image data (bad CRC).
        let garbage = dir + "/garbage.png"
        try (good.prefix(8) + Data((0..<500).map { _ in UInt8.random(in: 0...255, using: &rng) })).write(to: URL(fileURLWithPath: garbage))
        assertFileError(try PNG.read(garbage), file: garbage, contains: ["cannot decode PNG"])
        var flipped = good
        flipped[flipped.count / 2] ^= 0xFF
        let crc = dir + "/crc.png"
        try flipped.write(to: URL(fileURLWithPath: crc))
        assertFileError(try PNG.read(crc), file: crc, contains: ["cannot decode PNG"])
        assertFileError(try PNG.decode(Data([0x89, 0x50]), name: "upload #3"), file: "upload #3", contains: ["not a PNG file"])
        assertFileError(try PNG.read(dir), file: dir, contains: ["directory"])
    }
}
