import WhittleNN
import WhittleTensor

/// Moving per-input-channel scales s through a block without changing what it computes
/// (AWQ, SmoothQuant): the op before the projections divides its output channel j by s_j and the
/// projections multiply their input column j by s_j. Every change replaces the parameter's value
/// with a new tensor (the pass contract), and weights stored quantized are decoded to f32 first.
public enum ScaleFolding {
    /// The norm's output divided by s: (offset + w') = (offset + w) / s, so Gemma's (1 + w) norms fold too.
    public static func divideNorm(_ n: RMSNorm, by s: [Float]) throws {
        let w = try n.weight.value.checkedF32()
        guard w.count == s.count else { throw CalibrationError.invalid("scale folding: norm of \(w.count) for \(s.count) scales") }
        for j in 0..<s.count { w.floats[j] = (n.offset + w.floats[j]) / s[j] - n.offset }
        n.weight.value = w
    }

    /// Output rows (weight rows and bias) divided by s.
    public static func divideRows(_ p: Projection, by s: [Float]) throws {
        let w = try p.weight.value.checkedF32()
        let rows = p.outFeatures, k = p.inFeatures
        guard rows == s.count else { throw CalibrationError.invalid("scale folding: \(rows) rows for \(s.count) scales") }
        for r in 0..<rows { let inv = 1 / s[r]; for j in 0..<k { w.floats[r * k + j] *= inv } }
        p.weight.value = w
        if let b = p.bias {
            let nb = try b.value.checkedF32()
            for r in 0..<rows { nb.floats[r] /= s[r] }
            b.value = nb
        }
    }

    /// Input columns multiplied by s.
    public static func multiplyColumns(_ p: Projection, by s: [Float]) throws {
        let w = try p.weight.value.checkedF32()
        let rows = p.outFeatures, k = p.inFeatures
        guard k == s.count else { throw CalibrationError.invalid("scale folding: \(k) columns for \(s.count) scales") }
        for r in 0..<rows { for j in 0..<k { w.floats[r * k + j] *= s[j] } }
        p.weight.value = w
    }

    /// For GQA's v -> o pair: o's input column h·headDim + d reads v's row g·headDim + d with
    /// g = h / (heads / kvHeads), so o's columns share v's scales; the column -> scale index map.
    public static func headTie(heads: Int, kvHeads: Int, headDim: Int) -> [Int] {
        let perGroup = heads / kvHeads
        return (0..<(heads * headDim)).map { c in (c / headDim / perGroup) * headDim + c % headDim }
    }
}

/// Per-column statistics of a projection group's input over the calibration windows: mean and
/// maximum of |x|, and (when asked) the Hessian 2/n·XᵀX.
struct InputStatistics {
    let cols: Int
    private(set) var absSum: [Double]
    private(set) var absMax: [Float]
    private(set) var rows = 0
    var hessian: HessianAccumulator?

    init(cols: Int, hessian: Bool) throws {
        self.cols = cols
        absSum = [Double](repeating: 0, count: cols)
        absMax = [Float](repeating: 0, count: cols)
        self.hessian = hessian ? try HessianAccumulator(cols: cols) : nil
    }

    mutating func add(_ x: Tensor) {
        let n = x.shape[0], p = x.floats
        for r in 0..<n {
            let row = p + r * cols
            for j in 0..<cols { let a = abs(row[j]); absSum[j] += Double(a); if a > absMax[j] { absMax[j] = a } }
        }
        rows += n
        hessian?.add(p, rows: n)
    }

    /// Mean |x| per column.
    var absMean: [Float] { absSum.map { Float($0 / Double(max(rows, 1))) } }

    /// Runs block `b` of `model` over `states` with observers on `inputs` (one per group) and
    /// returns one statistics record per group.
    static func collect(_ model: DecoderModel, block b: Int, states: [Tensor], inputs: [Projection],
                        hessians: Bool) throws -> [InputStatistics] {
        var stats = try inputs.map { try InputStatistics(cols: $0.inFeatures, hessian: hessians) }
        for (i, p) in inputs.enumerated() { p.inputObserver = { x in stats[i].add(x) } }
        defer { for p in inputs { p.inputObserver = nil } }
        for x in states { _ = try model.runBlock(b, x) }
        for p in inputs { p.inputObserver = nil }
        return stats
    }
}
