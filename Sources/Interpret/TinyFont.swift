// A 3×5 pixel font (digits and the capitals our labels use) for labelling grid images without
// a font library. Unknown characters draw as blanks.

import FileFormats

enum TinyFont {
    static let glyphWidth = 3, glyphHeight = 5
    // Five rows of three bits, top row first.
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], "A": [2, 5, 7, 5, 5], "E": [7, 4, 7, 4, 7],
        "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5],
        "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2], "P": [6, 5, 6, 4, 4], "R": [6, 5, 6, 5, 5],
        "T": [7, 2, 2, 2, 2], "U": [5, 5, 5, 5, 7], "-": [0, 0, 7, 0, 0], ".": [0, 0, 0, 0, 2],
        // For method labels (RELEVANCE, DINO, CHEFER2021, …) and colour-bar values (1.0E-3).
        "B": [6, 5, 6, 5, 6], "C": [7, 4, 4, 4, 7], "D": [6, 5, 5, 5, 6], "F": [7, 4, 6, 4, 4],
        "G": [7, 4, 5, 5, 7], "K": [5, 5, 6, 5, 5], "S": [7, 4, 7, 1, 7], "V": [5, 5, 5, 5, 2],
        "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2], "+": [0, 2, 7, 2, 0],
    ]

    /// Width in pixels of `text` at `scale` (one blank column between glyphs).
    static func width(_ text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * (glyphWidth + 1) - 1) * scale
    }

    /// Draws `text` in `colour` with its top-left corner at (x, y), clipped to the image.
    static func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int, scale: Int,
                     colour: (UInt8, UInt8, UInt8)) {
        for (index, character) in text.uppercased().enumerated() {
            guard let rows = glyphs[character] else { continue }
            let left = x + index * (glyphWidth + 1) * scale
            for (row, bits) in rows.enumerated() {
                for column in 0..<glyphWidth where bits & (4 >> column) != 0 {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = left + column * scale + dx, py = y + row * scale + dy
                            guard px >= 0, py >= 0, px < image.width, py < image.height else { continue }
                            let p = (py * image.width + px) * 3
                            image.pixels[p] = colour.0; image.pixels[p + 1] = colour.1; image.pixels[p + 2] = colour.2
                        }
                    }
                }
            }
        }
    }
}
