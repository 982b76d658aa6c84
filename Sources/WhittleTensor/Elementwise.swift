/// Binary elementwise operations with numpy broadcasting.
public enum BinaryOp: Sendable {
    case add, sub, mul, div, max, min

    @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .max: return Swift.max(a, b)
        case .min: return Swift.min(a, b)
        }
    }

    /// The operator as written in messages ("+", "max").
    public var symbol: String {
        switch self {
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .max: return "max"
        case .min: return "min"
        }
    }
}

/// The broadcast shape of `a` and `b` (numpy rules), or nil when incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

extension Tensor {
    /// `self op other`, broadcasting shapes like numpy.
    public func elementwise(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        try requireF32(op.symbol)
        try other.requireF32(op.symbol)
        guard let outShape = broadcastShape(shape, other.shape) else {
            throw TensorError.shapeMismatch("\(op.symbol): shapes \(shapeString(shape)) and \(shapeString(other.shape)) cannot be broadcast")
        }
        let out = try Tensor(zeros: outShape)
        let a = floats, b = other.floats, c = out.floats
        if shape == other.shape {
            for i in 0..<count { c[i] = op.apply(a[i], b[i]) }
        } else if other.count == 1 {
            let s = b[0]
            for i in 0..<out.count { c[i] = op.apply(a[i], s) }
        } else if count == 1 {
            let s = a[0]
            for i in 0..<out.count { c[i] = op.apply(s, b[i]) }
        } else {
            let sa = broadcastStrides(shape, to: outShape), sb = broadcastStrides(other.shape, to: outShape)
            var index = [Int](repeating: 0, count: outShape.count)
            var ia = 0, ib = 0
            for i in 0..<out.count {
                c[i] = op.apply(a[ia], b[ib])
                // Odometer increment of the output index, tracking both input offsets.
                var d = outShape.count - 1
                while d >= 0 {
                    index[d] += 1; ia += sa[d]; ib += sb[d]
                    if index[d] < outShape[d] { break }
                    ia -= sa[d] * outShape[d]; ib -= sb[d] * outShape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }

    /// `self op scalar` (or `scalar op self` when `scalarFirst`).
    public func elementwise(_ op: BinaryOp, scalar: Float, scalarFirst: Bool = false) throws -> Tensor {
        try requireF32(op.symbol)
        let out = try Tensor(zeros: shape)
        let a = floats, c = out.floats
        if scalarFirst { for i in 0..<count { c[i] = op.apply(scalar, a[i]) } } else { for i in 0..<count { c[i] = op.apply(a[i], scalar) } }
        return out
    }

    /// A new tensor with `f` applied to every element.
    public func map(_ f: (Float) -> Float) throws -> Tensor {
        try requireF32("map")
        let out = try Tensor(zeros: shape)
        let a = floats, c = out.floats
        for i in 0..<count { c[i] = f(a[i]) }
        return out
    }

    /// Element strides of `shape` broadcast to `target` (0 where a dimension repeats).
    private func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            let t = d + target.count - shape.count
            strides[t] = shape[d] == 1 ? 0 : s
            s *= shape[d]
        }
        return strides
    }
}
