import Foundation
import WhittleTensor

/// Softmax over the last dimension (numerically stable: the row maximum is subtracted).
public final class Softmax: Module {
    private var output: Tensor?
    public override init() { super.init() }
    public override var typeName: String { "softmax" }
    public override func copy() throws -> Module { let c = Softmax(); copyBaseState(to: c); return c }
    public override func clearCache() { output = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "softmax")
        guard x.rank >= 1, x.shape[x.rank - 1] > 0 else {
            throw NNError.shapeMismatch(layer: nil, message: "softmax needs a non-empty last dimension, got \(shapeString(x.shape))")
        }
        let y = try Tensor(zeros: x.shape)
        let n = x.shape[x.rank - 1]
        for r in 0..<(x.count / n) { softmaxRow(x.floats + r * n, y.floats + r * n, n, temperature: 1) }
        output = y
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let y = output else { throw NNError.backwardState("softmax: backward called before forward") }
        try checkGradient(g, y, "softmax")
        let gx = try Tensor(zeros: y.shape)
        let n = y.shape[y.rank - 1]
        for r in 0..<(y.count / n) {
            let o = y.floats + r * n, s = g.floats + r * n, d = gx.floats + r * n
            var dot: Float = 0
            for i in 0..<n { dot += o[i] * s[i] }
            for i in 0..<n { d[i] = o[i] * (s[i] - dot) }
        }
        return gx
    }
}

/// out = softmax(x / T) for one row of n values.
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, temperature t: Float) {
    var mx = -Float.infinity
    for i in 0..<n { mx = max(mx, x[i]) }
    var sum: Float = 0
    for i in 0..<n { let e = Foundation.exp((x[i] - mx) / t); out[i] = e; sum += e }
    let inv = 1 / sum
    for i in 0..<n { out[i] *= inv }
}
