// Multi-head self-attention, fused for the ViT, plus the general scaled dot-product form.
// Legend: B batch, T tokens, H heads, Dh head dim, D = H·Dh. qkv is timm's qkv Linear output
// [B, T, 3·D], read as [B, T, 3, H, Dh] (q = 0, k = 1, v = 2); output [B, T, D] with heads merged.
// Fused kernel: parallel over B×H; each (b, h) gathers its q/k/v into contiguous scratch and
// runs S = scale·q·kᵀ, P = softmax(S), O = drop(P)·v through sgemm. P is saved for backward.

import Foundation

extension Tensor {
    /// Fused multi-head attention on timm's packed qkv.
    ///
    /// - Parameters:
    ///   - qkv: [B, T, 3·D], the qkv Linear's output.
    ///   - heads: H; D must divide by it.
    ///   - scale: usually Dh^-½.
    ///   - dropout: attention-probability dropout (timm `attn_drop`), drawn from `rng`.
    ///   - keepProbabilities: also return P = softmax(q·kᵀ·scale), [B, H, T, T], before dropout,
    ///     as a plain tensor off the tape (for attention maps).
    /// - Returns: the attention output [B, T, D] and, if asked, the probabilities.
    public static func multiHeadAttention(qkv: Tensor, heads: Int, scale: Float, dropout: Float = 0,
                                          rng: inout RandomGenerator,
                                          keepProbabilities: Bool = false) -> (output: Tensor, probabilities: Tensor?) {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                     "multiHeadAttention needs qkv [B, T, 3·D] with D divisible by heads \(heads), got \(qkv.shape)")
        precondition(dropout >= 0 && dropout < 1, "attention dropout \(dropout) is outside [0, 1)")
        let b = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3
        let h = heads, dh = d / heads
        let items = b * h

        // Dropout mask over P, [B, H, T, T], scaled by 1/(1−p); one draw from rng seeds it.
        let mask: [Float]? = dropout > 0 ? DropoutMask.make(count: items * t * t, probability: dropout, rng: &rng) : nil

        var probabilities = [Float](repeating: 0, count: items * t * t)   // [B, H, T, T]
        var out = [Float](repeating: 0, count: b * t * d)                   // [B, T, D]
        probabilities.withUnsafeMutableBufferPointer { pAll in
            out.withUnsafeMutableBufferPointer { o in
                qkv.data.withUnsafeBufferPointer { x in
                    Parallel.forEach(items) { item in
                        let bi = item / h, hi = item % h
                        let p = pAll.baseAddress! + item * t * t
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * t * dh + t * t + t * dh) { scratch in
                            let q = scratch.baseAddress!, k = q + t * dh, v = k + t * dh
                            let dropped = v + t * dh, o1 = dropped + t * t
                            gatherHead(x.baseAddress!, into: q, batch: bi, head: hi, slot: 0, t: t, d: d, dh: dh)
                            gatherHead(x.baseAddress!, into: k, batch: bi, head: hi, slot: 1, t: t, d: d, dh: dh)
                            gatherHead(x.baseAddress!, into: v, batch: bi, head: hi, slot: 2, t: t, d: d, dh: dh)
                            // S = scale · q · kᵀ   [T, T]
                            BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh, alpha: scale,
                                       a: q, b: k, c: p)
                            for row in 0..<t {
                                softmaxRow(p + row * t, p + row * t, length: t, stride: 1, logarithm: false)
                            }
                            var weights = UnsafePointer(p)
                            if let mask {
                                mask.withUnsafeBufferPointer { m in
                                    let mm = m.baseAddress! + item * t * t
                                    for i in 0..<(t * t) { dropped[i] = p[i] * mm[i] }
                                }
                                weights = UnsafePointer(dropped)
                            }
                            // O = drop(P) · v   [T, Dh], then merged into out[b, :, h·Dh ..< (h+1)·Dh]
                            BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t,
                                       a: weights, b: v, c: o1)
                            for ti in 0..<t {
                                let dst = o.baseAddress! + (bi * t + ti) * d + hi * dh
                                dst.update(from: o1 + ti * dh, count: dh)
                            }
                        }
                    }
                }
            }
        }
        let output = Tensor(shape: [b, t, d], data: out)
        let kept = keepProbabilities ? Tensor(shape: [b, h, t, t], data: probabilities) : nil

        Tensor.record(output, parents: [qkv]) { g in
            qkv.withGradBuffer { dqkv in
                g.withUnsafeBufferPointer { dOut in
                    qkv.data.withUnsafeBufferPointer { x in
                        probabilities.withUnsafeBufferPointer { pAll in
                            Parallel.forEach(items) { item in
                                let bi = item / h, hi = item % h
                                let p = pAll.baseAddress! + item * t * t
                                let size = 4 * t * dh + 2 * t * t + 3 * t * dh
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { scratch in
                                    let q = scratch.baseAddress!, k = q + t * dh, v = k + t * dh
                                    let dO = v + t * dh, dropped = dO + t * dh, dS = dropped + t * t
                                    let dQ = dS + t * t, dK = dQ + t * dh, dV = dK + t * dh
                                    let base = x.baseAddress!
                                    gatherHead(base, into: q, batch: bi, head: hi, slot: 0, t: t, d: d, dh: dh)
                                    gatherHead(base, into: k, batch: bi, head: hi, slot: 1, t: t, d: d, dh: dh)
                                    gatherHead(base, into: v, batch: bi, head: hi, slot: 2, t: t, d: d, dh: dh)
                                    for ti in 0..<t {
                                        (dO + ti * dh).update(from: dOut.baseAddress! + (bi * t + ti) * d + hi * dh,
                                                              count: dh)
                                    }
                                    var weights = p
                                    if let mask {
                                        mask.withUnsafeBufferPointer { m in
                                            let mm = m.baseAddress! + item * t * t
                                            for i in 0..<(t * t) { dropped[i] = p[i] * mm[i] }
                                        }
                                        weights = UnsafePointer(dropped)
                                    }
                                    // dV = drop(P)ᵀ · dO
                                    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
                                               a: weights, b: dO, c: dV)
                                    // d drop(P) = dO · vᵀ, then through the mask: dP
                                    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh,
                                               a: dO, b: v, c: dS)
                                    if let mask {
                                        mask.withUnsafeBufferPointer { m in
                                            let mm = m.baseAddress! + item * t * t
                                            for i in 0..<(t * t) { dS[i] *= mm[i] }
                                        }
                                    }
                                    // dS = P ∘ (dP − rowsum(dP ∘ P))
                                    for row in 0..<t {
                                        let pr = p + row * t, dr = dS + row * t
                                        var dot: Float = 0
                                        for j in 0..<t { dot += pr[j] * dr[j] }
                                        for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
                                    }
                                    // dQ = scale · dS · k,  dK = scale · dSᵀ · q
                                    BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                               a: dS, b: k, c: dQ)
                                    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                               a: dS, b: q, c: dK)
                                    // Each (b, h) owns its own columns of dqkv, so threads never collide.
                                    let grad = dqkv.baseAddress!
                                    for ti in 0..<t {
                                        let row = grad + (bi * t + ti) * 3 * d + hi * dh
                                        for j in 0..<dh {
                                            row[j] += dQ[ti * dh + j]
                                            row[d + j] += dK[ti * dh + j]
                                            row[2 * d + j] += dV[ti * dh + j]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (output, kept)
    }

    /// Copies head `head`'s slice of `slot` (0 q, 1 k, 2 v) for batch item `batch` into [T, Dh].
    @inline(__always)
    private static func gatherHead(_ qkv: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                                   batch: Int, head: Int, slot: Int, t: Int, d: Int, dh: Int) {
        for ti in 0..<t {
            let src = qkv + (batch * t + ti) * 3 * d + slot * d + head * dh
            (destination + ti * dh).update(from: src, count: dh)
        }
    }

    /// softmax(query · keyᵀ · scale) · value on [B, H, T, Dh] tensors (key/value may have their own
    /// token count S), composed from matmul and softmax. Returns the output [B, H, T, Dh] and the
    /// probabilities [B, H, T, S], both on the tape.
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
                                                 scale: Float) -> (output: Tensor, probabilities: Tensor) {
        precondition(query.rank >= 2 && key.rank == query.rank && value.rank == query.rank,
                     "scaledDotProductAttention shapes \(query.shape), \(key.shape), \(value.shape) do not fit")
        let scores = query.matmul(key, transposeOther: true) * scale
        let probabilities = scores.softmax(axis: -1)
        return (probabilities.matmul(value), probabilities)
    }
}
