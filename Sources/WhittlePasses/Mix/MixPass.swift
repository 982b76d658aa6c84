import Foundation
import WhittleNN

/// `quantize.mix` as a registered language-model pass: `w.run_pass("quantize.mix", lm, {data=windows, bpw=4.5})`.
public final class MixPass: LanguageModelPass {
    public let name = "quantize.mix"
    public let doc = "A ggml type per projection to meet a bits-per-weight budget, by measured sensitivity (per-tensor KL and output error) on calibration windows; weights become ggml blocks."
    public let source = PassSource.builtin
    public init() {}

    public var languageModelOnly: Bool { true }
    public var params: [PassParam] { languageModelParams }

    public var languageModelParams: [PassParam] {
        [
            calibrationParam,
            PassParam("bpw", .number, default: .number(4.5), min: 1, max: 16, doc: "Average bits per weight over the projections (the budget)."),
            PassParam("candidates", .strings, default: .strings(MixCandidates.defaultNames),
                      doc: "ggml types to choose from; each tensor takes them after llama.cpp's shape fallbacks (Q4_K on 576-wide rows is Q5_0)."),
            PassParam("kl_windows", .integer, default: .integer(2), min: 0, max: 1024,
                      doc: "Calibration windows on which each tensor's KL is measured (0: rank by relative output error only)."),
            PassParam("kl_tokens", .integer, default: .integer(128), min: 4, max: 1_048_576, doc: "Leading tokens of each KL window (its second half scored)."),
            PassParam("imatrix", .bool, default: .bool(true), doc: "Quantize with the calibration's Σx² per column as importance (llama-imatrix's definition)."),
            PassParam("dry_run", .bool, default: .bool(false), doc: "Plan and report only; leave the weights as they are."),
        ]
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        throw PassError.languageModelOnly(pass: name)
    }

    public func apply(to lm: LanguageModel, options o: PassOptions, context: PassContext) throws -> PassReport {
        let d = try decoder(of: lm)
        let windows = try calibration(o)
        var opts = LanguageModelMix.Options()
        opts.bpw = o.number("bpw") ?? 4.5
        opts.klWindows = o.integer("kl_windows") ?? 2
        opts.klTokens = o.integer("kl_tokens") ?? 128
        opts.importance = o.bool("imatrix") ?? true
        let plan: LanguageModelMix.Plan
        do {
            opts.candidates = try MixCandidates.parse(o.strings("candidates") ?? MixCandidates.defaultNames)
            plan = try LanguageModelMix.plan(d, windows: windows.windows, options: opts, log: context.log)
            if !(o.bool("dry_run") ?? false) { try LanguageModelMix.apply(plan, to: d, options: opts) }
        } catch let e as CalibrationError {
            throw PassError.failed(pass: name, message: e.description)
        }
        var report = PassReport(pass: name)
        report.rows = plan.entries.map { e in
            var values: [(String, PassValue)] = [("type", .string(e.choice.type.description)), ("bpw", .number(e.choice.bpw)),
                                                 ("cost", .number(e.choice.cost)), ("error", .number(e.choice.error))]
            if let kl = e.measuredKL { values.append(("kl_cheapest", .number(kl))) }
            return PassReport.Row(target: e.name, values: values)
        }
        var summary: [(String, PassValue)] = [("bpw", .number(plan.bpw)), ("budget", .number(plan.budgetBPW)), ("bytes", .integer(plan.bytes)),
                                              ("weights", .integer(plan.weights)), ("tensors", .integer(plan.entries.count))]
        for c in plan.typeCounts { summary.append((c.type.description, .integer(c.tensors))) }
        summary += [("windows", .integer(windows.count)), ("ctx", .integer(windows.ctx)), ("seconds", .number(plan.seconds))]
        report.summary = summary
        context.log(plan.summary)
        return report
    }
}
