import Foundation
import WhittleNN

/// `prune.wanda` (Sun, Liu, Bair & Kolter 2023): a weight's score is |W_ij|·||X_j||₂, its
/// magnitude times the L2 norm of its input column over the calibration tokens; each output
/// row loses its lowest-scoring fraction (or, N:M, each group of m inputs keeps its n best).
/// Calibrated block by block on token windows (only column norms, no Hessian), the pruned
/// block making the next block's inputs as in the reference. Language models only; the
/// layer-model version is the example plugin Plugins/wanda/wanda.lua.
public final class WandaPass: LanguageModelPass {
    public let name = "prune.wanda"
    public let doc = "Wanda: prunes each output row by |W|·||X_j|| (weight magnitude times input-column norm on calibration windows), unstructured or N:M, block by block."
    public let source = PassSource.builtin
    public var params: [PassParam] { languageModelParams }
    public var languageModelOnly: Bool { true }

    public init() {}

    public var languageModelParams: [PassParam] {
        LanguageModelPruning.patternParams + [calibrationParam, LanguageModelPruning.formatParam]
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        throw PassError.languageModelOnly(pass: name)
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let pattern = try LanguageModelPruning.pattern(o, pass: name)
        try LanguageModelPruning.check(pattern, LanguageModelPruning.projections(d), pass: name)
        let windows = try calibration(o)
        let format = o.string("format") ?? "auto"
        let start = Date()
        var report = PassReport(pass: name)
        do {
            try DecoderCalibration.runColumnNorms(d, windows: windows.windows, log: context.log) { pname, p, sumSquares in
                let t0 = Date()
                let w = try LanguageModelPruning.floats(p)
                let pruned = Wanda.prune(w, rows: p.outFeatures, cols: p.inFeatures, columnSumSquares: sumSquares, pattern: pattern)
                let type = try LanguageModelPruning.store(pruned, in: p, format: format)
                report.rows.append(LanguageModelPruning.row(pname, pruned, type: type, seconds: Date().timeIntervalSince(t0)))
            }
        } catch let e as CalibrationError { throw PassError.failed(pass: name, message: e.description) }
        report.summary = try LanguageModelPruning.summary(pattern, d, seconds: Date().timeIntervalSince(start))
            + [("windows", .integer(windows.count)), ("ctx", .integer(windows.ctx))]
        return report
    }
}

/// Wanda's pruning rule on one matrix.
public enum Wanda {
    /// `w` (rows x cols) pruned by the scores |W_ij|·sqrt(Σ x_j²): per row (unstructured) or
    /// per group of m inputs (N:M, `pattern`'s n counting zeros as in `SparseGPT.Pattern`).
    public static func prune(_ w: [Float], rows: Int, cols: Int, columnSumSquares s: [Double], pattern: SparseGPT.Pattern) -> [Float] {
        let norms = (0..<cols).map { j in Float(j < s.count ? s[j].squareRoot() : 0) }
        var score = [Float](repeating: 0, count: w.count)
        for r in 0..<rows {
            for j in 0..<cols {
                let v = MatrixPruning.magnitude(w[r * cols + j]) * norms[j]
                score[r * cols + j] = v.isNaN ? .infinity : v
            }
        }
        switch pattern {
        case .unstructured(let sparsity): return MatrixPruning.perRow(w, score: score, rows: rows, cols: cols, sparsity: sparsity)
        case .nm(let zeros, let m): return MatrixPruning.nm(w, score: score, rows: rows, cols: cols, n: m - zeros, m: m)
        }
    }
}
