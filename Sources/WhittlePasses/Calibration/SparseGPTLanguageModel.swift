import Foundation
import WhittleNN

/// `prune.sparsegpt` on language models: every attention and MLP projection, block by block
/// on calibration windows (`DecoderCalibration`), unstructured or N:M, the kept weights
/// reconstructed through the inverse Hessian; the pruned block makes the next block's inputs.
/// Pruned weights are stored as `LanguageModelPruning.formatParam` says (f32 for quantized input).
extension SparseGPTPass: LanguageModelPass {
    public var languageModelParams: [PassParam] {
        LanguageModelPruning.patternParams + [
            calibrationParam,
            PassParam("block_size", .integer, default: .integer(128), min: 1, max: 4096, doc: "Columns per lazy update batch (the unstructured mask is chosen per batch)."),
            PassParam("damp", .number, default: .number(0.01), min: 0, max: 1, minExclusive: true, doc: "Hessian damping as a fraction of its mean diagonal; raised tenfold (up to 3 times) when Cholesky fails."),
            LanguageModelPruning.formatParam,
        ]
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let pattern = try LanguageModelPruning.pattern(o, pass: name)
        try LanguageModelPruning.check(pattern, LanguageModelPruning.projections(d), pass: name)
        let windows = try calibration(o)
        let format = o.string("format") ?? "auto"
        let blockSize = o.integer("block_size") ?? 128, damp = o.number("damp") ?? 0.01
        let start = Date()
        var report = PassReport(pass: name)
        do {
            try DecoderCalibration.run(d, windows: windows.windows, log: context.log) { pname, p, acc in
                let t0 = Date()
                let w = try LanguageModelPruning.floats(p)
                let r = try SparseGPT.prune(w, rows: p.outFeatures, cols: p.inFeatures, hessian: &acc, pattern: pattern,
                                            blockSize: blockSize, damp: damp)
                acc = []
                let type = try LanguageModelPruning.store(r.values, in: p, format: format)
                report.rows.append(LanguageModelPruning.row(pname, r.values, type: type, seconds: Date().timeIntervalSince(t0),
                                                            extra: [("loss", .number(r.loss)), ("damp", .number(r.damp))]))
            }
        } catch let e as CalibrationError { throw PassError.failed(pass: name, message: e.description) }
        report.summary = try LanguageModelPruning.summary(pattern, d, seconds: Date().timeIntervalSince(start))
            + [("windows", .integer(windows.count)), ("ctx", .integer(windows.ctx))]
        return report
    }
}
