// Bilinear resampling of a single-channel map (an attention grid) to another size, with
// PyTorch's align_corners=False geometry (pixel centres at (i + 0.5) · scale − 0.5).

/// A single-channel Float image, row-major `[height, width]`.
public struct ScalarMap: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height,
                     "ScalarMap \(height)×\(width) needs \(width * height) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// Bilinear resize, as `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`.
    public func resizedBilinear(width outWidth: Int, height outHeight: Int) -> ScalarMap {
        precondition(outWidth > 0 && outHeight > 0 && width > 0 && height > 0,
                     "cannot resize \(height)×\(width) to \(outHeight)×\(outWidth)")
        let ys = ScalarMap.taps(input: height, output: outHeight)
        let xs = ScalarMap.taps(input: width, output: outWidth)
        var out = [Float](repeating: 0, count: outWidth * outHeight)
        for (oy, y) in ys.enumerated() {
            for (ox, x) in xs.enumerated() {
                let top = values[y.0 * width + x.0] * (1 - x.2) + values[y.0 * width + x.1] * x.2
                let bottom = values[y.1 * width + x.0] * (1 - x.2) + values[y.1 * width + x.1] * x.2
                out[oy * outWidth + ox] = top * (1 - y.2) + bottom * y.2
            }
        }
        return ScalarMap(width: outWidth, height: outHeight, values: out)
    }

    /// Per output index: the two source indices and the weight of the second.
    static func taps(input: Int, output: Int) -> [(Int, Int, Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let source = Swift.max((Float(o) + 0.5) * scale - 0.5, 0)
            let i0 = Swift.min(Int(source), input - 1)
            let i1 = Swift.min(i0 + 1, input - 1)
            return (i0, i1, source - Float(i0))
        }
    }

    /// Values rescaled to [0, 1] by `normalisation` (see `MapNormalisation`).
    public func normalised(_ normalisation: MapNormalisation) -> ScalarMap {
        var out = self
        switch normalisation {
        case .minMax:
            let lo = values.min() ?? 0, hi = values.max() ?? 0
            // A constant map carries no contrast: it is drawn at the cold end.
            out.values = values.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
        case .divideByMax:
            let hi = values.max() ?? 0
            out.values = values.map { hi > 0 ? Swift.max($0, 0) / hi : 0 }
        case .fixed(let lo, let hi):
            out.values = values.map { hi > lo ? Swift.min(Swift.max(($0 - lo) / (hi - lo), 0), 1) : 0 }
        }
        return out
    }
}

/// How a map's values are brought to [0, 1] before colouring.
public enum MapNormalisation: Equatable, Sendable {
    /// (v − min) / (max − min); a constant map becomes 0.
    case minMax
    /// v / max (vit-explain's choice), so 0 stays 0; a map with max ≤ 0 becomes 0.
    case divideByMax
    /// (v − low) / (high − low), clamped: one scale shared across maps (e.g. across epochs).
    case fixed(low: Float, high: Float)
}
