import Foundation

/// Small pointer-level loops the transformer blocks share (norms, attention rows, activations).
/// Reductions use several SIMD accumulators: Swift does not vectorize a plain float sum.
enum VectorMath {
    /// Σ a[i]·b[i].
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            i += 32
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y[i] += alpha·x[i].
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD16<Float>(repeating: alpha)
        while i + 16 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) + va * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// Softmax of x[0..<n] in place (max-subtracted, double-precision sum).
    static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s: Double = 0
        for i in 0..<n { let e = expf(x[i] - m); x[i] = e; s += Double(e) }
        let inv = Float(1 / s)
        for i in 0..<n { x[i] *= inv }
    }

    /// log Σ exp(x[i]), stable.
    static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s: Double = 0
        for i in 0..<n { s += Double(expf(x[i] - m)) }
        return Double(m) + log(s)
    }
}

/// The MLP activations of the supported architectures.
public enum Activation: String, Sendable {
    /// x·σ(x) (Llama, Qwen).
    case silu
    /// Exact GELU, x·Φ(x) (BERT's "gelu").
    case gelu
    /// The tanh approximation of GELU (Gemma's "gelu_pytorch_tanh").
    case geluTanh = "gelu_tanh"
    /// llama.cpp's CPU GELU: the tanh approximation read from a table indexed by the f16 input,
    /// giving f16 outputs (used for GGUF models, so that they run as llama.cpp runs them).
    case geluTanhF16Table = "gelu_tanh_f16_table"

    /// Parses config.json's `hidden_act` / `hidden_activation` names.
    public init?(configName: String) {
        switch configName {
        case "silu", "swish": self = .silu
        case "gelu", "gelu_new_exact": self = .gelu
        case "gelu_pytorch_tanh", "gelu_new", "gelu_fast", "gelu_tanh": self = .geluTanh
        default: return nil
        }
    }

    @inline(__always) static func geluTanh(_ v: Float) -> Float {
        0.5 * v * (1 + tanhf(0.79788456080286536 * v * (1 + 0.044715 * v * v)))
    }

    /// Applies the activation to x[0..<n] in place.
    func apply(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .silu: for i in 0..<n { x[i] = x[i] / (1 + expf(-x[i])) }
        case .gelu: for i in 0..<n { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
        case .geluTanh:
            for i in 0..<n { x[i] = Activation.geluTanh(x[i]) }
        case .geluTanhF16Table:
            for i in 0..<n {
                let v = x[i]
                if v <= -10 { x[i] = 0 } else if v < 10 { x[i] = Float(Float16(Activation.geluTanh(Float(Float16(v))))) }
            }
        }
    }
}
