// Colour bars, so a map's colours can be read as values: a strip under a PNG figure with its low
// and high ends printed in the tiny font, and the CSS gradient of the same colormap for pages.

import Foundation
import FileFormats

public enum ColourBar {
    /// `figure` with a colour bar of `colormap` from `low` to `high` appended below it (white margin).
    public static func appended(below figure: RGBImage, colormap: Colormap, low: Float, high: Float) -> RGBImage {
        let scale = 2, barHeight = 10, margin = 6
        let textHeight = TinyFont.glyphHeight * scale
        let height = figure.height + margin + barHeight + 3 + textHeight + margin
        var out = RGBImage(width: figure.width, height: height, pixels: [UInt8](repeating: 255, count: figure.width * height * 3))
        out.pixels.replaceSubrange(0..<figure.pixels.count, with: figure.pixels)
        let left = margin, right = max(left + 1, figure.width - margin)
        for x in left..<right {
            let (r, g, b) = colormap.rgb(index: Colormap.index(Float(x - left) / Float(max(1, right - left - 1))))
            for y in (figure.height + margin)..<(figure.height + margin + barHeight) {
                let p = (y * out.width + x) * 3
                out.pixels[p] = r; out.pixels[p + 1] = g; out.pixels[p + 2] = b
            }
        }
        let y = figure.height + margin + barHeight + 3
        let lowText = label(low), highText = label(high)
        TinyFont.draw(lowText, into: &out, x: left, y: y, scale: scale, colour: (0, 0, 0))
        TinyFont.draw(highText, into: &out, x: right - TinyFont.width(highText, scale: scale), y: y, scale: scale, colour: (0, 0, 0))
        return out
    }

    /// A value short enough for the bar's ends (three significant digits).
    static func label(_ value: Float) -> String {
        String(format: value != 0 && abs(value) < 0.01 ? "%.1E" : "%.3G", value)
    }

    /// `linear-gradient(to right, …)` through 11 samples of the colormap, for the page's bar.
    public static func css(_ colormap: Colormap) -> String {
        let stops = (0...10).map { k -> String in
            let (r, g, b) = colormap.rgb(index: min(255, k * 256 / 10))
            return "rgb(\(r),\(g),\(b)) \(k * 10)%"
        }
        return "linear-gradient(to right, " + stops.joined(separator: ", ") + ")"
    }
}
