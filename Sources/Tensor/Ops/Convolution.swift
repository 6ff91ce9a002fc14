// 2-D convolution, NCHW, PyTorch weight layout. Legend: N images, C input channels, H×W input,
// O output channels, kH×kW kernel, Ho×Wo output, K = C·kH·kW (one im2col row per weight column).
// General path: per image, im2col [K, Ho·Wo] then out = W [O, K] · cols through sgemm, images in
// parallel. Patch path (kernel == stride, no padding: the ViT patch embedding): patches are a
// pure rearrangement of the input, so the whole batch is one GEMM [N·Ho·Wo, K] · Wᵀ.
// im2col and col2im are CKernels' loops (conv_kernels.c).

import CKernels

extension Tensor {
    /// Cross-correlation as `torch.nn.functional.conv2d`: input [N, C, H, W], weight [O, C, kH, kW],
    /// bias [O] or nil; output [N, O, Ho, Wo] with Ho = (H + 2·padding − kH) / stride + 1.
    public func conv2d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d needs input [N, C, H, W] and weight [O, C, kH, kW], got \(shape) and \(weight.shape)")
        precondition(stride >= 1 && padding >= 0, "conv2d stride \(stride) / padding \(padding) are invalid")
        let geometry = ConvGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        precondition(geometry.ho > 0 && geometry.wo > 0,
                     "conv2d kernel \(weight.shape) does not fit input \(shape) with padding \(padding)")
        if let bias {
            precondition(bias.shape == [geometry.o], "conv2d bias shape \(bias.shape) does not match weight \(weight.shape)")
        }
        if geometry.kh == stride && geometry.kw == stride && padding == 0 {
            return patchConvolution(weight: weight, bias: bias, geometry: geometry)
        }
        return im2colConvolution(weight: weight, bias: bias, geometry: geometry)
    }

    private func im2colConvolution(weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) -> Tensor {
        let spatial = g.ho * g.wo, kk = g.k
        let outCount = g.n * g.o * spatial   // [N, O, Ho·Wo], every element written below
        var out = [Float](unsafeUninitializedCapacity: outCount) { _, count in count = outCount }
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                weight.data.withUnsafeBufferPointer { w in
                    Parallel.forEach(g.n) { image in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: kk * spatial) { cols in
                            g.im2col(x.baseAddress! + image * g.imageSize, into: cols.baseAddress!)
                            let y = o.baseAddress! + image * g.o * spatial
                            if let bias {
                                for oc in 0..<g.o {
                                    let value = bias.data[oc]
                                    for i in 0..<spatial { y[oc * spatial + i] = value }
                                }
                            }
                            BLAS.sgemm(transposeA: false, transposeB: false, m: g.o, n: spatial, k: kk,
                                       a: w.baseAddress!, b: cols.baseAddress!, beta: bias == nil ? 0 : 1, c: y)
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: [g.n, g.o, g.ho, g.wo], data: out)
        let input = self
        Tensor.record(result, parents: [input, weight] + (bias.map { [$0] } ?? [])) { dOut in
            if let bias, bias.requiresGrad {
                bias.accumulateGrad(ConvGeometry.channelSums(dOut, n: g.n, channels: g.o, spatial: spatial))
            }
            guard input.requiresGrad || weight.requiresGrad else { return }
            // Images split into one chunk per thread; each chunk accumulates its own dW.
            let chunks = min(Parallel.threadCount, g.n)
            var partialWeightGrads = [Float](repeating: 0, count: weight.requiresGrad ? chunks * g.o * kk : 0)
            var dInput = [Float](repeating: 0, count: input.requiresGrad ? input.count : 0)
            partialWeightGrads.withUnsafeMutableBufferPointer { dwAll in
                dInput.withUnsafeMutableBufferPointer { dx in
                    dOut.withUnsafeBufferPointer { dy in
                        input.data.withUnsafeBufferPointer { x in
                            weight.data.withUnsafeBufferPointer { w in
                                Parallel.forEach(chunks) { chunk in
                                    withUnsafeTemporaryAllocation(of: Float.self, capacity: kk * spatial) { cols in
                                        for image in (g.n * chunk / chunks)..<(g.n * (chunk + 1) / chunks) {
                                            let dyImage = dy.baseAddress! + image * g.o * spatial
                                            if weight.requiresGrad {
                                                // dW += dY [O, Ho·Wo] · colsᵀ
                                                g.im2col(x.baseAddress! + image * g.imageSize, into: cols.baseAddress!)
                                                BLAS.sgemm(transposeA: false, transposeB: true, m: g.o, n: kk, k: spatial,
                                                           a: dyImage, b: cols.baseAddress!, beta: 1,
                                                           c: dwAll.baseAddress! + chunk * g.o * kk)
                                            }
                                            if input.requiresGrad {
                                                // dcols = Wᵀ · dY, folded back onto the image.
                                                BLAS.sgemm(transposeA: true, transposeB: false, m: kk, n: spatial, k: g.o,
                                                           a: w.baseAddress!, b: dyImage, c: cols.baseAddress!)
                                                g.col2im(cols.baseAddress!, into: dx.baseAddress! + image * g.imageSize)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if input.requiresGrad { input.accumulateGrad(dInput) }
            if weight.requiresGrad {
                var dw = [Float](repeating: 0, count: g.o * kk)
                for chunk in 0..<chunks {
                    for i in 0..<dw.count { dw[i] += partialWeightGrads[chunk * g.o * kk + i] }
                }
                weight.accumulateGrad(dw)
            }
        }
        return result
    }

    private func patchConvolution(weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) -> Tensor {
        let spatial = g.ho * g.wo, kk = g.k, rows = g.n * spatial
        // patches [N·Ho·Wo, K]: row (n, oh, ow), column (c, i, j) = x[n, c, oh·k + i, ow·k + j]
        var patches = [Float](repeating: 0, count: rows * kk)
        patches.withUnsafeMutableBufferPointer { p in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(rows, costPerItem: kk) { range in
                    for row in range { g.copyPatch(row, from: x.baseAddress!, to: p.baseAddress! + row * kk) }
                }
            }
        }
        var product = [Float](repeating: 0, count: rows * g.o)   // [N·Ho·Wo, O]
        product.withUnsafeMutableBufferPointer { y in
            patches.withUnsafeBufferPointer { p in
                weight.data.withUnsafeBufferPointer { w in
                    BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: g.o, k: kk,
                               a: p.baseAddress!, b: w.baseAddress!, c: y.baseAddress!)
                }
            }
        }
        // [N, Ho·Wo, O] → [N, O, Ho·Wo], adding the bias on the way.
        var out = [Float](repeating: 0, count: rows * g.o)
        out.withUnsafeMutableBufferPointer { o in
            product.withUnsafeBufferPointer { y in
                Parallel.forRanges(g.n * g.o, costPerItem: spatial) { range in
                    for item in range {
                        let image = item / g.o, oc = item % g.o
                        let shift = bias?.data[oc] ?? 0
                        let src = y.baseAddress! + image * spatial * g.o + oc
                        let dst = o.baseAddress! + item * spatial
                        for s in 0..<spatial { dst[s] = src[s * g.o] + shift }
                    }
                }
            }
        }
        let result = Tensor(shape: [g.n, g.o, g.ho, g.wo], data: out)
        let input = self
        Tensor.record(result, parents: [input, weight] + (bias.map { [$0] } ?? [])) { dOut in
            if let bias, bias.requiresGrad {
                bias.accumulateGrad(ConvGeometry.channelSums(dOut, n: g.n, channels: g.o, spatial: spatial))
            }
            // dY [N·Ho·Wo, O] is dOut with its channel and spatial axes swapped back.
            let dY = Tensor.permute(dOut, shape: [g.n, g.o, spatial], axes: [0, 2, 1])
            dY.withUnsafeBufferPointer { dy in
                if weight.requiresGrad {
                    patches.withUnsafeBufferPointer { p in
                        weight.withGradBuffer { dw in
                            // dW [O, K] += dYᵀ · patches
                            BLAS.sgemm(transposeA: true, transposeB: false, m: g.o, n: kk, k: rows,
                                       a: dy.baseAddress!, b: p.baseAddress!, beta: 1, c: dw.baseAddress!)
                        }
                    }
                }
                if input.requiresGrad {
                    var dPatches = [Float](repeating: 0, count: rows * kk)   // [N·Ho·Wo, K] = dY · W
                    dPatches.withUnsafeMutableBufferPointer { dp in
                        weight.data.withUnsafeBufferPointer { w in
                            BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: kk, k: g.o,
                                       a: dy.baseAddress!, b: w.baseAddress!, c: dp.baseAddress!)
                        }
                        input.withGradBuffer { dx in
                            // Patches never overlap, so every input element gets at most one write.
                            Parallel.forRanges(rows, costPerItem: kk) { range in
                                for row in range { g.addPatch(row, from: dp.baseAddress! + row * kk, to: dx.baseAddress!) }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Sizes and index rules of one convolution (or pooling) geometry.
struct ConvGeometry {
    let n: Int, c: Int, h: Int, w: Int
    let o: Int, kh: Int, kw: Int
    let stride: Int, padding: Int
    let ho: Int, wo: Int

    init(input: [Int], weight: [Int], stride: Int, padding: Int) {
        (n, c, h, w) = (input[0], input[1], input[2], input[3])
        (o, kh, kw) = (weight[0], weight[2], weight[3])
        self.stride = stride
        self.padding = padding
        ho = (h + 2 * padding - kh) / stride + 1
        wo = (w + 2 * padding - kw) / stride + 1
    }

    var k: Int { c * kh * kw }
    var imageSize: Int { c * h * w }

    /// cols [K, Ho·Wo]: row (c, i, j), column (oh, ow) = x[c, oh·s − p + i, ow·s − p + j] or 0.
    func im2col(_ x: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        vt_im2col(x, c, h, w, kh, kw, stride, padding, ho, wo, cols)
    }

    /// The adjoint of `im2col`: adds each column entry back onto the input element it came from.
    func col2im(_ cols: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        vt_col2im(cols, c, h, w, kh, kw, stride, padding, ho, wo, dx)
    }

    /// Patch path: copies patch `row` (= (n·Ho + oh)·Wo + ow) of the batch into K contiguous floats.
    @inline(__always)
    func copyPatch(_ row: Int, from x: UnsafePointer<Float>, to patch: UnsafeMutablePointer<Float>) {
        let image = row / (ho * wo), oh = (row / wo) % ho, ow = row % wo
        for ch in 0..<c {
            for i in 0..<kh {
                let src = x + ((image * c + ch) * h + oh * kh + i) * w + ow * kw
                (patch + (ch * kh + i) * kw).update(from: src, count: kw)
            }
        }
    }

    /// Patch path backward: adds a patch's gradient back onto the input positions it covers.
    @inline(__always)
    func addPatch(_ row: Int, from patch: UnsafePointer<Float>, to dx: UnsafeMutablePointer<Float>) {
        let image = row / (ho * wo), oh = (row / wo) % ho, ow = row % wo
        for ch in 0..<c {
            for i in 0..<kh {
                let dst = dx + ((image * c + ch) * h + oh * kh + i) * w + ow * kw
                let src = patch + (ch * kh + i) * kw
                for j in 0..<kw { dst[j] += src[j] }
            }
        }
    }

    /// Σ over images and positions of a [N, channels, spatial] gradient: a bias gradient.
    static func channelSums(_ g: [Float], n: Int, channels: Int, spatial: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: channels)
        g.withUnsafeBufferPointer { gp in
            for image in 0..<n {
                for ch in 0..<channels {
                    let base = (image * channels + ch) * spatial
                    var total: Float = 0
                    for s in 0..<spatial { total += gp[base + s] }
                    sums[ch] += total
                }
            }
        }
        return sums
    }
}
