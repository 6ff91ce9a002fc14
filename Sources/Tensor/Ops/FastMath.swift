// Scalar exp written with no library call, so loops that use it (GELU, softmax) can be
// vectorised by the compiler; libm's expf is a call per element. Accuracy ≈ 2 ulp over the
// normal range; results below e^−87.3 flush to about 1e-38 rather than going subnormal.

public enum FastMath {
    /// e^x for Float32, relative error below 3e-7 for x in [−87, 88]; clamps outside.
    ///
    /// Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts, Cody & Waite,
    /// so n·ln2 is subtracted without rounding error), e^r by its degree-7 Taylor polynomial
    /// (truncation error r⁸/8! < 6e-9), and 2ⁿ put straight into the exponent bits.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.3), 88.3)
        // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits then hold n itself
        // (bit pattern 0x4B40_0000 + n), read without a checked Float→Int conversion, so the
        // loop stays branch-free and vectorises.
        let magic: Float = 12_582_912
        let biased = clamped * 1.442_695_04 + magic
        let n = biased - magic
        let r = (clamped - n * 0.693_359_375) - n * -2.121_944_4e-4
        // Horner steps as fused multiply-adds (`c + p·r` in one rounding; one instruction with FMA).
        var p: Float = 1.0 / 5040
        p = (1.0 / 720 as Float).addingProduct(p, r)
        p = (1.0 / 120 as Float).addingProduct(p, r)
        p = (1.0 / 24 as Float).addingProduct(p, r)
        p = (1.0 / 6 as Float).addingProduct(p, r)
        p = (0.5 as Float).addingProduct(p, r)
        p = (1 as Float).addingProduct(p, r)
        p = (1 as Float).addingProduct(p, r)
        let scale = Float(bitPattern: (biased.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return p * scale
    }
}
