// Resampling a learned position embedding to a new patch grid (fine-tuning at another image
// size), as timm's resample_abs_pos_embed: the CLS (prefix) positions are kept, the grid part
// goes through F.interpolate(mode='bicubic', align_corners=False, antialias=True) — timm's
// default. PyTorch's antialiased bicubic is PIL's filter: cubic kernel a = −0.5, support
// widened by the scale when shrinking, taps limited to the image and the weights renormalised.
// Layout: [1, P + h·w, D], grid row-major, D innermost.

public enum PositionEmbedding {
    /// pos_embed values [1, prefix + old.h·old.w, D] → [1, prefix + new.h·new.w, D].
    public static func resample(_ values: [Float], dimensions d: Int,
                                from old: (height: Int, width: Int), to new: (height: Int, width: Int),
                                prefixTokens: Int = 1) -> [Float] {
        precondition(values.count == (prefixTokens + old.height * old.width) * d,
                     "position embedding of \(values.count) values does not fit a \(old.height)×\(old.width) grid of width \(d) with \(prefixTokens) prefix tokens")
        if old == new { return values }
        let prefix = Array(values[0..<(prefixTokens * d)])
        let grid = Array(values[(prefixTokens * d)...]).map(Double.init)
        // Separable: along the width, then along the height.
        let wide = resampleAxis(grid, outer: old.height, length: old.width, inner: d, newLength: new.width)
        let both = resampleAxis(wide, outer: 1, length: old.height, inner: new.width * d, newLength: new.height)
        return prefix + both.map(Float.init)
    }

    /// Interpolates [outer, length, inner] along the middle axis to [outer, newLength, inner].
    static func resampleAxis(_ x: [Double], outer: Int, length: Int, inner: Int, newLength: Int) -> [Double] {
        let taps = weights(inputSize: length, outputSize: newLength)
        var out = [Double](repeating: 0, count: outer * newLength * inner)
        for o in 0..<outer {
            for (i, tap) in taps.enumerated() {
                let dst = (o * newLength + i) * inner
                for (k, w) in tap.weights.enumerated() {
                    let src = (o * length + tap.start + k) * inner
                    for c in 0..<inner { out[dst + c] += w * x[src + c] }
                }
            }
        }
        return out
    }

    /// For each output index: the first input index and the normalised filter weights.
    static func weights(inputSize: Int, outputSize: Int) -> [(start: Int, weights: [Double])] {
        let scale = Double(inputSize) / Double(outputSize)      // align_corners=False
        let support = scale >= 1 ? 2 * scale : 2                // bicubic: interp_size 4, half is 2
        let invScale = scale >= 1 ? 1 / scale : 1
        return (0..<outputSize).map { i in
            let center = scale * (Double(i) + 0.5)
            let start = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inputSize)
            var w = (start..<end).map { cubic((Double($0) - center + 0.5) * invScale) }
            let total = w.reduce(0, +)
            if total != 0 { w = w.map { $0 / total } }
            return (start, w)
        }
    }

    /// Keys' cubic convolution kernel with a = −0.5 (PIL / PyTorch antialias).
    static func cubic(_ t: Double) -> Double {
        let a = -0.5, x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }
}
