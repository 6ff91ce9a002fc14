// conv2d: a tiny hand-computed case, agreement with a direct (six nested loops) convolution for
// the im2col and patch paths, and finite-difference gradients for input, weight and bias.

import XCTest
import Tensor

final class ConvolutionTests: XCTestCase {
    /// Direct convolution, the definition itself: out[n,o,y,x] = b[o] + Σ w[o,c,i,j]·in[n,c,y·s−p+i, x·s−p+j].
    func directConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> [Float] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let ho = (h + 2 * padding - kh) / stride + 1, wo = (wd + 2 * padding - kw) / stride + 1
        var out = [Float](repeating: 0, count: n * o * ho * wo)
        for im in 0..<n {
            for oc in 0..<o {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var total: Float = b?.data[oc] ?? 0
                        for ic in 0..<c {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let iy = oy * stride - padding + i, ix = ox * stride - padding + j
                                    if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                                    total += w.data[((oc * c + ic) * kh + i) * kw + j] * x.data[((im * c + ic) * h + iy) * wd + ix]
                                }
                            }
                        }
                        out[((im * o + oc) * ho + oy) * wo + ox] = total
                    }
                }
            }
        }
        return out
    }

    func testTinyKnownCase() {
        // 3×3 input 1…9, kernel [[1, 0], [0, 1]]: out = x[i, j] + x[i+1, j+1], plus bias 0.5.
        let x = Tensor(shape: [1, 1, 3, 3], data: (1...9).map { Float($0) })
        let w = Tensor(shape: [1, 1, 2, 2], data: [1, 0, 0, 1])
        let y = x.conv2d(weight: w, bias: Tensor(shape: [1], data: [0.5]))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.data, [6.5, 8.5, 12.5, 14.5])
        // Padding 1: the corner output sees only x[0, 0] (through the kernel's bottom-right 1).
        let padded = x.conv2d(weight: w, bias: nil, padding: 1)
        XCTAssertEqual(padded.shape, [1, 1, 4, 4])
        XCTAssertEqual(Array(padded.data[0..<4]), [1, 2, 3, 0])
        XCTAssertEqual(padded.data[5], 6)   // x[0, 0] + x[1, 1]
        // Patch path (kernel == stride): 2×2 patches of a 4×4 input summed by an all-ones kernel.
        let square = Tensor(shape: [1, 1, 4, 4], data: (0..<16).map { Float($0) })
        let patches = square.conv2d(weight: Tensor.ones([1, 1, 2, 2]), bias: nil, stride: 2)
        let expected: [Float] = [10, 18, 42, 50]   // 0+1+4+5, 2+3+6+7, 8+9+12+13, 10+11+14+15
        XCTAssertEqual(patches.data, expected)
    }

    func testMatchesDirectConvolution() {
        let cases: [(input: [Int], weight: [Int], stride: Int, padding: Int)] = [
            ([2, 3, 7, 6], [4, 3, 3, 3], 1, 1),
            ([2, 3, 7, 6], [4, 3, 3, 3], 2, 0),
            ([2, 3, 7, 6], [5, 3, 1, 1], 1, 0),
            ([2, 3, 7, 6], [4, 3, 3, 3], 2, 1),    // strided and padded: the im2col spans' edges
            ([1, 2, 5, 4], [3, 2, 5, 5], 3, 2),
            ([1, 1, 3, 3], [2, 1, 5, 5], 1, 2),    // kernel wider than the image
            ([3, 3, 8, 12], [6, 3, 4, 4], 4, 0),   // patch path
            ([2, 2, 9, 7], [3, 2, 2, 2], 2, 0),    // patch path, sizes not multiples of the patch
        ]
        for (i, c) in cases.enumerated() {
            let x = randomTensor(c.input, seed: UInt64(30 + i)), w = randomTensor(c.weight, seed: UInt64(40 + i))
            let b = randomTensor([c.weight[0]], seed: UInt64(50 + i))
            for bias in [b, nil] {
                let y = x.conv2d(weight: w, bias: bias, stride: c.stride, padding: c.padding)
                let expected = directConvolution(x, w, bias, stride: c.stride, padding: c.padding)
                XCTAssertLessThan(maxDifference(y.data, expected), 1e-4, "case \(i) bias \(bias != nil)")
            }
        }
    }

    func testGradients() {
        let x = randomTensor([2, 3, 5, 5], seed: 60)
        let w = randomTensor([4, 3, 3, 3], seed: 61, scale: 0.5)
        let b = randomTensor([4], seed: 62)
        assertGradient("conv2d stride 1 pad 1 bias", [x, w, b], tolerance: 1e-3) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 1, padding: 1)
        }
        assertGradient("conv2d stride 2 pad 0 no bias", [x, w], tolerance: 1e-3) {
            $0[0].conv2d(weight: $0[1], bias: nil, stride: 2, padding: 0)
        }
        assertGradient("conv2d stride 2 pad 1 no bias", [x, w], tolerance: 1e-3) {
            $0[0].conv2d(weight: $0[1], bias: nil, stride: 2, padding: 1)
        }
        let px = randomTensor([2, 3, 4, 6], seed: 63)
        let pw = randomTensor([5, 3, 2, 2], seed: 64, scale: 0.5)
        let pb = randomTensor([5], seed: 65)
        assertGradient("conv2d patch path bias", [px, pw, pb], tolerance: 1e-3) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 2)
        }
        assertGradient("conv2d patch path no bias", [px, pw], tolerance: 1e-3) {
            $0[0].conv2d(weight: $0[1], bias: nil, stride: 2)
        }
    }
}
