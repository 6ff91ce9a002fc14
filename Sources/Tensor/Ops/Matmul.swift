// Matrix products through cblas_sgemm. Legend: op(A) is M×K, op(B) is K×N, C is M×N.
// Transposes are BLAS flags, never copies. Batched products run their small GEMMs in parallel
// over the batch; a rank-2 right operand (a weight) is shared by folding the batch into M.

extension Tensor {
    /// op(self) · op(other), where op transposes the last two axes when asked.
    ///
    /// Shapes: self [..., M, K] (or [..., K, M] when `transposeSelf`), other [..., K, N]
    /// (or [..., N, K] when `transposeOther`). The leading batch axes must match, or `other`
    /// must be rank 2 and is then shared across the batch.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2,
                     "matmul needs rank ≥ 2 operands, got shapes \(shape) and \(other.shape)")
        let (tA, tB) = (transposeSelf, transposeOther)
        let m = tA ? shape[rank - 1] : shape[rank - 2]
        let k = tA ? shape[rank - 2] : shape[rank - 1]
        let kB = tB ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let n = tB ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        let batchShape = Array(shape.dropLast(2))
        let sharedWeight = other.rank == 2
        precondition(k == kB && (sharedWeight || Array(other.shape.dropLast(2)) == batchShape),
                     "matmul shapes \(shape)\(tA ? "ᵀ" : "") and \(other.shape)\(tB ? "ᵀ" : "") do not fit")
        let batch = batchShape.reduce(1, *)
        let outShape = batchShape + [m, n]

        // A shared weight with an untransposed batch is one tall GEMM: [batch·M, K] · op(B).
        let foldBatch = sharedWeight && !tA
        var out = [Float](repeating: 0, count: batch * m * n)
        out.withUnsafeMutableBufferPointer { c in
            data.withUnsafeBufferPointer { a in
                other.data.withUnsafeBufferPointer { b in
                    if foldBatch {
                        BLAS.sgemm(transposeA: false, transposeB: tB, m: batch * m, n: n, k: k,
                                   a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
                    } else {
                        let bStride = sharedWeight ? 0 : k * n
                        Tensor.batchedGEMM(batch: batch, perItemWork: m * n * k) { i in
                            BLAS.sgemm(transposeA: tA, transposeB: tB, m: m, n: n, k: k,
                                       a: a.baseAddress! + i * m * k, b: b.baseAddress! + i * bStride,
                                       c: c.baseAddress! + i * m * n)
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: outShape, data: out)
        let (lhs, rhs) = (self, other)
        Tensor.record(result, parents: [lhs, rhs]) { g in
            g.withUnsafeBufferPointer { gc in
                let dC = gc.baseAddress!
                if lhs.requiresGrad {
                    rhs.data.withUnsafeBufferPointer { b in
                        lhs.withGradBuffer { ga in
                            let dA = ga.baseAddress!, B = b.baseAddress!
                            if foldBatch {
                                // dA = dC · op(B)ᵀ
                                BLAS.sgemm(transposeA: false, transposeB: !tB, m: batch * m, n: k, k: n,
                                           a: dC, b: B, beta: 1, c: dA)
                                return
                            }
                            let bStride = sharedWeight ? 0 : k * n
                            Tensor.batchedGEMM(batch: batch, perItemWork: m * n * k) { i in
                                if tA {   // A is K×M: dA = op(B) · dCᵀ
                                    BLAS.sgemm(transposeA: tB, transposeB: true, m: k, n: m, k: n,
                                               a: B + i * bStride, b: dC + i * m * n, beta: 1, c: dA + i * m * k)
                                } else {  // dA = dC · op(B)ᵀ
                                    BLAS.sgemm(transposeA: false, transposeB: !tB, m: m, n: k, k: n,
                                               a: dC + i * m * n, b: B + i * bStride, beta: 1, c: dA + i * m * k)
                                }
                            }
                        }
                    }
                }
                if rhs.requiresGrad {
                    lhs.data.withUnsafeBufferPointer { a in
                        rhs.withGradBuffer { gb in
                            let dB = gb.baseAddress!, A = a.baseAddress!
                            if sharedWeight {
                                // The weight's gradient sums over the batch: a sequential loop of
                                // accumulating GEMMs (or one tall GEMM when the batch is folded).
                                let rows = foldBatch ? 1 : batch
                                let mm = foldBatch ? batch * m : m
                                for i in 0..<rows {
                                    Tensor.weightGradient(tA: tA, tB: tB, m: mm, n: n, k: k,
                                                          a: A + i * m * k, dC: dC + i * m * n, dB: dB)
                                }
                                return
                            }
                            Tensor.batchedGEMM(batch: batch, perItemWork: m * n * k) { i in
                                Tensor.weightGradient(tA: tA, tB: tB, m: m, n: n, k: k,
                                                      a: A + i * m * k, dC: dC + i * m * n, dB: dB + i * k * n)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// dB += for one product: op(A)ᵀ · dC when B is K×N, or dCᵀ · op(A) when B is stored N×K.
    @inline(__always)
    private static func weightGradient(tA: Bool, tB: Bool, m: Int, n: Int, k: Int,
                                       a: UnsafePointer<Float>, dC: UnsafePointer<Float>,
                                       dB: UnsafeMutablePointer<Float>) {
        if tB {
            BLAS.sgemm(transposeA: true, transposeB: tA, m: n, n: k, k: m, a: dC, b: a, beta: 1, c: dB)
        } else {
            BLAS.sgemm(transposeA: !tA, transposeB: false, m: k, n: n, k: m, a: a, b: dC, beta: 1, c: dB)
        }
    }

    /// Runs one GEMM per batch item. Small GEMMs (attention's per-head products) are spread over
    /// our threads; large ones run in turn and let OpenBLAS use the threads itself.
    static func batchedGEMM(batch: Int, perItemWork: Int, _ body: (Int) -> Void) {
        if batch > 1 && perItemWork < 1 << 21 {
            Parallel.forEach(batch, body)
        } else {
            for i in 0..<batch { body(i) }
        }
    }
}
