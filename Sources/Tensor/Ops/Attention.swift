// Multi-head self-attention, fused for the ViT, plus the general scaled dot-product form.
// Legend: B batch, T tokens, H heads, Dh head dim, D = H·Dh. qkv is timm's qkv Linear output
// [B, T, 3·D], read as [B, T, 3, H, Dh] (q = 0, k = 1, v = 2); output [B, T, D] with heads merged.
// Fused kernel: parallel over B×H; each (b, h) reads its q/k/v in place through the GEMMs' row
// strides (3·D), with no gather or transpose copies, and writes its output columns directly.
// S = scale·q·kᵀ, P = softmax(S), O = drop(P)·v. P is saved for backward.

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
    ///   - probabilityGradient: if given, backward stores dP = ∂L/∂P [B, H, T, T] in it (the
    ///     gradient reaching P, through the dropout mask, before the softmax backward).
    /// - Returns: the attention output [B, T, D] and, if asked, the probabilities.
    public static func multiHeadAttention(qkv: Tensor, heads: Int, scale: Float, dropout: Float = 0,
                                          rng: inout RandomGenerator,
                                          keepProbabilities: Bool = false,
                                          probabilityGradient: AttentionProbabilityGradient? = nil) -> (output: Tensor, probabilities: Tensor?) {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                     "multiHeadAttention needs qkv [B, T, 3·D] with D divisible by heads \(heads), got \(qkv.shape)")
        precondition(dropout >= 0 && dropout < 1, "attention dropout \(dropout) is outside [0, 1)")
        let b = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3
        let h = heads, dh = d / heads
        let items = b * h

        // Dropout mask over P, [B, H, T, T], scaled by 1/(1−p); one draw from rng seeds it.
        let mask: [Float]? = dropout > 0 ? DropoutMask.make(count: items * t * t, probability: dropout, rng: &rng) : nil

        // Every element of both is written below, so neither is zero-filled first.
        var probabilities = [Float](unsafeUninitializedCapacity: items * t * t) { _, n in n = items * t * t }  // [B, H, T, T]
        var out = [Float](unsafeUninitializedCapacity: b * t * d) { _, n in n = b * t * d }                      // [B, T, D]
        probabilities.withUnsafeMutableBufferPointer { pAll in
            out.withUnsafeMutableBufferPointer { o in
                qkv.data.withUnsafeBufferPointer { x in
                    Parallel.forEach(items) { item in
                        let bi = item / h, hi = item % h
                        let p = pAll.baseAddress! + item * t * t
                        let q = x.baseAddress! + bi * t * 3 * d + hi * dh, k = q + d, v = q + 2 * d
                        // S = scale · q · kᵀ   [T, T]
                        BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh, alpha: scale,
                                   a: q, lda: 3 * d, b: k, ldb: 3 * d, c: p, ldc: t)
                        for row in 0..<t {
                            softmaxRow(p + row * t, p + row * t, length: t, stride: 1, logarithm: false)
                        }
                        // O = drop(P) · v   [T, Dh], straight into out[b, :, h·Dh ..< (h+1)·Dh]
                        let target = o.baseAddress! + bi * t * d + hi * dh
                        if let mask {
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: t * t) { scratch in
                                let dropped = scratch.baseAddress!
                                mask.withUnsafeBufferPointer { m in
                                    let mm = m.baseAddress! + item * t * t
                                    for i in 0..<(t * t) { dropped[i] = p[i] * mm[i] }
                                }
                                BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t,
                                           a: dropped, lda: t, b: v, ldb: 3 * d, c: target, ldc: d)
                            }
                        } else {
                            BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t,
                                       a: p, lda: t, b: v, ldb: 3 * d, c: target, ldc: d)
                        }
                    }
                }
            }
        }
        let output = Tensor(shape: [b, t, d], data: out)
        let kept = keepProbabilities ? Tensor(shape: [b, h, t, t], data: probabilities) : nil

        Tensor.record(output, parents: [qkv]) { g in
            // [B, H, T, T], only when a sink asks for it; each (b, h) writes its own slice.
            var probabilityGrad = [Float](repeating: 0, count: probabilityGradient == nil ? 0 : items * t * t)
            probabilityGrad.withUnsafeMutableBufferPointer { dPAll in
            // Each of dQ, dK, dV is written by exactly one GEMM per (b, h), so a fresh gradient
            // buffer needs no zero fill: those GEMMs then assign (beta 0) instead of adding.
            qkv.withGradBuffer(assigningIfFresh: { dqkv, fresh in
                let beta: Float = fresh ? 0 : 1
                g.withUnsafeBufferPointer { dOut in
                    qkv.data.withUnsafeBufferPointer { x in
                        probabilities.withUnsafeBufferPointer { pAll in
                            Parallel.forEach(items) { item in
                                let bi = item / h, hi = item % h
                                let p = pAll.baseAddress! + item * t * t
                                let q = x.baseAddress! + bi * t * 3 * d + hi * dh, k = q + d, v = q + 2 * d
                                let dO = dOut.baseAddress! + bi * t * d + hi * dh          // row stride D
                                // Each (b, h) owns its own columns of dqkv, so threads never collide
                                // and the GEMMs accumulate into them directly (beta 1).
                                let dQ = dqkv.baseAddress! + bi * t * 3 * d + hi * dh, dK = dQ + d, dV = dQ + 2 * d
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * t * t) { scratch in
                                    let dS = scratch.baseAddress!, dropped = dS + t * t
                                    var weights = p
                                    if let mask {
                                        mask.withUnsafeBufferPointer { m in
                                            let mm = m.baseAddress! + item * t * t
                                            for i in 0..<(t * t) { dropped[i] = p[i] * mm[i] }
                                        }
                                        weights = UnsafePointer(dropped)
                                    }
                                    // dV += drop(P)ᵀ · dO
                                    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
                                               a: weights, lda: t, b: dO, ldb: d, beta: beta, c: dV, ldc: 3 * d)
                                    // d drop(P) = dO · vᵀ, then through the mask: dP
                                    BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh,
                                               a: dO, lda: d, b: v, ldb: 3 * d, c: dS, ldc: t)
                                    if let mask {
                                        mask.withUnsafeBufferPointer { m in
                                            let mm = m.baseAddress! + item * t * t
                                            for i in 0..<(t * t) { dS[i] *= mm[i] }
                                        }
                                    }
                                    if let sink = dPAll.baseAddress, !dPAll.isEmpty {
                                        (sink + item * t * t).update(from: dS, count: t * t)
                                    }
                                    // dS = P ∘ (dP − rowsum(dP ∘ P))
                                    for row in 0..<t {
                                        let pr = p + row * t, dr = dS + row * t
                                        let dot = RowMath.dot(pr, dr, count: t)
                                        for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
                                    }
                                    // dQ += scale · dS · k,  dK += scale · dSᵀ · q
                                    BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                               a: dS, lda: t, b: k, ldb: 3 * d, beta: beta, c: dQ, ldc: 3 * d)
                                    BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                                               a: dS, lda: t, b: q, ldb: 3 * d, beta: beta, c: dK, ldc: 3 * d)
                                }
                            }
                        }
                    }
                }
            })
            }
            if let probabilityGradient {
                probabilityGradient.value = Tensor(shape: [b, h, t, t], data: probabilityGrad)
            }
        }
        return (output, kept)
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
