// The one place where explanation code turns token indices into "the class token" and "the
// patches", read from the model's TokenLayout (class / distillation / register prefix tokens):
// without a class token a map starts from the mean of the patch rows.

import Models

/// Where the class token and the patch tokens sit in a `[T, T]` attention or relevance matrix.
public struct ExplainTokens: Equatable, Sendable {
    /// Index of the class token, or nil for models without one (then the map is the mean of the patch rows).
    public let classToken: Int?
    /// Token indices of the patches, row-major over the grid.
    public let patches: Range<Int>
    public let tokenCount: Int

    public init(classToken: Int?, patches: Range<Int>, tokenCount: Int) {
        self.classToken = classToken
        self.patches = patches
        self.tokenCount = tokenCount
    }

    /// The tokens as `layout` places them.
    public init(layout: TokenLayout) {
        self.init(classToken: layout.classIndex, patches: layout.patchRange, tokenCount: layout.tokenCount)
    }

    /// The layout of `model`.
    public init(model: VisionTransformer) {
        self.init(layout: model.tokenLayout)
    }

    /// The query rows a map is read from: the class token's row, else every patch row (averaged).
    public var queryRows: [Int] { classToken.map { [$0] } ?? Array(patches) }

    /// The starting row vector of a top-down product e·M_L⋯M_1: one at the class token, or the mean
    /// of the patch rows' unit vectors when there is none (`[T]`).
    public var queryVector: [Double] {
        var v = [Double](repeating: 0, count: tokenCount)
        let rows = queryRows
        for row in rows { v[row] += 1 / Double(rows.count) }
        return v
    }

    /// The patch entries of a token vector `[T]` → `[N]`.
    public func patchValues(_ vector: [Double]) -> [Double] { Array(vector[patches]) }
}
