// The Module protocol: a layer owns named parameters and named sub-modules, and the dotted
// paths formed from those names are exactly timm's state-dict keys ("blocks.0.attn.qkv.weight").
// Freezing, optimizer groups, checkpoints and import/export all address parameters by path.

/// A layer or model. Conformers list their own parameters and children under timm's names;
/// everything else (paths, freezing, train/eval mode) comes from the extension.
public protocol Module: AnyObject {
    /// This module's own parameters under their local names ("weight", "cls_token").
    var localParameters: [(name: String, tensor: Tensor)] { get }
    /// Sub-modules under their local names ("attn", "blocks.3" is child "blocks" → "3").
    var children: [(name: String, module: Module)] { get }
    /// Training mode (dropout and drop path active, BatchNorm uses batch statistics).
    var isTraining: Bool { get set }
    /// Non-trainable state under local names (BatchNorm's "running_mean", "running_var"), as
    /// PyTorch's buffers. Most modules have none (the default).
    var localBuffers: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    public var localBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Every buffer with its full dotted path. Buffers are Tensors that never require grad; a
    /// checkpoint restores them by writing into their `data`.
    public func namedBuffers(prefix: String = "") -> [(path: String, tensor: Tensor)] {
        var result = localBuffers.map { (path: prefix + $0.name, tensor: $0.tensor) }
        for (name, child) in children {
            result += child.namedBuffers(prefix: prefix + name + ".")
        }
        return result
    }
}

extension Module {
    /// Every parameter with its full dotted path, in definition order (as `state_dict()`).
    public func namedParameters(prefix: String = "") -> [(path: String, tensor: Tensor)] {
        var result = localParameters.map { (path: prefix + $0.name, tensor: $0.tensor) }
        for (name, child) in children {
            result += child.namedParameters(prefix: prefix + name + ".")
        }
        return result
    }

    /// Parameters keyed by path.
    public func parameterDictionary() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.path, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The number of scalar parameters.
    public var parameterCount: Int {
        namedParameters().reduce(0) { $0 + $1.tensor.count }
    }

    /// Sets training mode on this module and every descendant (as `model.train()` / `.eval()`).
    public func setTraining(_ training: Bool) {
        isTraining = training
        for (_, child) in children { child.setTraining(training) }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for (_, p) in namedParameters() { p.zeroGrad() }
    }

    /// Parameters that currently receive gradients.
    public func trainableParameters() -> [(path: String, tensor: Tensor)] {
        namedParameters().filter { $0.tensor.requiresGrad }
    }
}
