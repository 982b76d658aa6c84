import WhittleNN

/// prune.magnitude: zeroes the smallest-magnitude weights behind masks that keep them zero in training.
public final class MagnitudePrunePass: Pass {
    public let name = "prune.magnitude"
    public let doc = "Unstructured magnitude pruning: masks the smallest |w| per layer or globally (exact sparsity)."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("sparsity", .number, min: 0, max: 1, maxExclusive: true,
                  doc: "Fraction of each target's entries to zero (round(sparsity·n) exactly); per layer or pooled."),
        PassParam("scope", .string, default: .string("layer"), choices: ["layer", "global"],
                  doc: "\"layer\": each tensor reaches the sparsity; \"global\": the smallest entries over all targets go."),
        PassParam("targets", .strings, default: PruneTargets.defaultGlobs, doc: "Glob(s) of parameters to prune."),
    ]

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let targets = try PruneTargets.select(model, options, pass: name)
        let global = options.string("scope") == "global"
        if global, let o = options.table("overrides"), !o.isEmpty {
            throw PassError.invalidOption(pass: name, message: "'overrides' needs scope \"layer\" (a global threshold has no per-layer sparsity)")
        }
        if global {
            try MagnitudePruner.pruneGlobally(targets.map(\.parameter), sparsity: options.number("sparsity") ?? 0)
        } else {
            for (target, p) in targets {
                try MagnitudePruner.prune(p, sparsity: Targets.options(options, for: target).number("sparsity") ?? 0)
            }
        }
        var report = PassReport(pass: name)
        for (target, p) in targets {
            let z = MagnitudePruner.zeros(p)
            report.rows.append(.init(target: target, values: [
                ("params", .integer(p.count)), ("zeros", .integer(z)), ("sparsity", .number(Double(z) / Double(max(p.count, 1)))),
            ]))
        }
        let s = PruneTargets.sparsity(targets.map(\.parameter))
        report.summary = [("sparsity", .number(s.sparsity)), ("nonzeros", .integer(s.total - s.zeros)), ("params", .integer(s.total))]
        return report
    }
}
