// The state a checkpoint holds: parameters, then buffers (BatchNorm running statistics), under
// the same dotted paths as PyTorch's state_dict().

extension Module {
    /// Parameters then buffers, with full dotted paths.
    public func stateEntries() -> [(path: String, tensor: Tensor)] {
        namedParameters() + namedBuffers()
    }
}
