// Colormaps for heatmaps: matplotlib's "jet" (computed from its piecewise-linear definition) and
// "inferno" (a 256-entry table, InfernoTable.swift). Both quantise to 256 levels as matplotlib does.

/// A heatmap colormap. Values are in [0, 1] (clamped); 0 is the cold end.
public enum Colormap: String, CaseIterable, Codable, Sendable {
    case jet, inferno

    /// The colour of `value` ∈ [0, 1] as RGB bytes (matplotlib's `cmap(value, bytes=True)`).
    public func rgb(_ value: Float) -> (UInt8, UInt8, UInt8) {
        rgb(index: Colormap.index(value))
    }

    /// matplotlib's quantisation: index = ⌊value · 256⌋ clamped to 0...255 (NaN → 0).
    @inline(__always)
    static func index(_ value: Float) -> Int {
        let v = value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)
        return Swift.min(Int(v * 256), 255)
    }

    /// The colour of table entry `index` ∈ 0...255.
    public func rgb(index: Int) -> (UInt8, UInt8, UInt8) {
        let i = Swift.min(Swift.max(index, 0), 255)
        let table = self.table
        return (table[3 * i], table[3 * i + 1], table[3 * i + 2])
    }

    /// The 256 colours as RGB byte triples (overlays look colours up here per pixel).
    public var table: [UInt8] {
        switch self {
        case .inferno: return InfernoTable.rgb
        case .jet: return Colormap.jetTable
        }
    }

    static let jetTable: [UInt8] = (0..<256).flatMap { i in
        [byte(interpolate(jetRed, index: i)), byte(interpolate(jetGreen, index: i)), byte(interpolate(jetBlue, index: i))]
    }

    // matplotlib's _jet_data: (x, y) knots of each channel, linear between them.
    static let jetRed: [(Double, Double)] = [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)]
    static let jetGreen: [(Double, Double)] = [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)]
    static let jetBlue: [(Double, Double)] = [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]

    /// Channel value at table entry `i`; the arithmetic follows matplotlib's lookup-table build
    /// (knots scaled by 255, then linear), so bytes agree even where v · 255 lands on an integer.
    static func interpolate(_ knots: [(Double, Double)], index i: Int) -> Double {
        let position = Double(i)
        if i == 0 { return knots[0].1 }
        for k in 1..<knots.count where position <= knots[k].0 * 255 {
            let x0 = knots[k - 1].0 * 255, x1 = knots[k].0 * 255
            let (y0, y1) = (knots[k - 1].1, knots[k].1)
            return (position - x0) / (x1 - x0) * (y1 - y0) + y0
        }
        return knots.last!.1
    }

    /// matplotlib converts to bytes by truncation, (v · 255) as uint8.
    static func byte(_ v: Double) -> UInt8 {
        UInt8(Swift.min(Swift.max(v * 255, 0), 255))
    }
}
