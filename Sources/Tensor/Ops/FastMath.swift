// e^x without a library call, for code that needs a single value: the same polynomial as the
// vectorised row kernels in CKernels (vt_exp), so a scalar exp and a softmax row agree.
// Accuracy ≈ 2 ulp over the normal range; results below e^−87.3 flush to about 1e-38.

import CKernels

public enum FastMath {
    /// e^x for Float32, relative error below 3e-7 for x in [−87, 88]; clamps outside.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        var input = x, output: Float = 0
        vt_exp(&input, &output, 1)
        return output
    }

    /// y[i] = e^x[i] for i < count, vectorised at the current CPU level.
    public static func exp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        vt_exp(x, y, count)
    }
}
