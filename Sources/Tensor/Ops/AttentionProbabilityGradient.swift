// A box that the fused attention op fills during backward with ∂L/∂P, the gradient of the loss
// with respect to its softmax probabilities P [B, H, T, T] (before the softmax backward).
// Class-specific relevance (Chefer, Gur & Wolf 2021) needs it; training never asks for it.

/// Receives dP = ∂L/∂P `[B, H, T, T]` from `Tensor.multiHeadAttention`'s backward.
/// `value` stays nil until a backward pass runs through the op; a later pass replaces it.
public final class AttentionProbabilityGradient {
    public var value: Tensor?
    public init() {}
}
