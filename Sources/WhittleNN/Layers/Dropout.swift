import WhittleTensor

/// Inverted dropout: in training, zeroes each element with probability p and scales
/// the rest by 1/(1-p); identity in evaluation. Seeded, so runs are reproducible.
public final class Dropout: Module {
    /// Drop probability in [0, 1).
    public let p: Float
    private var generator: SeededGenerator
    private var keep: Tensor?

    /// A dropout layer; `seed` starts its mask sequence (the trainer reseeds it from the run seed).
    public init(_ p: Float, seed: UInt64 = 0) throws {
        guard p >= 0 && p < 1 else { throw NNError.invalidArgument("dropout: 'p' must be in [0, 1), got \(p)") }
        self.p = p
        generator = SeededGenerator(seed: seed)
        super.init()
    }

    /// Restarts the mask sequence.
    public func reseed(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public override var typeName: String { "dropout" }
    public override var description: String { "dropout(\(p))" }
    public override func spec() -> [String: Any] { ["type": typeName, "p": Double(p)] }
    public override func copy() throws -> Module {
        let c = try Dropout(p)
        c.generator = generator
        copyBaseState(to: c)
        return c
    }
    public override func clearCache() { keep = nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try requireFloat(x, "dropout")
        guard training && p > 0 else { keep = nil; return x }
        let mask = try Tensor(zeros: x.shape)
        let y = try Tensor(zeros: x.shape)
        let scale = 1 / (1 - p), m = mask.floats, s = x.floats, d = y.floats
        for i in 0..<x.count {
            m[i] = generator.uniform() >= p ? scale : 0
            d[i] = s[i] * m[i]
        }
        keep = mask
        return y
    }

    public override func backward(_ g: Tensor) throws -> Tensor {
        guard let m = keep else { return g }
        try checkGradient(g, m, "dropout")
        let gx = try Tensor(zeros: g.shape)
        for i in 0..<g.count { gx.floats[i] = g.floats[i] * m.floats[i] }
        return gx
    }
}
