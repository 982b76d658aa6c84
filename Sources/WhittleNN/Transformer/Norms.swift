import Foundation
import WhittleTensor

/// RMSNorm over rows: x / sqrt(mean(x²) + eps) · (offset + w). Gemma's checkpoints store w - 1
/// (offset 1); Llama's and Qwen's store w (offset 0).
public final class RMSNorm: Module {
    /// Scale (dim), f32.
    public let weight: Parameter
    /// Added to the weight (1 for Gemma's `(1 + w)`).
    public let offset: Float
    /// Added to the mean square.
    public let eps: Float

    /// A norm over rows of `weight.count` elements.
    public init(weight: Tensor, eps: Float, offset: Float = 0) throws {
        self.weight = try Parameter(weight.reshaped([weight.count]))
        self.eps = eps
        self.offset = offset
        super.init()
    }

    /// Row length.
    public var dimension: Int { weight.value.count }
    public override var typeName: String { "rms_norm" }
    public override var localParameters: [(name: String, parameter: Parameter)] { [(name: "weight", parameter: weight)] }
    public override func forward(_ x: Tensor) throws -> Tensor { let y = x.clone(); try applyInPlace(y); return y }

    /// Normalises every row of `x` (its element count a multiple of the dimension) in place.
    public func applyInPlace(_ x: Tensor) throws {
        let d = dimension
        guard x.dtype == .f32, d > 0, x.count % d == 0 else {
            throw NNError.shapeMismatch(layer: nil, message: "rms_norm over \(d) expects rows of \(d), got \(shapeString(x.shape))")
        }
        let w = weight.value.floats
        for r in 0..<(x.count / d) {
            let row = x.floats + r * d
            let ms = VectorMath.dot(row, row, d) / Float(d)
            let inv = 1 / (ms + eps).squareRoot()
            for j in 0..<d { row[j] = row[j] * inv * (offset + w[j]) }
        }
    }
}

/// LayerNorm over rows: (x - mean) / sqrt(var + eps) · w + b (BERT).
public final class LayerNorm: Module {
    /// Scale (dim).
    public let weight: Parameter
    /// Shift (dim).
    public let bias: Parameter
    /// Added to the variance.
    public let eps: Float

    /// A norm over rows of `weight.count` elements.
    public init(weight: Tensor, bias: Tensor, eps: Float) throws {
        guard weight.count == bias.count else {
            throw NNError.invalidModel("layer_norm: weight has \(weight.count) values, bias \(bias.count)")
        }
        self.weight = try Parameter(weight.reshaped([weight.count]))
        self.bias = try Parameter(bias.reshaped([bias.count]))
        self.eps = eps
        super.init()
    }

    /// Row length.
    public var dimension: Int { weight.value.count }
    public override var typeName: String { "layer_norm" }
    public override var localParameters: [(name: String, parameter: Parameter)] {
        [(name: "weight", parameter: weight), (name: "bias", parameter: bias)]
    }
    public override func forward(_ x: Tensor) throws -> Tensor { let y = x.clone(); try applyInPlace(y); return y }

    /// Normalises every row of `x` in place.
    public func applyInPlace(_ x: Tensor) throws {
        let d = dimension
        guard x.dtype == .f32, d > 0, x.count % d == 0 else {
            throw NNError.shapeMismatch(layer: nil, message: "layer_norm over \(d) expects rows of \(d), got \(shapeString(x.shape))")
        }
        let w = weight.value.floats, b = bias.value.floats
        for r in 0..<(x.count / d) {
            let row = x.floats + r * d
            var mean: Float = 0
            for j in 0..<d { mean += row[j] }
            mean /= Float(d)
            var v: Float = 0
            for j in 0..<d { let c = row[j] - mean; v += c * c }
            let inv = 1 / (v / Float(d) + eps).squareRoot()
            for j in 0..<d { row[j] = (row[j] - mean) * inv * w[j] + b[j] }
        }
    }
}
