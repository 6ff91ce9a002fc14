// Selecting parameters by glob patterns on their dotted paths ("blocks.1?.*", "*.bias"), and
// freezing / unfreezing them (requiresGrad off / on), as the trainer's `freeze` section and
// skip lists need.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Shell-style glob on dotted paths with fnmatch semantics: `*` matches any run of characters
/// (dots included), `?` one character, `[0-3]` a class ("head.*", "blocks.[0-3].*", "*.bias").
public func globMatches(_ pattern: String, _ text: String) -> Bool {
    fnmatch(pattern, text, 0) == 0
}

extension Module {
    /// Parameters whose path matches any of `patterns`.
    public func parameters(matching patterns: [String]) -> [(path: String, tensor: Tensor)] {
        namedParameters().filter { entry in patterns.contains { globMatches($0, entry.path) } }
    }

    /// Stops gradients to every parameter matching `patterns`; returns the paths frozen.
    @discardableResult
    public func freeze(_ patterns: [String]) -> [String] {
        setRequiresGrad(false, patterns)
    }

    /// Lets gradients reach every parameter matching `patterns` again; returns the paths.
    @discardableResult
    public func unfreeze(_ patterns: [String]) -> [String] {
        setRequiresGrad(true, patterns)
    }

    private func setRequiresGrad(_ flag: Bool, _ patterns: [String]) -> [String] {
        let chosen = parameters(matching: patterns)
        for (_, tensor) in chosen {
            tensor.requiresGrad = flag
            if !flag { tensor.zeroGrad() }
        }
        return chosen.map(\.path)
    }
}
