import Foundation
import WhittleKernels
import WhittleNN
import WhittleTensor

/// What the pruning passes share on language models (`prune.magnitude`, `prune.nm`,
/// `prune.wanda`, `prune.sparsegpt`): the attention and MLP projections they prune (never the
/// embeddings or the output head, as in the SparseGPT and Wanda papers), the pattern options,
/// and the type the pruned weights are stored in.
///
/// Storage: a pruned weight must keep its zeros exact, so it is stored as f32, f16 or bf16
/// (option `format`). "auto" keeps a float weight in its own type and stores a block-quantized
/// weight (dequantized to be pruned) as f32; requantizing to a ggml block type would move the
/// zeros of the types with an offset (Q4_1, Q5_1, K-quants), so quantization is a separate,
/// later step (`quantize.gptq`, `whittle quantize`). No masks are kept: language-model
/// weights are inference weights (the layer-model passes mask for fine-tuning).
public enum LanguageModelPruning {
    /// The `format` option of every pruning pass on language models.
    public static let formatParam = PassParam(
        "format", .string, default: .string("auto"), choices: ["auto", "f32", "f16", "bf16"],
        doc: "Type of the pruned weights: \"auto\" keeps f32/f16/bf16 weights in their type and stores block-quantized ones (dequantized to be pruned) as f32; block types would not keep the zeros exact, so quantize afterwards.")

    /// The unstructured-or-N:M options (`sparsity`, or `n` kept of every `m`).
    public static let patternParams: [PassParam] = [
        PassParam("sparsity", .number, default: .number(0.5), min: 0, max: 1, maxExclusive: true,
                  doc: "Fraction of each projection's weights removed (unstructured; ignored when n and m are given)."),
        PassParam("n", .integer, min: 1, max: 64, optional: true, doc: "N:M pattern: weights kept in every group of m consecutive inputs (with 'm')."),
        PassParam("m", .integer, min: 2, max: 64, optional: true, doc: "N:M pattern: group size along the input dimension."),
    ]

    /// The pattern the options ask for, as `SparseGPT.Pattern` (whose N:M counts zeros per group).
    public static func pattern(_ o: PassOptions, pass: String) throws -> SparseGPT.Pattern {
        switch (o.integer("n"), o.integer("m")) {
        case (nil, nil): return .unstructured(o.number("sparsity") ?? 0.5)
        case let (n?, m?):
            guard n < m else { throw PassError.invalidOption(pass: pass, message: "'n' (\(n)) must be less than 'm' (\(m)): n weights are kept in every group of m") }
            return .nm(n: m - n, m: m)
        default: throw PassError.invalidOption(pass: pass, message: "give both 'n' and 'm' for an N:M pattern")
        }
    }

    /// "50%" or "2:4" (kept:group), for reports.
    public static func describe(_ p: SparseGPT.Pattern) -> String {
        switch p {
        case .unstructured(let s): return String(format: "%g%%", s * 100)
        case .nm(let zeros, let m): return "\(m - zeros):\(m)"
        }
    }

    /// Every projection of every block, in execution order, with its checkpoint name.
    public static func projections(_ d: DecoderModel) -> [(name: String, projection: Projection)] {
        (0..<d.blockCount).flatMap { b in d.blockProjections(b).flatMap { $0 } }
    }

    /// Refuses (before any weight changes) projections whose rows do not split into groups of m.
    public static func check(_ p: SparseGPT.Pattern, _ projections: [(name: String, projection: Projection)], pass: String) throws {
        guard case .nm(_, let m) = p else { return }
        for (name, proj) in projections where proj.inFeatures % m != 0 {
            throw PassError.invalidTarget(pass: pass, message: "'\(name)' has rows of \(proj.inFeatures), not a multiple of m=\(m)")
        }
    }

    /// The type `format` stores a pruned copy of `current` in.
    public static func storedType(_ format: String, current: DType) -> DType {
        switch format {
        case "f16": return .f16
        case "bf16": return .bf16
        case "f32": return .f32
        default: return [.f32, .f16, .bf16].contains(current) ? current : .f32
        }
    }

    /// The projection's weight as f32 values (rows x cols, row-major).
    public static func floats(_ p: Projection) throws -> [Float] {
        let w = try p.weight.value.checkedF32()
        return Array(UnsafeBufferPointer(start: w.floats, count: w.count))
    }

    /// Replaces the projection's weight by `values` in the type `format` chooses (a new tensor:
    /// the old one may borrow a mapped file and is what a failed run restores).
    @discardableResult
    public static func store(_ values: [Float], in p: Projection, format: String) throws -> DType {
        let shape = p.weight.value.shape
        let type = storedType(format, current: p.weight.value.dtype)
        let t = try Tensor(zeros: shape, dtype: type)
        guard let g = type.ggmlLayout else { throw PassError.failed(pass: "prune", message: "no ggml layout for \(type)") }
        try values.withUnsafeBufferPointer { v in
            try GGMLCodec.quantize(g, v.baseAddress!, t.storage.bytes, count: values.count, rowLength: shape[1])
        }
        p.weight.value = t
        return type
    }

    /// Zeros among `values`.
    public static func zeros(_ values: [Float]) -> Int { values.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }

    /// One report row: sparsity, stored type, and the method's extra values.
    public static func row(_ name: String, _ values: [Float], type: DType, seconds: Double,
                           extra: [(String, PassValue)] = []) -> PassReport.Row {
        let z = zeros(values)
        return PassReport.Row(target: name + ".weight", values: [
            ("sparsity", .number(Double(z) / Double(max(values.count, 1)))), ("type", .string(type.description)),
        ] + extra + [("seconds", .number(seconds))])
    }

    /// The summary every pruning pass reports: pattern, tensors, overall sparsity of the projections.
    public static func summary(_ pattern: SparseGPT.Pattern, _ d: DecoderModel, seconds: Double) throws -> [(String, PassValue)] {
        var zeros = 0, total = 0
        for (_, p) in projections(d) {
            let w = try p.weight.value.checkedF32()
            for i in 0..<w.count where w.floats[i] == 0 { zeros += 1 }
            total += w.count
        }
        return [("pattern", .string(describe(pattern))), ("tensors", .integer(projections(d).count)),
                ("sparsity", .number(Double(zeros) / Double(max(total, 1)))), ("seconds", .number(seconds))]
    }
}

/// Magnitude and N:M pruning of a weight matrix as plain values (the language-model passes
/// prune stored weights, which carry no masks).
public enum MatrixPruning {
    /// |w| as a pruning score; NaN ranks highest, so it is never dropped silently.
    public static func magnitude(_ w: Float) -> Float { w.isNaN ? .infinity : abs(w) }

    /// `w` (rows x cols) with round(sparsity·count) entries of smallest `score` zeroed
    /// (ties to the lower index), across the whole matrix.
    public static func unstructured(_ w: [Float], score: [Float], sparsity: Double) -> [Float] {
        let k = MagnitudePruner.prunedCount(sparsity, of: w.count)
        return zeroLowest(w, score: score, range: 0..<w.count, k: k)
    }

    /// Each row of `w` loses its round(sparsity·cols) entries of smallest `score`.
    public static func perRow(_ w: [Float], score: [Float], rows: Int, cols: Int, sparsity: Double) -> [Float] {
        let k = MagnitudePruner.prunedCount(sparsity, of: cols)
        var out = w
        for r in 0..<rows {
            let idx = (r * cols..<(r + 1) * cols).sorted { a, b in
                score[a] != score[b] ? score[a] < score[b] : a < b
            }
            for i in idx.prefix(k) { out[i] = 0 }
        }
        return out
    }

    /// Each aligned group of `m` inputs of every row keeps its `n` entries of largest `score`.
    public static func nm(_ w: [Float], score: [Float], rows: Int, cols: Int, n: Int, m: Int) -> [Float] {
        var out = w
        for r in 0..<rows {
            var g = 0
            while g < cols {
                let start = r * cols + g, end = r * cols + min(g + m, cols)
                let idx = (start..<end).sorted { a, b in score[a] != score[b] ? score[a] < score[b] : a < b }
                for i in idx.prefix(max(0, idx.count - n)) { out[i] = 0 }
                g += m
            }
        }
        return out
    }

    private static func zeroLowest(_ w: [Float], score: [Float], range: Range<Int>, k: Int) -> [Float] {
        var out = w
        let idx = range.sorted { a, b in score[a] != score[b] ? score[a] < score[b] : a < b }
        for i in idx.prefix(k) { out[i] = 0 }
        return out
    }
}
