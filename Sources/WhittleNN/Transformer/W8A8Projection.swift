import Foundation
import WhittleKernels
import WhittleTensor

/// W8A8 weights (SmoothQuant): an i8 (out, in) weight with one f32 scale per output channel,
/// run by the int8 kernels with the activations quantized per token on the fly (symmetric,
/// max|row|/127), so y = (Σ xq·wq) · sx · sw. The weight stays a plain `Parameter` value (i8)
/// and the scales a sibling parameter `weight_scale` (compressed-tensors' name), so a pass sets
/// them by replacing values and the registry can restore them.
extension Projection {
    /// Makes this projection W8A8: `values` i8 (out, in), `scales` f32 (out).
    public func setW8A8(values: Tensor, scales: Tensor) throws {
        guard values.dtype == .i8, values.rank == 2, values.shape == weight.value.shape else {
            throw NNError.invalidArgument("w8a8: weight must be i8 \(shapeString(weight.value.shape)), got \(values.dtype) \(shapeString(values.shape))")
        }
        guard scales.dtype == .f32, scales.count == values.shape[0] else {
            throw NNError.invalidArgument("w8a8: need \(values.shape[0]) f32 scales, got \(scales.dtype) \(shapeString(scales.shape))")
        }
        weightScale = Parameter(stored: scales)
        weight.value = values
    }

    /// x (n, in) f32 -> (n, out) through the int8 kernel (the weights are packed once and cached).
    func applyW8A8(_ x: Tensor) throws -> Tensor {
        let w = weight.value
        guard let s = weightScale?.value, s.dtype == .f32, s.count == w.shape[0] else {
            throw NNError.invalidModel("projection: an i8 weight needs \(w.shape[0]) f32 'weight_scale' values")
        }
        let k = w.shape[1], n = w.shape[0]
        guard x.dtype == .f32, x.rank == 2, x.shape[1] == k else {
            throw NNError.shapeMismatch(layer: nil, message: "projection expects (tokens, \(k)) f32 input, got \(x.dtype) \(shapeString(x.shape))")
        }
        let packed = w8a8Pack.packed(w, s)
        let m = x.shape[0]
        let y = try Tensor(zeros: [m, n])
        Int8GEMM.linear(m: m, x: x.floats, weights: packed, y: y.floats)
        if let b = bias { addRowVector(y.floats, rows: m, cols: n, b.value.floats) }
        return y
    }
}

/// The packed form of the last (weight, scales) pair a projection ran; holding both tensors
/// keeps their identities from being reused, so a replaced value is always repacked.
final class W8A8PackCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entry: (weights: Tensor, scales: Tensor, packed: PackedInt8Weights)?

    func packed(_ w: Tensor, _ s: Tensor) -> PackedInt8Weights {
        lock.lock(); defer { lock.unlock() }
        if let e = entry, e.weights === w, e.scales === s { return e.packed }
        let p = PackedInt8Weights(values: UnsafePointer(w.storage.bytes.assumingMemoryBound(to: Int8.self)), n: w.shape[0], k: w.shape[1],
                                  scales: s.floats, zeros: nil)
        entry = (w, s, p)
        return p
    }
}
