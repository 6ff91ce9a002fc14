// A box that Tensor.multiHeadAttention fills during backward with ∂L/∂P, the gradient of the
// attention probabilities [B, H, T, T] (after the dropout mask, before the softmax backward):
// what gradient-weighted attention maps (Interpret) multiply with P.

public final class AttentionProbabilityGradient {
    /// ∂L/∂P [B, H, T, T], set by the backward pass of the attention it was passed to.
    public var value: Tensor?

    public init() {}
}
