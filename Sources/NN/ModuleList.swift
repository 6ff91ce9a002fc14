// An indexed container whose children are named "0", "1", …, so paths come out as timm's
// "blocks.3.attn.qkv.weight" (nn.Sequential / nn.ModuleList naming).

/// An ordered list of modules of one type, addressed by index.
public final class ModuleList<Element: Module>: Module {
    public private(set) var modules: [Element]
    public var isTraining = false

    public init(_ modules: [Element]) {
        self.modules = modules
    }

    public var count: Int { modules.count }
    public subscript(index: Int) -> Element { modules[index] }

    public var localParameters: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: Module)] {
        modules.enumerated().map { (name: String($0.offset), module: $0.element as Module) }
    }
}
