// Where each kind of token sits in a ViT's sequence: the prefix tokens (class, DeiT
// distillation, registers, in timm's order), then the patches row-major over the grid.
// Interpret asks this of the model instead of assuming one class token at index 0.

/// The token sequence of a model: `[class?, distillation?, registers…, patches…]`.
public struct TokenLayout: Equatable, Codable {
    public var classTokens: Int          // 0 or 1
    public var distillationTokens: Int   // 0 or 1
    public var registerTokens: Int
    public var gridHeight: Int
    public var gridWidth: Int

    public init(classTokens: Int = 1, distillationTokens: Int = 0, registerTokens: Int = 0,
                gridHeight: Int, gridWidth: Int) {
        self.classTokens = classTokens
        self.distillationTokens = distillationTokens
        self.registerTokens = registerTokens
        self.gridHeight = gridHeight
        self.gridWidth = gridWidth
    }

    public var prefixCount: Int { classTokens + distillationTokens + registerTokens }
    public var patchCount: Int { gridHeight * gridWidth }
    public var tokenCount: Int { prefixCount + patchCount }
    public var patchRange: Range<Int> { prefixCount..<tokenCount }
    /// The register tokens' positions (empty without registers).
    public var registerRange: Range<Int> { (classTokens + distillationTokens)..<prefixCount }
    /// The class token's position; nil for models that pool without one (explain from the
    /// mean of the patch rows instead).
    public var classIndex: Int? { classTokens > 0 ? 0 : nil }

    /// A short name for each token, as figures label them: "cls", "dist", "reg0"…, "p0"….
    public var tokenNames: [String] {
        (classTokens > 0 ? ["cls"] : []) + (distillationTokens > 0 ? ["dist"] : [])
            + (0..<registerTokens).map { "reg\($0)" } + (0..<patchCount).map { "p\($0)" }
    }
}
