import WhittleTensor

/// Errors of the NN layer; messages name the layer and what was wrong.
public enum NNError: Error, CustomStringConvertible, Equatable {
    /// An input whose shape does not fit a layer; `layer` is "linear 1" once located.
    case shapeMismatch(layer: String?, message: String)
    /// A bad constructor or option value.
    case invalidArgument(String)
    /// `backward` without a preceding `forward`, or with a gradient of the wrong shape.
    case backwardState(String)
    /// A model file or architecture description that cannot be turned into a model.
    case invalidModel(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let layer, let message): return layer.map { "\($0): \(message)" } ?? message
        case .invalidArgument(let s), .backwardState(let s), .invalidModel(let s): return s
        }
    }

    /// The same error with the layer's position attached (kept when already located deeper).
    func located(_ label: String) -> NNError {
        switch self {
        case .shapeMismatch(nil, let m): return .shapeMismatch(layer: label, message: m)
        case .backwardState(let m) where !m.contains(":"): return .backwardState("\(label): \(m)")
        default: return self
        }
    }
}

/// Throws unless `t` is f32 (the NN layer computes in f32 only).
@inline(__always) func requireFloat(_ t: Tensor, _ what: String) throws {
    guard t.dtype == .f32 else { throw NNError.invalidArgument("\(what): needs an f32 tensor, got \(t.dtype)") }
}
