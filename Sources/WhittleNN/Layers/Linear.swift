import WhittleKernels
import WhittleTensor

/// y = x·Wᵀ + b over the last dimension (weight out×in, as in torch).
public final class Linear: Module {
    /// Weight (out, in); assign another layer's parameter to tie them (ALBERT-style sharing).
    public var weight: Parameter
    /// Bias (out), or nil.
    public var bias: Parameter?
    /// When set, forward uses `weightTransform(weight.value)` (fake quantization, shared
    /// weights) and the gradient passes straight through to `weight` (STE).
    public var weightTransform: ((Tensor) throws -> Tensor)?
    private var input: Tensor?
    private var usedWeight: Tensor?
    /// Static int8 input quantization from calibration, used with an int8-encoded weight in eval mode.
    public var inputQuantization: ActivationQuantization?

    /// Input features.
    public var inFeatures: Int { weight.value.shape[1] }
    /// Output features.
    public var outFeatures: Int { weight.value.shape[0] }

    /// A layer with torch's default uniform initialisation (bound 1/sqrt(in)) from `generator`.
    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) throws {
        let (w, b) = try Linear.initialTensors(inFeatures, outFeatures, bias: bias, generator: &generator)
        try self.init(weight: w, bias: b)
    }

    /// A layer initialised from the default generator (see `NNInit`).
    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        let (w, b) = try NNInit.withDefault { try Linear.initialTensors(inFeatures, outFeatures, bias: bias, generator: &$0) }
        try self.init(weight: w, bias: b)
    }

    private static func initialTensors(_ i: Int, _ o: Int, bias: Bool, generator: inout SeededGenerator) throws -> (Tensor, Tensor?) {
        try checkDim(i, "linear: 'in'")
        try checkDim(o, "linear: 'out'")
        try checkSize([o, i], "linear")
        let bound = 1 / Float(i).squareRoot()
        let w = try NNInit.uniform([o, i], bound: bound, generator: &generator)
        return (w, bias ? try NNInit.uniform([o], bound: bound, generator: &generator) : nil)
    }

    /// A layer holding the given tensors (weight out×in, bias out).
    public init(weight w: Tensor, bias b: Tensor?) throws {
        guard w.rank == 2 else { throw NNError.invalidModel("linear: weight must be 2-D, got \(shapeString(w.shape))") }
        if let b = b, b.shape != [w.shape[0]] {
            throw NNError.invalidModel("linear: bias shape \(shapeString(b.shape)) does not match \(w.shape[0]) outputs")
        }
        weight = try Parameter(w)
        bias = try b.map { try Parameter($0) }
        super.init()
    }

    public override var typeName: String { "linear" }
    public override var description: String { "linear(\(inFeatures) -> \(outFeatures)\(bias == nil ? ", no bias" : ""))" }
    public override var localParameters: [(name: String, parameter: Parameter)] {
        var p = [(name: "weight", parameter: weight)]
        if let b = bias { p.append((name: "bias", parameter: b)) }
        return p
    }
    public override func spec() -> [String: Any] {
        ["type": typeName, "in": inFeatures, "out": outFeatures, "bias": bias != nil]
    }

    public override func copy() throws -> Module {
        let c = try Linear(weight: weight.value.checkedClone(), bias: bias?.value.checkedClone())
        try c.weight.copyState(from: weight)
        try c.bias?.copyState(from: bias)
        c.weightTransform = weightTransform
        c.inputQuantization = inputQuantization
        copyBaseState(to: c)
        return c
    }

    public override func clearCache() { input = nil; usedWeight = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "linear")
        let k = inFeatures, n = outFeatures
        guard x.rank >= 1, x.shape[x.rank - 1] == k else {
            throw NNError.shapeMismatch(layer: nil, message: "expected last dimension \(k), got \(x.rank == 0 ? "a scalar" : String(x.shape[x.rank - 1]))")
        }
        let w = try weightTransform.map { try $0(weight.value) } ?? weight.value
        guard w.shape == weight.value.shape, w.dtype == .f32 else {
            throw NNError.invalidArgument("linear: weight transform changed the weight's shape or dtype")
        }
        let m = x.count / k
        var outShape = x.shape
        outShape[x.rank - 1] = n
        let y = try Tensor(zeros: outShape)
        if !training, weightTransform == nil, let q = weight.encoding as? ExecutableEncoding {
            // Eval with a compact weight: its own kernel (int8 VNNI, Q8_0/Q4_0 block dot products).
            try QuantizedExecution.linear(q, x: x, m: m, input: inputQuantization, bias: bias?.value, into: y)
        } else if m > 0 {
            GEMM.sgemm(m: m, n: n, k: k, a: x.floats, lda: k, b: w.floats, ldb: k, transB: true, c: y.floats, ldc: n)
            if let b = bias { addRowVector(y.floats, rows: m, cols: n, b.value.floats) }
        }
        input = x
        usedWeight = w
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let x = input, let w = usedWeight else { throw NNError.backwardState("linear: backward called before forward") }
        let k = inFeatures, n = outFeatures, m = x.count / k
        guard g.count == m * n, g.rank >= 1, g.shape[g.rank - 1] == n else {
            throw NNError.backwardState("linear: gradient shape \(shapeString(g.shape)) does not match the output")
        }
        let gx = try Tensor(zeros: needsInputGradient ? x.shape : [0])
        guard m > 0 else { return gx }
        // dW (n×k) += gᵀ (n×m) · x (m×k)
        GEMM.sgemm(m: n, n: k, k: m, a: g.floats, lda: n, transA: true, b: x.floats, ldb: k, c: weight.grad.floats, ldc: k, beta: 1)
        if let b = bias { addColumnSums(g.floats, rows: m, cols: n, into: b.grad.floats) }
        if needsInputGradient {
            GEMM.sgemm(m: m, n: k, k: n, a: g.floats, lda: n, b: w.floats, ldb: k, c: gx.floats, ldc: k)
        }
        return gx
    }
}

/// rows×cols matrix += v broadcast over rows.
func addRowVector(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ v: UnsafePointer<Float>) {
    for i in 0..<rows {
        let r = y + i * cols
        for j in 0..<cols { r[j] += v[j] }
    }
}

/// out[j] += Σ_i g[i, j].
func addColumnSums(_ g: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<rows {
        let r = g + i * cols
        for j in 0..<cols { out[j] += r[j] }
    }
}
