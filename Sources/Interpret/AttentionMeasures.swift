// Per-layer measures of captured attention probabilities: the query→patch maps, their head mean,
// per-head entropy, the share taken by register tokens, and mean attention distance. All batched;
// sums accumulate in Double. The "query row" is the class token's row, or for models without one
// the mean of the patch rows (TokenLayout.classIndex); a nil layout means one class token first.
// Legend: B images, H heads, T = P + N tokens (P prefix tokens first), N = gridHeight · gridWidth patches.

import Foundation
import Models
import Tensor

/// Measures on one layer's attention probabilities `[B, H, T, T]` (softmax rows, prefix first).
/// Maps that keep only the query row, `[B, H, 1, T]`, are accepted where only that row is needed.
public enum AttentionMeasures {
    /// The layout of `t` tokens when none is given: one class token, then the patches.
    static func layout(_ given: TokenLayout?, tokens t: Int) -> TokenLayout {
        given ?? TokenLayout(classTokens: 1, gridHeight: t - 1, gridWidth: 1)
    }

    /// The query row of item `bh` (B·H index) into `row` (T values).
    static func queryRow(_ a: UnsafePointer<Float>, item bh: Int, rows: Int, t: Int, layout: TokenLayout,
                         into row: inout [Double]) {
        let base = a + bh * rows * t
        if rows == 1 || layout.classIndex != nil {
            let r = rows == 1 ? 0 : layout.classIndex!
            for j in 0..<t { row[j] = Double(base[r * t + j]) }
            return
        }
        for j in 0..<t { row[j] = 0 }
        for i in layout.patchRange { for j in 0..<t { row[j] += Double(base[i * t + j]) } }
        for j in 0..<t { row[j] /= Double(layout.patchCount) }
    }

    /// The query row over the patch keys: `[B, H, T, T]` or `[B, H, 1, T]` → `[B, H, N]`.
    public static func clsToPatch(_ attention: Tensor, layout given: TokenLayout? = nil) -> Tensor {
        let (b, h, rows, t) = dimensions(attention, needsFullRows: false)
        let layout = layout(given, tokens: t)
        let n = layout.patchCount, first = layout.prefixCount
        var out = [Float](repeating: 0, count: b * h * n)
        var row = [Double](repeating: 0, count: t)
        attention.data.withUnsafeBufferPointer { a in
            for bh in 0..<(b * h) {
                queryRow(a.baseAddress!, item: bh, rows: rows, t: t, layout: layout, into: &row)
                for j in 0..<n { out[bh * n + j] = Float(row[first + j]) }
            }
        }
        return Tensor(shape: [b, h, n], data: out)
    }

    /// The share of the query row's mass on the register tokens (Darcet et al. 2024: registers
    /// absorb the high-norm "artefact" attention), `[B, H]`; zeros without registers.
    public static func registerShare(_ attention: Tensor, layout: TokenLayout) -> Tensor {
        let (b, h, rows, t) = dimensions(attention, needsFullRows: false)
        var out = [Float](repeating: 0, count: b * h)
        var row = [Double](repeating: 0, count: t)
        attention.data.withUnsafeBufferPointer { a in
            for bh in 0..<(b * h) {
                queryRow(a.baseAddress!, item: bh, rows: rows, t: t, layout: layout, into: &row)
                out[bh] = Float(layout.registerRange.reduce(0.0) { $0 + row[$1] })
            }
        }
        return Tensor(shape: [b, h], data: out)
    }

    /// The mean over heads of per-head maps: `[B, H, N]` → `[B, N]`.
    public static func headMean(_ perHead: Tensor) -> Tensor {
        precondition(perHead.rank == 3, "headMean needs [B, H, N], got \(perHead.shape)")
        let (b, h, n) = (perHead.shape[0], perHead.shape[1], perHead.shape[2])
        var out = [Float](repeating: 0, count: b * n)
        for i in 0..<b {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<h { sum += Double(perHead.data[(i * h + k) * n + j]) }
                out[i * n + j] = Float(sum / Double(h))
            }
        }
        return Tensor(shape: [b, n], data: out)
    }

    /// Entropy in nats of the query row (over all T keys, prefix tokens included): `[B, H]`.
    /// 0·ln 0 counts as 0. Accepts `[B, H, 1, T]`.
    public static func clsEntropy(_ attention: Tensor, layout given: TokenLayout? = nil) -> Tensor {
        let (b, h, rows, t) = dimensions(attention, needsFullRows: false)
        let layout = layout(given, tokens: t)
        var out = [Float](repeating: 0, count: b * h)
        var row = [Double](repeating: 0, count: t)
        attention.data.withUnsafeBufferPointer { a in
            for bh in 0..<(b * h) {
                queryRow(a.baseAddress!, item: bh, rows: rows, t: t, layout: layout, into: &row)
                out[bh] = Float(row.reduce(0.0) { $1 > 0 ? $0 - $1 * Foundation.log($1) : $0 })
            }
        }
        return Tensor(shape: [b, h], data: out)
    }

    /// Entropy in nats of every query row (CLS and patches), averaged over the T rows: `[B, H]`.
    public static func meanRowEntropy(_ attention: Tensor) -> Tensor {
        let (b, h, _, t) = dimensions(attention, needsFullRows: true)
        var out = [Float](repeating: 0, count: b * h)
        attention.data.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                Parallel.forRanges(b * h, costPerItem: t * t * 4) { range in
                    for bh in range {
                        var sum = 0.0
                        for row in 0..<t { sum += entropy(a.baseAddress! + (bh * t + row) * t, t) }
                        o[bh] = Float(sum / Double(t))
                    }
                }
            }
        }
        return Tensor(shape: [b, h], data: out)
    }

    /// Mean attention distance in patches, per head: `[B, H, T, T]` → `[B, H]`.
    ///
    /// For each patch query, the key weights over the patches (the prefix keys dropped and the
    /// remaining N weights renormalised to sum to 1) weight the Euclidean distance between patch
    /// centres; the result is the mean over the N patch queries. Prefix queries are left out
    /// because they have no position. This is the "receptive field" measure of Dosovitskiy et al.
    /// 2020 (fig. 7), counted in patches instead of pixels: multiply by the patch size for pixels.
    public static func meanAttentionDistance(_ attention: Tensor, gridHeight: Int, gridWidth: Int,
                                             prefixTokens: Int = 1) -> Tensor {
        let (b, h, _, t) = dimensions(attention, needsFullRows: true)
        let n = t - prefixTokens
        precondition(gridHeight * gridWidth == n,
                     "attention has \(n) patch tokens but the grid is \(gridHeight)×\(gridWidth)")
        var distance = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let dy = Double(i / gridWidth - j / gridWidth), dx = Double(i % gridWidth - j % gridWidth)
                distance[i * n + j] = (dy * dy + dx * dx).squareRoot()
            }
        }
        var out = [Float](repeating: 0, count: b * h)
        attention.data.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                Parallel.forRanges(b * h, costPerItem: n * n * 2) { range in
                    for bh in range {
                        var total = 0.0
                        for i in 0..<n {
                            let row = a.baseAddress! + (bh * t + prefixTokens + i) * t + prefixTokens
                            var mass = 0.0, weighted = 0.0
                            for j in 0..<n {
                                let p = Double(row[j])
                                mass += p
                                weighted += p * distance[i * n + j]
                            }
                            total += mass > 0 ? weighted / mass : 0
                        }
                        o[bh] = Float(total / Double(n))
                    }
                }
            }
        }
        return Tensor(shape: [b, h], data: out)
    }

    /// The captured maps of a forward pass, ordered by layer index (ViTOutput.attentions).
    public static func ordered(_ attentions: [Int: Tensor]) -> [Tensor] {
        attentions.keys.sorted().map { attentions[$0]! }
    }

    // MARK: - Helpers

    static func dimensions(_ attention: Tensor, needsFullRows: Bool) -> (Int, Int, Int, Int) {
        precondition(attention.rank == 4, "attention maps must be [B, H, T, T] or [B, H, 1, T], got \(attention.shape)")
        let rows = attention.shape[2], t = attention.shape[3]
        precondition(t >= 1, "attention needs at least one token, got \(attention.shape)")
        if needsFullRows {
            precondition(rows == t, "this measure needs every query row [B, H, T, T], got \(attention.shape)")
        } else {
            precondition(rows == t || rows == 1, "attention maps must be [B, H, T, T] or [B, H, 1, T], got \(attention.shape)")
        }
        return (attention.shape[0], attention.shape[1], rows, t)
    }

    @inline(__always)
    static func entropy(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
        var sum = 0.0
        for j in 0..<count where p[j] > 0 {
            let v = Double(p[j])
            sum -= v * Foundation.log(v)
        }
        return sum
    }
}
