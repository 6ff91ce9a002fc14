// Reductions along one contiguous row, on 8-lane SIMD vectors (one AVX register). Swift keeps a
// floating-point `sum += x[j]` loop in source order, so such loops never vectorise; these keep
// eight partial sums and add the lanes at the end. Used by the norms, softmax and attention rows.

enum RowMath {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    /// Σ x[j] for j < count.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Vector(repeating: 0)
        var j = 0
        while j + 8 <= count { lanes += load(x + j); j += 8 }
        var total = lanes.sum()
        while j < count { total += x[j]; j += 1 }
        return total
    }

    /// Σ a[j]·b[j] for j < count.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Vector(repeating: 0)
        var j = 0
        while j + 8 <= count { lanes.addProduct(load(a + j), load(b + j)); j += 8 }
        var total = lanes.sum()
        while j < count { total += a[j] * b[j]; j += 1 }
        return total
    }

    /// Σ a[j]·(x[j] − centre) for j < count.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, centredOn centre: Float, count: Int) -> Float {
        let c = Vector(repeating: centre)
        var lanes = Vector(repeating: 0)
        var j = 0
        while j + 8 <= count { lanes.addProduct(load(a + j), load(x + j) - c); j += 8 }
        var total = lanes.sum()
        while j < count { total += a[j] * (x[j] - centre); j += 1 }
        return total
    }

    /// Σ (x[j] − centre)² for j < count.
    @inline(__always)
    static func squaredDeviation(_ x: UnsafePointer<Float>, from centre: Float, count: Int) -> Float {
        let c = Vector(repeating: centre)
        var lanes = Vector(repeating: 0)
        var j = 0
        while j + 8 <= count { let t = load(x + j) - c; lanes.addProduct(t, t); j += 8 }
        var total = lanes.sum()
        while j < count { let t = x[j] - centre; total += t * t; j += 1 }
        return total
    }

    /// max x[j] for j < count (−∞ for an empty row). NaN-propagation is not promised.
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Vector(repeating: -.infinity)
        var j = 0
        // `replacing(with:where:)` is a single blend; the library's pointwiseMax and max() are
        // lane-by-lane loops that were not inlined.
        while j + 8 <= count { let v = load(x + j); lanes.replace(with: v, where: v .> lanes); j += 8 }
        var best = lanes[0]
        for lane in 1..<8 where lanes[lane] > best { best = lanes[lane] }
        while j < count { best = Swift.max(best, x[j]); j += 1 }
        return best
    }
}
