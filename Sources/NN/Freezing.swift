// Selecting parameters by glob patterns on their dotted paths ("blocks.1?.*", "*.bias"), and
// freezing / unfreezing them (requiresGrad off / on), as the trainer's `freeze` section and
// skip lists need.

/// Shell-style glob on dotted paths: `*` matches any run of characters (dots included),
/// `?` one character; everything else literally ("head.*", "blocks.1?.*", "*.bias").
public func globMatches(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
            pi += 1; ti += 1
        } else if pi < p.count && p[pi] == "*" {
            star = pi; mark = ti; pi += 1
        } else if star >= 0 {
            pi = star + 1; mark += 1; ti = mark
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == "*" { pi += 1 }
    return pi == p.count
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
