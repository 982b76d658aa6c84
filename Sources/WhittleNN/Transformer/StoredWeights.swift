import WhittleKernels
import WhittleTensor

extension DType {
    /// The ggml type with this dtype's byte layout (f32, f16, bf16 and the block types), or nil.
    public var ggmlLayout: GGMLType? {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        default: return ggmlBlockType
        }
    }
}

/// y = x·Wᵀ (+ b) with W (out x in) kept in its stored type and run by `GGMLMatmul`:
/// the transformer's linear layer. The weight may borrow a memory-mapped checkpoint.
public final class Projection: Module {
    /// Weight (out, in) in its stored type.
    public let weight: Parameter
    /// Bias (out), f32, or nil.
    public let bias: Parameter?
    /// Per-output-channel scales of an i8 (W8A8) weight, else nil (see W8A8Projection.swift).
    public internal(set) var weightScale: Parameter?
    let w8a8Pack = W8A8PackCache()

    /// Wraps a stored weight (out, in) and an optional bias (converted to f32: it is small).
    public init(weight: Tensor, bias: Tensor? = nil) throws {
        guard weight.rank == 2 else { throw NNError.invalidModel("projection: weight must be 2-D, got \(shapeString(weight.shape))") }
        // i8 is W8A8: it runs once `setW8A8` has given it row scales.
        guard weight.dtype.ggmlLayout != nil || weight.dtype == .i8 else { throw NNError.invalidModel("projection: cannot run \(weight.dtype) weights") }
        if let b = bias, b.count != weight.shape[0] {
            throw NNError.invalidModel("projection: bias of \(b.count) values for \(weight.shape[0]) outputs")
        }
        self.weight = Parameter(stored: weight)
        self.bias = try bias.map { try Parameter($0.reshaped([$0.count])) }
        super.init()
    }

    /// Input features.
    public var inFeatures: Int { weight.value.shape[1] }
    /// Output features.
    public var outFeatures: Int { weight.value.shape[0] }

    public override var typeName: String { "projection" }
    public override var description: String { "projection(\(inFeatures) -> \(outFeatures), \(weight.value.dtype))" }
    public override var localParameters: [(name: String, parameter: Parameter)] {
        var p = [(name: "weight", parameter: weight)]
        if let b = bias { p.append((name: "bias", parameter: b)) }
        if let s = weightScale, weight.value.dtype == .i8 { p.append((name: "weight_scale", parameter: s)) }
        return p
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try apply(x) }

    /// Sees every input before it is multiplied (calibration: Hessians, importance matrices).
    public var inputObserver: ((Tensor) throws -> Void)?

    /// x (n, in) f32 -> (n, out).
    public func apply(_ x: Tensor) throws -> Tensor {
        try inputObserver?(x)
        let w = weight.value
        if w.dtype == .i8 { return try applyW8A8(x) }
        guard let type = w.dtype.ggmlLayout, w.rank == 2 else {
            throw NNError.invalidModel("projection: cannot run a \(w.dtype) \(shapeString(w.shape)) weight")
        }
        let k = w.shape[1], n = w.shape[0]
        guard x.dtype == .f32, x.rank == 2, x.shape[1] == k else {
            throw NNError.shapeMismatch(layer: nil, message: "projection expects (tokens, \(k)) f32 input, got \(x.dtype) \(shapeString(x.shape))")
        }
        let m = x.shape[0]
        let y = try Tensor(zeros: [m, n])
        try GGMLMatmul.matmul(type, m: m, n: n, k: k, x: x.floats, weights: UnsafeRawPointer(w.storage.bytes), y: y.floats)
        if let b = bias { addRowVector(y.floats, rows: m, cols: n, b.value.floats) }
        return y
    }
}

/// Token embeddings (vocab, hidden) in their stored type: rows are decoded on lookup,
/// and a tied output head multiplies by the same stored matrix.
public final class TokenEmbedding: Module {
    /// Table (vocab, hidden) in its stored type.
    public let weight: Parameter

    /// Wraps a stored table (vocab, hidden).
    public init(weight: Tensor) throws {
        guard weight.rank == 2 else { throw NNError.invalidModel("embedding: table must be 2-D, got \(shapeString(weight.shape))") }
        guard weight.dtype.ggmlLayout != nil else { throw NNError.invalidModel("embedding: cannot decode \(weight.dtype) rows") }
        self.weight = Parameter(stored: weight)
        super.init()
    }

    /// Rows of the table.
    public var count: Int { weight.value.shape[0] }
    /// Row length.
    public var dimension: Int { weight.value.shape[1] }

    public override var typeName: String { "embedding" }
    public override var description: String { "embedding(\(count) x \(dimension), \(weight.value.dtype))" }
    public override var localParameters: [(name: String, parameter: Parameter)] { [(name: "weight", parameter: weight)] }

    /// The rows for `ids` times `scale`, as (ids.count, hidden) f32.
    public func lookup(_ ids: [Int], scale: Float = 1) throws -> Tensor {
        let w = weight.value
        guard let type = w.dtype.ggmlLayout, let rowBytes = type.rowBytes(w.shape[1]) else {
            throw NNError.invalidModel("embedding: cannot decode a \(w.dtype) \(shapeString(w.shape)) table")
        }
        let d = w.shape[1]
        let out = try Tensor(zeros: [ids.count, d])
        for (i, id) in ids.enumerated() {
            guard id >= 0 && id < w.shape[0] else {
                throw NNError.invalidArgument("token id \(id) is out of range for a vocabulary of \(w.shape[0]) (ids are 0-based)")
            }
            let row = out.floats + i * d
            GGMLCodec.dequantize(type, UnsafeRawPointer(w.storage.bytes) + id * rowBytes, row, count: d)
            if scale != 1 { for j in 0..<d { row[j] *= scale } }
        }
        return out
    }

    /// Logits x (n, hidden) · tableᵀ -> (n, vocab): the tied output head.
    public func logits(_ x: Tensor) throws -> Tensor {
        let w = weight.value
        guard let type = w.dtype.ggmlLayout, x.rank == 2, x.shape[1] == w.shape[1] else {
            throw NNError.shapeMismatch(layer: nil, message: "tied head expects (tokens, \(w.shape[1])) input, got \(shapeString(x.shape))")
        }
        let y = try Tensor(zeros: [x.shape[0], w.shape[0]])
        try GGMLMatmul.matmul(type, m: x.shape[0], n: w.shape[0], k: w.shape[1], x: x.floats,
                              weights: UnsafeRawPointer(w.storage.bytes), y: y.floats)
        return y
    }
}

/// A module whose children are given by name (the containers of the transformer tree:
/// "model", "layers", "0", "self_attn"), so parameter paths are the checkpoint's names.
public final class ModuleGroup: Module {
    private var entries: [(name: String, module: Module)]
    private let kind: String

    /// A container of `kind` holding `children` in order.
    public init(_ kind: String, _ children: [(name: String, module: Module)]) {
        entries = children
        self.kind = kind
        super.init()
    }

    public override var typeName: String { kind }
    public override var children: [(name: String, module: Module)] { entries }
}
