import Foundation
import WhittleTensor

/// max(x, 0), elementwise.
public final class ReLU: Module {
    private var output: Tensor?
    public override init() { super.init() }
    public override var typeName: String { "relu" }
    public override func copy() throws -> Module { let c = ReLU(); copyBaseState(to: c); return c }
    public override func clearCache() { output = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "relu")
        let y = try Tensor(zeros: x.shape)
        let s = x.floats, d = y.floats
        for i in 0..<x.count { d[i] = max(s[i], 0) }
        output = y
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let y = output else { throw NNError.backwardState("relu: backward called before forward") }
        try checkGradient(g, y, "relu")
        let gx = try Tensor(zeros: y.shape)
        let o = y.floats, s = g.floats, d = gx.floats
        for i in 0..<y.count { d[i] = o[i] > 0 ? s[i] : 0 }
        return gx
    }
}

/// Hyperbolic tangent, elementwise.
public final class Tanh: Module {
    private var output: Tensor?
    public override init() { super.init() }
    public override var typeName: String { "tanh" }
    public override func copy() throws -> Module { let c = Tanh(); copyBaseState(to: c); return c }
    public override func clearCache() { output = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "tanh")
        let y = try Tensor(zeros: x.shape)
        let s = x.floats, d = y.floats
        for i in 0..<x.count { d[i] = Foundation.tanh(s[i]) }
        output = y
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let y = output else { throw NNError.backwardState("tanh: backward called before forward") }
        try checkGradient(g, y, "tanh")
        let gx = try Tensor(zeros: y.shape)
        let o = y.floats, s = g.floats, d = gx.floats
        for i in 0..<y.count { d[i] = s[i] * (1 - o[i] * o[i]) }
        return gx
    }
}

/// Throws unless the incoming gradient has the output's shape.
func checkGradient(_ g: Tensor, _ y: Tensor, _ layer: String) throws {
    guard g.shape == y.shape, g.dtype == .f32 else {
        throw NNError.backwardState("\(layer): gradient shape \(shapeString(g.shape)) does not match the output \(shapeString(y.shape))")
    }
}
