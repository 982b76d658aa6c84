import WhittleKernels
import WhittleTensor

/// 2-D convolution over NCHW batches (square kernel, stride, zero padding), by im2col and one GEMM.
public final class Conv2d: Module {
    /// Weight (out, in, k, k); assign another layer's parameter to tie them.
    public var weight: Parameter
    /// Bias (out), or nil.
    public var bias: Parameter?
    /// Step between windows.
    public let stride: Int
    /// Zeros added on each border.
    public let padding: Int
    /// As `Linear.weightTransform`: forward uses the transformed weight, gradients go to `weight` (STE).
    public var weightTransform: ((Tensor) throws -> Tensor)?
    private var geometry: ConvGeometry?
    private var columns: Tensor?
    private var usedWeight: Tensor?
    /// Static int8 input quantization from calibration, used with an int8-encoded weight in eval mode.
    public var inputQuantization: ActivationQuantization?
    // Scratch reused across batches: fresh multi-megabyte buffers cost page faults and memsets.
    private var product: Tensor?
    private var gradProduct: Tensor?
    private var gradColumns: Tensor?

    /// Input channels.
    public var inChannels: Int { weight.value.shape[1] }
    /// Output channels.
    public var outChannels: Int { weight.value.shape[0] }
    /// Kernel side.
    public var kernelSize: Int { weight.value.shape[2] }

    /// A layer with torch's default uniform initialisation (bound 1/sqrt(in·k·k)) from `generator`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, generator: inout SeededGenerator) throws {
        let (w, b) = try Conv2d.initialTensors(inChannels, outChannels, kernel, bias, &generator)
        try self.init(weight: w, bias: b, stride: stride, padding: padding)
    }

    /// A layer initialised from the default generator (see `NNInit`).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) throws {
        let (w, b) = try NNInit.withDefault { try Conv2d.initialTensors(inChannels, outChannels, kernel, bias, &$0) }
        try self.init(weight: w, bias: b, stride: stride, padding: padding)
    }

    /// A layer holding the given tensors (weight out×in×k×k, bias out).
    public init(weight w: Tensor, bias b: Tensor?, stride: Int = 1, padding: Int = 0) throws {
        guard w.rank == 4, w.shape[2] == w.shape[3], w.shape[2] > 0 else {
            throw NNError.invalidModel("conv2d: weight must be out×in×k×k, got \(shapeString(w.shape))")
        }
        if let b = b, b.shape != [w.shape[0]] {
            throw NNError.invalidModel("conv2d: bias shape \(shapeString(b.shape)) does not match \(w.shape[0]) output channels")
        }
        try checkDim(stride, "conv2d: 'stride'")
        try checkDim(padding, "conv2d: 'padding'", min: 0)
        weight = try Parameter(w)
        bias = try b.map { try Parameter($0) }
        self.stride = stride
        self.padding = padding
        super.init()
    }

    private static func initialTensors(_ cin: Int, _ cout: Int, _ k: Int, _ bias: Bool, _ g: inout SeededGenerator) throws -> (Tensor, Tensor?) {
        try checkDim(cin, "conv2d: 'in'")
        try checkDim(cout, "conv2d: 'out'")
        try checkDim(k, "conv2d: 'kernel'")
        try checkSize([cout, cin, k, k], "conv2d")
        let bound = 1 / Float(cin * k * k).squareRoot()
        let w = try NNInit.uniform([cout, cin, k, k], bound: bound, generator: &g)
        return (w, bias ? try NNInit.uniform([cout], bound: bound, generator: &g) : nil)
    }

    public override var typeName: String { "conv2d" }
    public override var description: String {
        "conv2d(\(inChannels) -> \(outChannels), \(kernelSize)x\(kernelSize), stride \(stride), padding \(padding))"
    }
    public override var localParameters: [(name: String, parameter: Parameter)] {
        var p = [(name: "weight", parameter: weight)]
        if let b = bias { p.append((name: "bias", parameter: b)) }
        return p
    }
    public override func spec() -> [String: Any] {
        ["type": typeName, "in": inChannels, "out": outChannels, "kernel": kernelSize,
         "stride": stride, "padding": padding, "bias": bias != nil]
    }

    public override func copy() throws -> Module {
        let c = try Conv2d(weight: weight.value.checkedClone(), bias: bias?.value.checkedClone(), stride: stride, padding: padding)
        try c.weight.copyState(from: weight)
        try c.bias?.copyState(from: bias)
        c.weightTransform = weightTransform
        c.inputQuantization = inputQuantization
        copyBaseState(to: c)
        return c
    }

    public override func clearCache() {
        columns = nil; usedWeight = nil; geometry = nil
        product = nil; gradProduct = nil; gradColumns = nil
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "conv2d")
        guard x.rank == 4 else {
            throw NNError.shapeMismatch(layer: nil, message: "expected a 4-D batch (n, channels, height, width), got \(shapeString(x.shape))")
        }
        guard x.shape[1] == inChannels else {
            throw NNError.shapeMismatch(layer: nil, message: "expected \(inChannels) input channels, got \(x.shape[1])")
        }
        let geo = ConvGeometry(batch: x.shape[0], channels: inChannels, height: x.shape[2], width: x.shape[3],
                               kernel: kernelSize, stride: stride, padding: padding)
        guard x.shape[2] + 2 * padding >= kernelSize, x.shape[3] + 2 * padding >= kernelSize else {
            throw NNError.shapeMismatch(layer: nil, message: "input \(x.shape[2])x\(x.shape[3]) is smaller than the \(kernelSize)x\(kernelSize) kernel")
        }
        let w = try weightTransform.map { try $0(weight.value) } ?? weight.value
        guard w.shape == weight.value.shape, w.dtype == .f32 else {
            throw NNError.invalidArgument("conv2d: weight transform changed the weight's shape or dtype")
        }
        let pos = geo.positions, bp = geo.batch * pos, taps = geo.taps, cout = outChannels
        try checkSize([taps, bp], "conv2d: im2col buffer")
        let col = try reuse(columns, [taps, bp])
        Im2col.pack(x.floats, geo, into: col.floats)
        let y = try Tensor(zeros: [geo.batch, cout, geo.outHeight, geo.outWidth])
        if !training, weightTransform == nil, let q = weight.encoding as? ExecutableEncoding {
            // Eval with a compact weight: the encoding's kernel on the im2col rows.
            try QuantizedExecution.conv(q, columns: col, geometry: geo, input: inputQuantization, bias: bias?.value, into: y)
        } else if bp > 0 {
            let out = try reuse(product, [cout, bp])
            product = out
            GEMM.sgemm(m: cout, n: bp, k: taps, a: w.floats, lda: taps, b: col.floats, ldb: bp, c: out.floats, ldc: bp)
            // (cout, batch·pos) → (batch, cout, pos), adding the bias on the way.
            let src = out.floats, dst = y.floats, bv = bias?.value.floats
            for b in 0..<geo.batch {
                for o in 0..<cout {
                    let s = src + o * bp + b * pos, d = dst + (b * cout + o) * pos
                    let add = bv?[o] ?? 0
                    for i in 0..<pos { d[i] = s[i] + add }
                }
            }
        }
        geometry = geo
        columns = col
        usedWeight = w
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let geo = geometry, let col = columns, let w = usedWeight else {
            throw NNError.backwardState("conv2d: backward called before forward")
        }
        let pos = geo.positions, bp = geo.batch * pos, taps = geo.taps, cout = outChannels
        guard g.shape == [geo.batch, cout, geo.outHeight, geo.outWidth] else {
            throw NNError.backwardState("conv2d: gradient shape \(shapeString(g.shape)) does not match the output")
        }
        let gx = try Tensor(zeros: needsInputGradient ? [geo.batch, geo.channels, geo.height, geo.width] : [0])
        guard bp > 0 else { return gx }
        let g2 = try reuse(gradProduct, [cout, bp])
        gradProduct = g2
        let src = g.floats, dst = g2.floats
        for b in 0..<geo.batch {
            for o in 0..<cout { (dst + o * bp + b * pos).update(from: src + (b * cout + o) * pos, count: pos) }
        }
        accumulateABt(m: cout, n: taps, k: bp, a: g2.floats, lda: bp, b: col.floats, ldb: bp, c: weight.grad.floats)
        if let b = bias {
            for o in 0..<cout {
                let r = dst + o * bp
                var s: Float = 0
                for i in 0..<bp { s += r[i] }
                b.grad.floats[o] += s
            }
        }
        if needsInputGradient {
            let gcol = try reuse(gradColumns, [taps, bp])
            gradColumns = gcol
            GEMM.sgemm(m: taps, n: bp, k: cout, a: w.floats, lda: taps, transA: true, b: g2.floats, ldb: bp,
                       c: gcol.floats, ldc: bp)
            Im2col.unpack(gcol.floats, geo, into: gx.floats)
        }
        return gx
    }
}

/// `old` when it already has `shape` (no reallocation per batch), else a new zeroed tensor.
func reuse(_ old: Tensor?, _ shape: [Int]) throws -> Tensor {
    if let t = old, t.shape == shape { return t }
    return try Tensor(zeros: shape)
}
