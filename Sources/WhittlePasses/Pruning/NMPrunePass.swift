import WhittleNN
import WhittleTensor

/// prune.nm: N:M semi-structured sparsity (2:4 by default) along the input dimension.
public final class NMPrunePass: Pass {
    public let name = "prune.nm"
    public let doc = "N:M sparsity: keeps the n largest |w| in every group of m consecutive inputs (2:4 by default)."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("n", .integer, default: .integer(2), min: 1, max: 64, doc: "Entries kept per group."),
        PassParam("m", .integer, default: .integer(4), min: 2, max: 64, doc: "Group size along the input dimension."),
        PassParam("targets", .strings, default: PruneTargets.defaultGlobs, doc: "Weights (2-D or conv 4-D) to sparsify."),
    ]

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let targets = try PruneTargets.select(model, options, pass: name)
        var settings: [(n: Int, m: Int)] = []
        for (target, p) in targets {
            let o = Targets.options(options, for: target)
            let n = o.integer("n") ?? 2, m = o.integer("m") ?? 4
            guard n < m else { throw PassError.invalidOption(pass: name, message: "'n' must be less than 'm', got n=\(n), m=\(m)") }
            guard p.value.rank >= 2 else {
                throw PassError.invalidTarget(pass: name, message: "'\(target)' is \(p.value.rank)-D; N:M sparsity needs a weight matrix")
            }
            settings.append((n, m))
        }
        var report = PassReport(pass: name)
        for ((target, p), s) in zip(targets, settings) {
            try NMPruner.prune(p, n: s.n, m: s.m)
            let cols = p.count / p.value.shape[0]
            let z = MagnitudePruner.zeros(p)
            // The packed 2:4 kernel format applies to whole groups of 4 with at most 2 kept.
            let packs = s.m == 4 && s.n <= 2 && cols % 4 == 0
            report.rows.append(.init(target: target, values: [
                ("pattern", .string("\(s.n):\(s.m)")), ("params", .integer(p.count)), ("zeros", .integer(z)),
                ("sparsity", .number(Double(z) / Double(max(p.count, 1)))), ("2:4 packed", .bool(packs)),
            ]))
        }
        let s = PruneTargets.sparsity(targets.map(\.parameter))
        report.summary = [("sparsity", .number(s.sparsity)), ("nonzeros", .integer(s.total - s.zeros))]
        return report
    }
}

/// The N:M mask computation, public for tests and for plugins.
public enum NMPruner {
    /// Masks `p` (seen as rows × inputs) so that each aligned group of `m` inputs keeps its `n`
    /// largest |w| (ties to the lower index); a trailing partial group keeps at most `n`.
    public static func prune(_ p: Parameter, n: Int, m: Int) throws {
        let rows = p.value.shape[0], cols = p.count / max(rows, 1)
        let mask = try Tensor(zeros: p.value.shape)
        let v = p.value.floats, old = p.mask?.floats, out = mask.floats
        for r in 0..<rows {
            var g = 0
            while g < cols {
                let end = min(g + m, cols)
                // Already-masked entries rank lowest, so re-pruning never revives them.
                let order = (g..<end).sorted { a, b in
                    let sa = score(v[r * cols + a], old?[r * cols + a]), sb = score(v[r * cols + b], old?[r * cols + b])
                    return sa != sb ? sa > sb : a < b
                }
                for j in order.prefix(n) where (old?[r * cols + j] ?? 1) != 0 { out[r * cols + j] = 1 }
                g = end
            }
        }
        try p.setMask(mask)
    }

    private static func score(_ w: Float, _ mask: Float?) -> Float {
        if let m = mask, m == 0 { return -1 }
        return w.isNaN ? .infinity : abs(w)
    }

    /// True when every aligned group of `m` inputs of every row holds at most `n` nonzeros.
    public static func satisfies(_ t: Tensor, n: Int, m: Int) -> Bool {
        let rows = t.shape.first ?? 1, cols = t.count / max(rows, 1), f32 = t.toF32(), f = f32.floats
        defer { withExtendedLifetime(f32) {} }
        for r in 0..<rows {
            var g = 0
            while g < cols {
                let end = min(g + m, cols)
                if (g..<end).filter({ f[r * cols + $0] != 0 }).count > n { return false }
                g = end
            }
        }
        return true
    }
}
