// One (batch, head) of multi-head attention, forward and backward, in two implementations: the
// fused C kernel (attention_kernels.c: scores, softmax and P·v in one pass that stays in cache)
// and the three-call reference (OpenBLAS products around the row softmax), which the tests
// compare the kernel with. Legend: T tokens, Dh head dim, D = H·Dh; q, k, v are column slices of
// timm's packed qkv rows (row stride 3·D).

import CKernels

/// How `Tensor.multiHeadAttention` computes each (batch, head).
public enum AttentionKernel: String, Sendable {
    /// The fused kernel where it has vector code (the AVX2 and AVX-512 levels), else the three
    /// calls: the fused kernel's portable loop is 3–8× slower than OpenBLAS's small products.
    case automatic
    /// One C kernel call per (batch, head) forward and one backward.
    case fused
    /// Scores, softmax and P·v as separate calls (two OpenBLAS products forward, four backward).
    case threeCalls

    /// The implementation in use; tests and benchmarks switch it, nothing else does.
    nonisolated(unsafe) public static var current = AttentionKernel.automatic

    /// What `current` resolves to at the current CPU level.
    public static var effective: AttentionKernel {
        guard current == .automatic else { return current }
        return CPULevel.current >= .avx2 ? .fused : .threeCalls
    }
}

struct AttentionHead {
    let q: UnsafePointer<Float>        // [T, Dh], row stride ld; k and v follow at +D and +2·D
    let ld: Int                        // 3·D
    let t: Int
    let dh: Int
    let scale: Float
    let mask: UnsafePointer<Float>?    // [T, T] dropout mask scaled by 1/(1−p), or nil

    var k: UnsafePointer<Float> { q + ld / 3 }
    var v: UnsafePointer<Float> { q + 2 * (ld / 3) }

    /// P = softmax(scale·q·kᵀ) [T, T]; O = (P ∘ mask)·v [T, Dh] into `output` (row stride outputStride).
    func forward(probabilities p: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, outputStride: Int) {
        switch AttentionKernel.effective {
        case .fused, .automatic:
            vt_attention_forward(q, k, v, ld, t, dh, scale, mask, p, output, outputStride)
        case .threeCalls:
            BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh, alpha: scale,
                       a: q, lda: ld, b: k, ldb: ld, c: p, ldc: t)
            vt_softmax(p, p, t, t, 1, t, 0)
            withMaskedProbabilities(p) { weights in
                BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t,
                           a: weights, lda: t, b: v, ldb: ld, c: output, ldc: outputStride)
            }
        }
    }

    /// From dO [T, Dh] (row stride outputStride): dQ, dK, dV into `inputGradient` (laid out as
    /// q, row stride ld), assigned or added; ∂L/∂P [T, T] into `probabilityGradient` if given.
    func backward(probabilities p: UnsafePointer<Float>, outputGradient dO: UnsafePointer<Float>, outputStride: Int,
                  inputGradient dQ: UnsafeMutablePointer<Float>, accumulate: Bool,
                  probabilityGradient: UnsafeMutablePointer<Float>?) {
        let dK = dQ + ld / 3, dV = dQ + 2 * (ld / 3)
        switch AttentionKernel.effective {
        case .fused, .automatic:
            vt_attention_backward(q, k, v, ld, p, mask, dO, outputStride, t, dh, scale, dQ, dK, dV, ld,
                                  accumulate ? 1 : 0, probabilityGradient)
        case .threeCalls:
            let beta: Float = accumulate ? 1 : 0
            // dV (+)= drop(P)ᵀ · dO
            withMaskedProbabilities(p) { weights in
                BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t,
                           a: weights, lda: t, b: dO, ldb: outputStride, beta: beta, c: dV, ldc: ld)
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: t * t) { scratch in
                let dS = scratch.baseAddress!
                // d drop(P) = dO · vᵀ, then through the mask: dP
                BLAS.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: dh,
                           a: dO, lda: outputStride, b: v, ldb: ld, c: dS, ldc: t)
                if let mask { for i in 0..<(t * t) { dS[i] *= mask[i] } }
                probabilityGradient?.update(from: dS, count: t * t)
                // dS = P ∘ (dP − rowsum(dP ∘ P))
                vt_softmax_backward(p, dS, dS, t, t, 1, t, 0)
                // dQ (+)= scale · dS · k,  dK (+)= scale · dSᵀ · q
                BLAS.sgemm(transposeA: false, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                           a: dS, lda: t, b: k, ldb: ld, beta: beta, c: dQ, ldc: ld)
                BLAS.sgemm(transposeA: true, transposeB: false, m: t, n: dh, k: t, alpha: scale,
                           a: dS, lda: t, b: q, ldb: ld, beta: beta, c: dK, ldc: ld)
            }
        }
    }

    /// `body` with P ∘ mask (a scratch copy), or P itself without a mask.
    private func withMaskedProbabilities(_ p: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> Void) {
        guard let mask else { return body(p) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: t * t) { scratch in
            let dropped = scratch.baseAddress!
            for i in 0..<(t * t) { dropped[i] = p[i] * mask[i] }
            body(dropped)
        }
    }
}
