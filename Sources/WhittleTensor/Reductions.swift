/// Whole-tensor reductions (f32, accumulated in Double for accuracy).
extension Tensor {
    /// Sum of all elements (0 for an empty tensor).
    public func sum() throws -> Double {
        try requireF32("sum")
        var s = 0.0
        for i in 0..<count { s += Double(floats[i]) }
        return s
    }

    /// Mean of all elements; throws on an empty tensor.
    public func mean() throws -> Double {
        guard count > 0 else { throw TensorError.invalidArgument("mean: tensor is empty") }
        return try sum() / Double(count)
    }

    /// Largest element; throws on an empty tensor.
    public func maxValue() throws -> Float {
        try requireF32("max")
        guard count > 0 else { throw TensorError.invalidArgument("max: tensor is empty") }
        var m = floats[0]
        for i in 1..<count where floats[i] > m { m = floats[i] }
        return m
    }

    /// Smallest element; throws on an empty tensor.
    public func minValue() throws -> Float {
        try requireF32("min")
        guard count > 0 else { throw TensorError.invalidArgument("min: tensor is empty") }
        var m = floats[0]
        for i in 1..<count where floats[i] < m { m = floats[i] }
        return m
    }

    /// Euclidean (Frobenius) norm.
    public func norm() throws -> Double {
        try requireF32("norm")
        var s = 0.0
        for i in 0..<count { s += Double(floats[i]) * Double(floats[i]) }
        return s.squareRoot()
    }

    /// Fraction of elements that are exactly zero (0 for an empty tensor).
    public func sparsity() -> Double {
        guard count > 0 else { return 0 }
        var zeros = 0
        for i in 0..<count where element(at: i) == 0 { zeros += 1 }
        return Double(zeros) / Double(count)
    }

    /// True when shapes match and every |a - b| <= atol + rtol * |b|.
    public func allClose(_ other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = element(at: i), b = other.element(at: i)
            if a.isNaN || b.isNaN { return false }
            if a == b { continue }
            if !(abs(a - b) <= atol + rtol * abs(b)) { return false }
        }
        return true
    }
}
