import WhittleKernels
import WhittleTensor

/// Max pooling over NCHW batches (square window, stride defaults to the window, no padding).
public final class MaxPool2d: Module {
    /// Window side.
    public let kernel: Int
    /// Step between windows.
    public let stride: Int
    private var argmax: [Int32] = []
    private var inputShape: [Int]?

    /// A pooling layer; throws on a non-positive window or stride.
    public init(_ kernel: Int, stride: Int? = nil) throws {
        try checkDim(kernel, "maxpool2d: 'kernel'")
        try checkDim(stride ?? kernel, "maxpool2d: 'stride'")
        self.kernel = kernel
        self.stride = stride ?? kernel
        super.init()
    }

    public override var typeName: String { "maxpool2d" }
    public override var description: String { "maxpool2d(\(kernel)x\(kernel), stride \(stride))" }
    public override func spec() -> [String: Any] { ["type": typeName, "kernel": kernel, "stride": stride] }
    public override func copy() throws -> Module {
        let c = try MaxPool2d(kernel, stride: stride)
        copyBaseState(to: c)
        return c
    }
    public override func clearCache() { argmax = []; inputShape = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "maxpool2d")
        guard x.rank == 4 else {
            throw NNError.shapeMismatch(layer: nil, message: "expected a 4-D batch (n, channels, height, width), got \(shapeString(x.shape))")
        }
        let h = x.shape[2], w = x.shape[3]
        guard h >= kernel, w >= kernel else {
            throw NNError.shapeMismatch(layer: nil, message: "input \(h)x\(w) is smaller than the \(kernel)x\(kernel) window")
        }
        guard x.count < Int(Int32.max) else { throw NNError.invalidArgument("maxpool2d: input too large") }
        let oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1
        let planes = x.shape[0] * x.shape[1]
        let y = try Tensor(zeros: [x.shape[0], x.shape[1], oh, ow])
        argmax = [Int32](repeating: 0, count: y.count)
        let k = kernel, s = stride
        argmax.withUnsafeMutableBufferPointer { am in
            guard let idx = am.baseAddress else { return }
            let src = x.floats, dst = y.floats
            let chunks = min(planes, KernelThreads.count * 4)
            KernelThreads.parallelFor(chunks) { chunk in
                for pl in (planes * chunk / chunks)..<(planes * (chunk + 1) / chunks) {
                    let base = pl * h * w
                    if k == 2 && s == 2 {
                        // The common 2x2 window, unrolled: ties keep the first maximum like the general loop.
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                let i0 = base + 2 * oy * w + 2 * ox, i2 = i0 + w
                                var best = i0, bv = src[i0]
                                if src[i0 + 1] > bv { bv = src[i0 + 1]; best = i0 + 1 }
                                if src[i2] > bv { bv = src[i2]; best = i2 }
                                if src[i2 + 1] > bv { bv = src[i2 + 1]; best = i2 + 1 }
                                let o = (pl * oh + oy) * ow + ox
                                dst[o] = bv
                                idx[o] = Int32(truncatingIfNeeded: best)
                            }
                        }
                        continue
                    }
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var best = base + oy * s * w + ox * s
                            var bv = src[best]
                            for ky in 0..<k {
                                let row = base + (oy * s + ky) * w + ox * s
                                for kx in 0..<k where src[row + kx] > bv { bv = src[row + kx]; best = row + kx }
                            }
                            let o = (pl * oh + oy) * ow + ox
                            dst[o] = bv
                            idx[o] = Int32(best)
                        }
                    }
                }
            }
        }
        inputShape = x.shape
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let shape = inputShape else { throw NNError.backwardState("maxpool2d: backward called before forward") }
        guard g.count == argmax.count else {
            throw NNError.backwardState("maxpool2d: gradient shape \(shapeString(g.shape)) does not match the output")
        }
        let gx = try Tensor(zeros: shape)
        let src = g.floats, dst = gx.floats
        for (o, i) in argmax.enumerated() { dst[Int(i)] += src[o] }
        return gx
    }
}
