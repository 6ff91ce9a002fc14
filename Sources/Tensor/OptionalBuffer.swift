// Raw access to an optional array, for kernels whose inputs are optional (a bias, a dropout mask).

/// `body` with the array's storage, or nil for a nil array.
public func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
