// 2-D max and average pooling over NCHW, as torch.nn.MaxPool2d / AvgPool2d (floor output size,
// implicit −∞ / zero padding; average divides by kernel² including padding, count_include_pad).
// Each of the N·C planes is independent and runs in parallel. Max pooling saves the argmax; its
// forward loop is CKernels' vt_max_pool2d.

import CKernels

extension Tensor {
    /// Max over each kernel×kernel window; padding counts as −∞ (at most kernel / 2, as PyTorch).
    public func maxPool2d(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        let g = poolGeometry(kernel: kernel, stride: stride, padding: padding, op: "maxPool2d")
        let planes = g.n * g.c, inPlane = g.h * g.w, outPlane = g.ho * g.wo
        let outCount = planes * outPlane   // every element of both is written by the kernel
        var out = [Float](unsafeUninitializedCapacity: outCount) { _, count in count = outCount }
        var argmax = [Int32](unsafeUninitializedCapacity: outCount) { _, count in count = outCount }   // index within the input plane
        // Which input element each window tap reads, built once and shared by the threads.
        var windows = [Int32](repeating: 0, count: (kernel * kernel + 1) * outPlane)
        vt_max_pool2d_windows(g.h, g.w, kernel, stride, padding, g.ho, g.wo, &windows)
        out.withUnsafeMutableBufferPointer { o in
            argmax.withUnsafeMutableBufferPointer { am in
                data.withUnsafeBufferPointer { x in
                    windows.withUnsafeBufferPointer { table in
                        Parallel.forRanges(planes, costPerItem: outPlane * kernel * kernel) { range in
                            let first = range.lowerBound
                            vt_max_pool2d(x.baseAddress! + first * inPlane, range.count, inPlane, outPlane,
                                          kernel * kernel, table.baseAddress!, o.baseAddress! + first * outPlane,
                                          am.baseAddress! + first * outPlane)
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: [g.n, g.c, g.ho, g.wo], data: out)
        let input = self
        Tensor.record(result, parents: [input]) { dOut in
            input.withGradBuffer { dx in
                Parallel.forRanges(planes, costPerItem: outPlane) { range in
                    for plane in range {
                        for k in (plane * outPlane)..<((plane + 1) * outPlane) {
                            dx[plane * inPlane + Int(argmax[k])] += dOut[k]
                        }
                    }
                }
            }
        }
        return result
    }

    /// Mean over each kernel×kernel window, zero padding included in the count (divisor kernel²).
    public func avgPool2d(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        let g = poolGeometry(kernel: kernel, stride: stride, padding: padding, op: "avgPool2d")
        let planes = g.n * g.c, inPlane = g.h * g.w, outPlane = g.ho * g.wo
        let inverse = 1 / Float(kernel * kernel)
        // Visits the in-bounds input positions of output (oh, ow).
        func window(_ oh: Int, _ ow: Int, _ body: (Int) -> Void) {
            for i in 0..<kernel {
                let ih = oh * stride - padding + i
                if ih < 0 || ih >= g.h { continue }
                for j in 0..<kernel {
                    let iw = ow * stride - padding + j
                    if iw >= 0 && iw < g.w { body(ih * g.w + iw) }
                }
            }
        }
        var out = [Float](repeating: 0, count: planes * outPlane)
        out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { x in
                Parallel.forRanges(planes, costPerItem: outPlane * kernel * kernel) { range in
                    for plane in range {
                        let xp = x.baseAddress! + plane * inPlane
                        for oh in 0..<g.ho {
                            for ow in 0..<g.wo {
                                var total: Float = 0
                                window(oh, ow) { total += xp[$0] }
                                o[plane * outPlane + oh * g.wo + ow] = total * inverse
                            }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: [g.n, g.c, g.ho, g.wo], data: out)
        let input = self
        Tensor.record(result, parents: [input]) { dOut in
            input.withGradBuffer { dx in
                Parallel.forRanges(planes, costPerItem: outPlane * kernel * kernel) { range in
                    for plane in range {
                        let dp = dx.baseAddress! + plane * inPlane
                        for oh in 0..<g.ho {
                            for ow in 0..<g.wo {
                                let share = dOut[plane * outPlane + oh * g.wo + ow] * inverse
                                window(oh, ow) { dp[$0] += share }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    private func poolGeometry(kernel: Int, stride: Int, padding: Int, op: String) -> ConvGeometry {
        precondition(rank == 4, "\(op) needs input [N, C, H, W], got \(shape)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding <= kernel / 2,
                     "\(op) kernel \(kernel), stride \(stride), padding \(padding) are invalid (padding ≤ kernel / 2)")
        let g = ConvGeometry(input: shape, weight: [shape[1], 1, kernel, kernel], stride: stride, padding: padding)
        precondition(g.ho > 0 && g.wo > 0, "\(op) kernel \(kernel) does not fit input \(shape) with padding \(padding)")
        return g
    }
}
