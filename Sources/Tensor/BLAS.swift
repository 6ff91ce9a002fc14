// The single doorway to cblas_sgemm. Transposes are passed as BLAS flags, never materialised.

import CBLAS

public enum BLAS {
    /// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major and contiguous.
    /// op(A) is M×K (A is K×M when `transposeA`), op(B) is K×N (B is N×K when `transposeB`).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n),
                    beta, c, Int32(n))
    }

    /// The name of the OpenBLAS kernel set in use (for `vittrain bench`).
    public static var coreName: String {
        String(cString: openblas_get_corename())
    }
}
