// Bilinear resizing of CHW images with align_corners=False semantics (PyTorch's
// F.interpolate(mode="bilinear") without antialiasing): output pixel centres map back to
// src = (dst + 0.5)·(in/out) − 0.5, clamped at 0, and the two nearest source pixels are blended.

public enum Resize {
    /// Resizes a CHW image (`channels`×`inHeight`×`inWidth`) to `outHeight`×`outWidth`.
    public static func bilinear(_ image: [Float], channels: Int, inHeight: Int, inWidth: Int,
                                outHeight: Int, outWidth: Int) -> [Float] {
        precondition(image.count == channels * inHeight * inWidth,
                     "resize: image has \(image.count) values, expected \(channels)×\(inHeight)×\(inWidth)")
        precondition(outHeight > 0 && outWidth > 0, "resize: output size \(outHeight)×\(outWidth) must be positive")
        if inHeight == outHeight && inWidth == outWidth { return image }
        let ys = taps(input: inHeight, output: outHeight)
        let xs = taps(input: inWidth, output: outWidth)
        var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    let inPlane = src.baseAddress! + c * inHeight * inWidth
                    let outPlane = dst.baseAddress! + c * outHeight * outWidth
                    for oy in 0..<outHeight {
                        let ty = ys[oy]
                        let row0 = inPlane + ty.i0 * inWidth
                        let row1 = inPlane + ty.i1 * inWidth
                        for ox in 0..<outWidth {
                            let tx = xs[ox]
                            let top = row0[tx.i0] * (1 - tx.w) + row0[tx.i1] * tx.w
                            let bottom = row1[tx.i0] * (1 - tx.w) + row1[tx.i1] * tx.w
                            outPlane[oy * outWidth + ox] = top * (1 - ty.w) + bottom * ty.w
                        }
                    }
                }
            }
        }
        return out
    }

    /// For each output index: the two source indices and the weight of the second.
    static func taps(input: Int, output: Int) -> [(i0: Int, i1: Int, w: Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let source = max(0, (Float(o) + 0.5) * scale - 0.5)
            let i0 = min(Int(source), input - 1)
            let i1 = min(i0 + 1, input - 1)
            return (i0, i1, source - Float(i0))
        }
    }
}
