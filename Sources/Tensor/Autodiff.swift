// The define-by-run tape: ops call `Tensor.record` to link their output to their inputs with a
// backward closure; `backward()` sorts the graph once and runs the closures in reverse.
// As in micrograd, a closure adds into its parents' gradients; as in PyTorch, only leaves keep
// their `.grad` afterwards and the graph is released.

import Foundation

/// Whether ops record themselves on the tape. Off inside `Tensor.withoutGrad`.
public enum GradMode {
    private static let key = "vittrain.gradMode.disabled"

    /// True unless the current thread is inside a no-grad scope.
    public static var isEnabled: Bool {
        Thread.current.threadDictionary[key] as? Bool != true
    }

    static func set(enabled: Bool) {
        Thread.current.threadDictionary[key] = enabled ? nil : true
    }
}

extension Tensor {
    /// Runs `body` with recording off (evaluation, optimizer updates), as `torch.no_grad()`.
    public static func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
        let previous = GradMode.isEnabled
        GradMode.set(enabled: false)
        defer { GradMode.set(enabled: previous) }
        return try body()
    }

    /// Whether `record` would link an output of these parents: grad mode is on and one of them
    /// requires grad. An op that saves values only for its backward can skip them when not.
    public static func willRecord(parents: [Tensor]) -> Bool {
        GradMode.isEnabled && parents.contains(where: { $0.requiresGrad })
    }

    /// Links `output` to `parents` when grad mode is on and any parent requires grad.
    /// `backward` receives the output's gradient and must add into the parents' gradients
    /// (through `accumulateGrad`), checking each parent's `requiresGrad` first.
    public static func record(_ output: Tensor, parents: [Tensor],
                              backward: @escaping (_ gradOutput: [Float]) -> Void) {
        guard willRecord(parents: parents) else { return }
        output.requiresGrad = true
        output.parents = parents
        output.backwardFunction = backward
        if Profiler.isEnabled { output.profileFamily = Profiler.recordingFamily }
    }

    /// Adds `values` into this tensor's gradient, creating it on first use.
    public func accumulateGrad(_ values: [Float]) {
        precondition(values.count == count,
                     "gradient of \(values.count) elements for tensor of shape \(shape)")
        if grad == nil {
            grad = values
            return
        }
        grad!.withUnsafeMutableBufferPointer { g in
            values.withUnsafeBufferPointer { v in
                for i in 0..<g.count { g[i] += v[i] }
            }
        }
    }

    /// Gives direct access to the gradient buffer (zero-filled on first use), for backward
    /// kernels that add into it without building a temporary array.
    public func withGradBuffer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if grad == nil { grad = [Float](repeating: 0, count: count) }
        return try grad!.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Like `withGradBuffer`, but a gradient created by this call is left unfilled and `body`
    /// gets `fresh == true`: it must then write every element (assign, or GEMM with beta 0)
    /// instead of adding. Saves zero-filling and re-reading a large interior gradient.
    public func withGradBuffer<R>(assigningIfFresh body: (UnsafeMutableBufferPointer<Float>, _ fresh: Bool) throws -> R) rethrows -> R {
        let fresh = grad == nil
        if fresh { grad = [Float](unsafeUninitializedCapacity: count) { _, n in n = count } }
        return try grad!.withUnsafeMutableBufferPointer { try body($0, fresh) }
    }

    /// Reverse-mode pass from this tensor. Without `gradient` the tensor must hold one element
    /// and its gradient is 1. Leaves accumulate into `.grad`; the graph is freed afterwards.
    /// `leafReady` is told of each leaf as soon as its gradient is final (every op that used it
    /// has run), while the rest of the pass goes on: data-parallel training starts a block's
    /// gradient allreduce there, overlapping communication with the remaining backward.
    public func backward(gradient: [Float]? = nil, leafReady: ((Tensor) -> Void)? = nil) {
        precondition(gradient != nil || count == 1,
                     "backward() without a gradient needs a one-element tensor, got shape \(shape)")
        let order = topologicalOrder()
        accumulateGrad(gradient ?? [1])
        for node in order.reversed() {
            // Reverse topological order visits a leaf only after all of its consumers.
            guard let run = node.backwardFunction else {
                if let leafReady, node.parents.isEmpty { leafReady(node) }
                continue
            }
            if let g = node.grad {
                if Profiler.isEnabled {
                    Profiler.measure(node.profileFamily) { run(g) }
                } else {
                    run(g)
                }
            }
            // Free the graph as we go: interior gradients and closures are not needed again.
            node.grad = nil
            node.backwardFunction = nil
            node.parents = []
        }
    }

    /// Nodes reachable from `self` through tensors that require grad, parents before children.
    /// Iterative, because a deep network's graph would overflow a recursive walk.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad, visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}
