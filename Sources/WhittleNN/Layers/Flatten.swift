import WhittleTensor

/// Flattens every dimension after the first: (n, c, h, w) → (n, c·h·w).
public final class Flatten: Module {
    private var inputShape: [Int]?
    public override init() { super.init() }
    public override var typeName: String { "flatten" }
    public override func copy() throws -> Module { let c = Flatten(); copyBaseState(to: c); return c }
    public override func clearCache() { inputShape = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw NNError.shapeMismatch(layer: nil, message: "flatten needs a batch, got a scalar") }
        inputShape = x.shape
        return try x.reshaped([x.shape[0], x.shape[0] == 0 ? 0 : x.count / x.shape[0]])
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let shape = inputShape else { throw NNError.backwardState("flatten: backward called before forward") }
        guard g.count == (try Tensor.checkedCount(shape)) else {
            throw NNError.backwardState("flatten: gradient shape \(shapeString(g.shape)) does not match the output")
        }
        return try g.reshaped(shape)
    }
}
