// Multi-head self-attention, fused for the ViT, plus the general scaled dot-product form.
// Legend: B batch, T tokens, H heads, Dh head dim, D = H·Dh. qkv is timm's qkv Linear output
// [B, T, 3·D], read as [B, T, 3, H, Dh] (q = 0, k = 1, v = 2); output [B, T, D] with heads merged.
// Fused kernel: parallel over B×H; each (b, h) reads its q/k/v in place through the GEMMs' row
// strides (3·D), with no gather or transpose copies, and writes its output columns directly.
// S = scale·q·kᵀ, P = softmax(S), O = drop(P)·v. P is saved for backward.
// Per (b, h) one C kernel call (attention_kernels.c) computes scores, softmax and P·v in one pass
// that stays in cache, and one the backward; the three-call version (two OpenBLAS products around
// the softmax, four products backward) is kept as the reference the tests compare it with.

import CKernels
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
    ///   - probabilityGradient: if given, the backward pass stores ∂L/∂P [B, H, T, T] in it.
    /// - Returns: the attention output [B, T, D] and, if asked, the probabilities.
    public static func multiHeadAttention(qkv: Tensor, heads: Int, scale: Float, dropout: Float = 0,
                                          rng: inout RandomGenerator,
                                          keepProbabilities: Bool = false,
                                          probabilityGradient: AttentionProbabilityGradient? = nil)
        -> (output: Tensor, probabilities: Tensor?) {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                     "multiHeadAttention needs qkv [B, T, 3·D] with D divisible by heads \(heads), got \(qkv.shape)")
        precondition(dropout >= 0 && dropout < 1, "attention dropout \(dropout) is outside [0, 1)")
        let b = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3
        let h = heads, dh = d / heads
        let items = b * h

        // Dropout mask over P, [B, H, T, T], scaled by 1/(1−p); one draw from rng seeds it.
        let mask: [Float]? = dropout > 0 ? DropoutMask.make(count: items * t * t, probability: dropout, rng: &rng) : nil
        /// Item (b, h) = (item / H, item % H): its q in the packed qkv rows, and its mask.
        func head(_ item: Int, qkv x: UnsafePointer<Float>, masks: UnsafePointer<Float>?) -> AttentionHead {
            AttentionHead(q: x + (item / h) * t * 3 * d + (item % h) * dh, ld: 3 * d, t: t, dh: dh, scale: scale,
                          mask: masks.map { $0 + item * t * t })
        }

        // Every element of both is written below, so neither is zero-filled first.
        var probabilities = [Float](unsafeUninitializedCapacity: items * t * t) { _, n in n = items * t * t }  // [B, H, T, T]
        var out = [Float](unsafeUninitializedCapacity: b * t * d) { _, n in n = b * t * d }                      // [B, T, D]
        probabilities.withUnsafeMutableBufferPointer { pAll in
            out.withUnsafeMutableBufferPointer { o in
                qkv.data.withUnsafeBufferPointer { x in
                    withOptionalBuffer(mask) { maskAll in
                        Parallel.forEach(items) { item in
                            head(item, qkv: x.baseAddress!, masks: maskAll)
                                .forward(probabilities: pAll.baseAddress! + item * t * t,
                                         output: o.baseAddress! + (item / h) * t * d + (item % h) * dh, outputStride: d)
                        }
                    }
                }
            }
        }
        let output = Tensor(shape: [b, t, d], data: out)
        let kept = keepProbabilities ? Tensor(shape: [b, h, t, t], data: probabilities) : nil

        Tensor.record(output, parents: [qkv]) { g in
            // ∂L/∂P for every (b, h), [B, H, T, T], only when the caller asked for it.
            let keepsProbabilityGrad = probabilityGradient != nil
            var probabilityGrad = keepsProbabilityGrad ? [Float](repeating: 0, count: items * t * t) : []
            // Each (b, h) writes its own columns of dQ, dK and dV, so a fresh gradient buffer needs
            // no zero fill (the kernel assigns instead of adding) and threads never collide.
            qkv.withGradBuffer(assigningIfFresh: { dqkv, fresh in
                g.withUnsafeBufferPointer { dOut in
                    qkv.data.withUnsafeBufferPointer { x in
                        probabilities.withUnsafeBufferPointer { pAll in
                            probabilityGrad.withUnsafeMutableBufferPointer { dPAll in
                                withOptionalBuffer(mask) { maskAll in
                                    Parallel.forEach(items) { item in
                                        let bi = item / h, hi = item % h
                                        head(item, qkv: x.baseAddress!, masks: maskAll)
                                            .backward(probabilities: pAll.baseAddress! + item * t * t,
                                                      outputGradient: dOut.baseAddress! + bi * t * d + hi * dh,
                                                      outputStride: d,
                                                      inputGradient: dqkv.baseAddress! + bi * t * 3 * d + hi * dh,
                                                      accumulate: !fresh,
                                                      probabilityGradient: keepsProbabilityGrad
                                                          ? dPAll.baseAddress! + item * t * t : nil)
                                    }
                                }
                            }
                        }
                    }
                }
            })
            probabilityGradient?.value = Tensor(shape: [b, h, t, t], data: probabilityGrad)
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
