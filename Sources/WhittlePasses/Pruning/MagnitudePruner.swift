import WhittleNN
import WhittleTensor

/// Magnitude pruning shared by prune.magnitude, prune.gradual and the sensitivity analysis.
/// Entries are ranked by |w| with already-masked entries first and ties broken by position,
/// so a result is deterministic and a higher sparsity prunes a superset of a lower one.
public enum MagnitudePruner {
    /// Entries pruned for `sparsity` of `count`: round(sparsity · count).
    public static func prunedCount(_ sparsity: Double, of count: Int) -> Int {
        min(count, max(0, Int((sparsity * Double(count)).rounded())))
    }

    /// Masks `parameter` so that exactly `prunedCount(sparsity, of: count)` entries are zero.
    public static func prune(_ parameter: Parameter, sparsity: Double) throws {
        try prune([parameter], count: prunedCount(sparsity, of: parameter.count))
    }

    /// Masks the `parameters` pooled together: the globally smallest round(sparsity · total) entries go.
    public static func pruneGlobally(_ parameters: [Parameter], sparsity: Double) throws {
        let total = parameters.reduce(0) { $0 + $1.count }
        try prune(parameters, count: prunedCount(sparsity, of: total))
    }

    /// Number of zero entries of `p` (pruned or not).
    public static func zeros(_ p: Parameter) -> Int {
        let v = p.value.floats
        var z = 0
        for i in 0..<p.count where v[i] == 0 { z += 1 }
        return z
    }

    /// Ranks the pooled entries and masks the first `k` of them (a NaN ranks last: never pruned silently).
    private static func prune(_ parameters: [Parameter], count k: Int) throws {
        var keys: [(score: Float, param: Int, index: Int)] = []
        keys.reserveCapacity(parameters.reduce(0) { $0 + $1.count })
        for (pi, p) in parameters.enumerated() {
            let v = p.value.floats, m = p.mask?.floats
            for i in 0..<p.count {
                let masked = m.map { $0[i] == 0 } ?? false
                keys.append((masked ? -1 : (v[i].isNaN ? .infinity : abs(v[i])), pi, i))
            }
        }
        keys.sort { a, b in
            a.score != b.score ? a.score < b.score : (a.param != b.param ? a.param < b.param : a.index < b.index)
        }
        var masks = try parameters.map { p -> Tensor in
            let t = try Tensor(zeros: p.value.shape)
            t.floats.update(repeating: 1, count: t.count)
            return t
        }
        for e in keys.prefix(k) { masks[e.param].floats[e.index] = 0 }
        for (p, m) in zip(parameters, masks) { try p.setMask(m) }
        masks.removeAll()
    }
}
