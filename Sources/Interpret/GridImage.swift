// Tiles images into one picture (e.g. layers × heads) with spacing and optional tiny row and
// column labels drawn with TinyFont.

import FileFormats

public enum GridImage {
    /// Tiles `rows` (each a list of cells; nil leaves a blank cell) into one image. Every cell gets
    /// the size of the largest image; images sit at the top-left of their cell. Labels, when given,
    /// are drawn left of each row and above each column in dark grey at `labelScale` × 3×5 pixels.
    public static func tile(_ rows: [[RGBImage?]], spacing: Int = 4,
                            background: (UInt8, UInt8, UInt8) = (255, 255, 255),
                            rowLabels: [String] = [], columnLabels: [String] = [],
                            labelScale: Int = 2) -> RGBImage {
        let cells = rows.flatMap { $0 }.compactMap { $0 }
        let cellWidth = cells.map(\.width).max() ?? 0, cellHeight = cells.map(\.height).max() ?? 0
        let columns = rows.map(\.count).max() ?? 0
        let labelWidth = rowLabels.isEmpty ? 0 : rowLabels.map { TinyFont.width($0, scale: labelScale) }.max()! + spacing
        let labelHeight = columnLabels.isEmpty ? 0 : TinyFont.glyphHeight * labelScale + spacing
        let width = spacing + labelWidth + columns * (cellWidth + spacing)
        let height = spacing + labelHeight + rows.count * (cellHeight + spacing)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) { pixels[3 * p] = background.0; pixels[3 * p + 1] = background.1; pixels[3 * p + 2] = background.2 }
        var out = RGBImage(width: width, height: height, pixels: pixels)
        let ink: (UInt8, UInt8, UInt8) = (40, 40, 40)
        for (c, label) in columnLabels.prefix(columns).enumerated() {
            TinyFont.draw(label, into: &out, x: spacing + labelWidth + c * (cellWidth + spacing), y: spacing, scale: labelScale, colour: ink)
        }
        for (r, row) in rows.enumerated() {
            let top = spacing + labelHeight + r * (cellHeight + spacing)
            if r < rowLabels.count {
                let textTop = top + max(0, (cellHeight - TinyFont.glyphHeight * labelScale) / 2)
                TinyFont.draw(rowLabels[r], into: &out, x: spacing, y: textTop, scale: labelScale, colour: ink)
            }
            for (c, cell) in row.enumerated() {
                guard let image = cell else { continue }
                let left = spacing + labelWidth + c * (cellWidth + spacing)
                for y in 0..<image.height {
                    for x in 0..<image.width {
                        let src = (y * image.width + x) * 3, dst = ((top + y) * width + left + x) * 3
                        out.pixels[dst] = image.pixels[src]; out.pixels[dst + 1] = image.pixels[src + 1]; out.pixels[dst + 2] = image.pixels[src + 2]
                    }
                }
            }
        }
        return out
    }
}
