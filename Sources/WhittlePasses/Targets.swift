import WhittleNN

/// Chooses the parameters a pass acts on by name glob, and merges per-target overrides.
public enum Targets {
    /// `*` matches any run of characters (dots included), `?` one character.
    public static func matches(_ glob: String, _ name: String) -> Bool {
        let g = Array(glob), n = Array(name)
        var gi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if gi < g.count && (g[gi] == "?" || g[gi] == n[ni]) { gi += 1; ni += 1 } else if gi < g.count && g[gi] == "*" {
                star = gi; mark = ni; gi += 1
            } else if star >= 0 {
                gi = star + 1; mark += 1; ni = mark
            } else { return false }
        }
        while gi < g.count && g[gi] == "*" { gi += 1 }
        return gi == g.count
    }

    /// Parameters whose names match any of `globs` (model order); an error names a glob that matched nothing.
    public static func select(_ model: Model, globs: [String], pass: String) throws -> [(name: String, parameter: Parameter)] {
        let all = model.parameters()
        for g in globs where !all.contains(where: { matches(g, $0.name) }) {
            throw PassError.invalidTarget(pass: pass, message: "target '\(g)' matches no parameter (parameters: \(all.map(\.name).joined(separator: ", ")))")
        }
        return all.filter { p in globs.contains { matches($0, p.name) } }
    }

    /// `options` with the `overrides` entries whose glob matches `target` applied (later globs win).
    public static func options(_ options: PassOptions, for target: String) -> PassOptions {
        guard let overrides = options.table("overrides") else { return options }
        var merged = options
        for (glob, value) in overrides.sorted(by: { $0.key < $1.key }) where matches(glob, target) {
            if case .table(let t) = value { for (k, v) in t { merged[k] = v } }
        }
        return merged
    }
}
