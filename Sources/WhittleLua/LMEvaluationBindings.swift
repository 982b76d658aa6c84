import Foundation
import WhittleNN

/// `whittle.lm.compare`: a compressed model against its base, as llama-perplexity --kl-divergence reports it.
enum LMEvaluationBindings {
    static let namespaces: [Namespace] = [
        Namespace("lm", doc: "Transformer language models and sentence encoders: load, logits, generate, perplexity, embed.", [
            Binding("compare", "whittle.lm.compare(base, lm, text_or_ids, {ctx=512, chunks=, print=true}) -> {ppl_base=, ppl=, kld=, top1=, ...}",
                    "llama-perplexity --kl-divergence: both models on the same chunks (ctx tokens from an empty cache, the second half scored), the base's log-probabilities kept as llama.cpp keeps them. Returns ppl_base, ppl (each with _err), ln_ratio, ppl_ratio, kld, kld_err, kld_max, kld_p99, kld_p999, kld_median, top1 and rms_dp (both %, as llama.cpp prints them, with _err), max_dp (%), tokens, chunks; prints a table unless print=false.") { c in
                let base = try LMBindings.model(c, 1)
                let lm = try c.object(2, "lm", LanguageModel.self, className: "LM")
                let b = try LMBindings.decoder(c, base)
                let d = try LMBindings.decoder(c, lm)
                guard b.spec.vocab == d.spec.vocab else {
                    throw c.error("'lm' has a vocabulary of \(d.spec.vocab) tokens and 'base' \(b.spec.vocab): they must be the same model family")
                }
                let o = try c.options(4)
                let maxCtx = min(base.maxContext, lm.maxContext)
                let ctx = try o.integer("ctx", default: min(512, maxCtx), in: 4...maxCtx)
                let chunks = o.has("chunks") ? try o.integer("chunks", in: 1...1_000_000) : nil
                let show = try o.bool("print", default: true)
                try o.finish()
                let tokens = try LMBindings.ids(c, 3, "text", base, addSpecial: true)
                let r = try Divergence.compute(base: b, model: d, tokens: tokens, ctx: ctx, chunks: chunks, bos: base.tokenizer?.bosID)
                if show { print(table(r, ctx: ctx)) }
                c.push(record: record(r))
                return 1
            },
        ]),
    ]

    /// The figures as a Lua record; percentages where llama.cpp prints percentages.
    static func record(_ r: DivergenceResult) -> [(String, LuaValue)] {
        [("ppl_base", .number(r.pplBase)), ("ppl_base_err", .number(r.pplBaseError)), ("ppl", .number(r.ppl)), ("ppl_err", .number(r.pplError)),
         ("ln_ratio", .number(r.logPPLRatio)), ("ln_ratio_err", .number(r.logPPLRatioError)), ("ppl_ratio", .number(r.pplRatio)),
         ("kld", .number(r.kld)), ("kld_err", .number(r.kldError)), ("kld_max", .number(r.kldQuantile(1) ?? 0)),
         ("kld_p999", .number(r.kldQuantile(0.999) ?? 0)), ("kld_p99", .number(r.kldQuantile(0.99) ?? 0)),
         ("kld_median", .number(r.kldQuantile(0.5) ?? 0)), ("top1", .number(100 * r.top1)), ("top1_err", .number(100 * r.top1Error)),
         ("rms_dp", .number(100 * r.rmsPDiff)), ("rms_dp_err", .number(100 * r.rmsPDiffError)),
         ("max_dp", .number(100 * (r.pDiffQuantiles.first ?? 0))), ("tokens", .integer(r.tokens)), ("chunks", .integer(r.chunks))]
    }

    /// A short table of the headline figures.
    static func table(_ r: DivergenceResult, ctx: Int) -> String {
        var s = "KL divergence vs base (\(r.chunks) chunks of \(ctx), \(r.tokens) tokens scored)\n"
        s += String(format: "  PPL(base)          %10.4f ± %.4f\n", r.pplBase, r.pplBaseError)
        s += String(format: "  PPL(model)         %10.4f ± %.4f\n", r.ppl, r.pplError)
        s += String(format: "  ln(PPL ratio)      %10.5f ± %.5f\n", r.logPPLRatio, r.logPPLRatioError)
        s += String(format: "  KLD mean           %10.6f ± %.6f\n", r.kld, r.kldError)
        s += String(format: "  KLD 99%% / max      %10.6f / %.6f\n", r.kldQuantile(0.99) ?? 0, r.kldQuantile(1) ?? 0)
        s += String(format: "  RMS Δp             %9.3f%% ± %.3f%%\n", 100 * r.rmsPDiff, 100 * r.rmsPDiffError)
        s += String(format: "  same top-1         %9.3f%% ± %.3f%%", 100 * r.top1, 100 * r.top1Error)
        return s
    }
}
