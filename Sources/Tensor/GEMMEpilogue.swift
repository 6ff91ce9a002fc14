// What a matrix product adds to its result in the store (CKernels' VTEpilogue): a bias per
// column, a residual joined with a drop-path factor per row, the GELU derivative of a given
// matrix as a factor (the MLP backward), and a GELU copy. Our GEMM kernels
// apply it to each panel of C rows (14 or 6) while it is still in cache, so the activations take
// no second pass; other kernels (OpenBLAS, AMX) run the same code as a pass after the product.
// Each operation rounds as the separate ops do, so fused and unfused results are bit-identical.

import CKernels

/// C = residual + rowScale[i] · (C + bias[j]), then C = C · GELU′(geluDerivativeOf), then
/// geluOutput = GELU(C); every term optional.
/// Rows and columns count from the product's origin; the pointers must outlive the product.
public struct GEMMEpilogue {
    var raw: VTEpilogue

    /// - Parameters:
    ///   - bias: [N], added to every row.
    ///   - residual: [M rows, row stride `residualStride`] added after the bias; with `rowScale`
    ///     ([M]) the biased product is scaled per row first (drop path).
    ///   - geluDerivativeOf: [M rows, row stride `derivativeStride`], a GELU's input x: C, the
    ///     gradient of GELU(x), becomes the gradient of x (C · GELU′(x), as `Tensor.geluBackward`).
    ///   - geluOutput: [M rows, row stride `geluStride`] receives GELU of the result; it may be C
    ///     itself, when the pre-activation is not needed.
    public init(bias: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil, residualStride: Int = 0,
                rowScale: UnsafePointer<Float>? = nil, geluDerivativeOf: UnsafePointer<Float>? = nil,
                derivativeStride: Int = 0, geluOutput: UnsafeMutablePointer<Float>? = nil, geluStride: Int = 0) {
        precondition(rowScale == nil || residual != nil, "GEMMEpilogue: rowScale scales a residual branch only")
        raw = VTEpilogue(bias: bias, residual: residual, ldr: residualStride, rowScale: rowScale,
                         geluOut: geluOutput, ldg: geluStride, geluDerivativeOf: geluDerivativeOf,
                         ldp: derivativeStride)
    }

    /// The same epilogue for the block of C that starts at (row, column): what one band of a
    /// product split across threads applies.
    func offset(row: Int, column: Int) -> GEMMEpilogue {
        var moved = self
        moved.raw.bias = raw.bias.map { $0 + column }
        moved.raw.residual = raw.residual.map { $0 + row * raw.ldr + column }
        moved.raw.rowScale = raw.rowScale.map { $0 + row }
        moved.raw.geluOut = raw.geluOut.map { $0 + row * raw.ldg + column }
        moved.raw.geluDerivativeOf = raw.geluDerivativeOf.map { $0 + row * raw.ldp + column }
        return moved
    }

    /// `body` with a pointer to the epilogue's C struct, or nil without one (the C kernels take
    /// NULL for none).
    static func withPointer<R>(to epilogue: GEMMEpilogue?, _ body: (UnsafePointer<VTEpilogue>?) -> R) -> R {
        guard let epilogue else { return body(nil) }
        return withUnsafePointer(to: epilogue.raw) { body($0) }
    }

    /// Applies the epilogue to C [m × n] (row stride ldc) as a pass of its own.
    func apply(to c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int) {
        withUnsafePointer(to: raw) { vt_gemm_epilogue($0, c, ldc, 0, 0, m, n) }
    }
}
