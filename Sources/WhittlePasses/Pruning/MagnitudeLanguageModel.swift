import Foundation
import WhittleNN

/// `prune.magnitude` on language models: each attention and MLP projection loses its
/// round(sparsity·n) smallest |w| (layer-wise, as the SparseGPT paper's magnitude baseline);
/// no calibration data.
extension MagnitudePrunePass: LanguageModelPass {
    public var languageModelParams: [PassParam] {
        [
            PassParam("sparsity", .number, min: 0, max: 1, maxExclusive: true, doc: "Fraction of each projection's weights removed (round(sparsity·n) exactly)."),
            LanguageModelPruning.formatParam,
        ]
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let sparsity = o.number("sparsity") ?? 0
        let format = o.string("format") ?? "auto"
        let start = Date()
        var report = PassReport(pass: name)
        for (pname, p) in LanguageModelPruning.projections(d) {
            let t0 = Date()
            let w = try LanguageModelPruning.floats(p)
            let pruned = MatrixPruning.unstructured(w, score: w.map(MatrixPruning.magnitude), sparsity: sparsity)
            let type = try LanguageModelPruning.store(pruned, in: p, format: format)
            report.rows.append(LanguageModelPruning.row(pname, pruned, type: type, seconds: Date().timeIntervalSince(t0)))
        }
        report.summary = try LanguageModelPruning.summary(.unstructured(sparsity), d, seconds: Date().timeIntervalSince(start))
        return report
    }
}

/// `prune.nm` on language models: every aligned group of m inputs of each projection row keeps
/// its n largest |w| (magnitude N:M, the baseline for SparseGPT's and Wanda's N:M).
extension NMPrunePass: LanguageModelPass {
    public var languageModelParams: [PassParam] {
        [
            PassParam("n", .integer, default: .integer(2), min: 1, max: 64, doc: "Weights kept per group."),
            PassParam("m", .integer, default: .integer(4), min: 2, max: 64, doc: "Group size along the input dimension."),
            LanguageModelPruning.formatParam,
        ]
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let n = o.integer("n") ?? 2, m = o.integer("m") ?? 4
        guard n < m else { throw PassError.invalidOption(pass: name, message: "'n' must be less than 'm', got n=\(n), m=\(m)") }
        let pattern = SparseGPT.Pattern.nm(n: m - n, m: m)
        let projections = LanguageModelPruning.projections(d)
        try LanguageModelPruning.check(pattern, projections, pass: name)
        let format = o.string("format") ?? "auto"
        let start = Date()
        var report = PassReport(pass: name)
        for (pname, p) in projections {
            let t0 = Date()
            let w = try LanguageModelPruning.floats(p)
            let pruned = MatrixPruning.nm(w, score: w.map(MatrixPruning.magnitude), rows: p.outFeatures, cols: p.inFeatures, n: n, m: m)
            let type = try LanguageModelPruning.store(pruned, in: p, format: format)
            report.rows.append(LanguageModelPruning.row(pname, pruned, type: type, seconds: Date().timeIntervalSince(t0)))
        }
        report.summary = try LanguageModelPruning.summary(pattern, d, seconds: Date().timeIntervalSince(start))
        return report
    }
}
