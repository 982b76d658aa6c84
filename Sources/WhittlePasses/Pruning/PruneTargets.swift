import WhittleNN

/// Target selection shared by the pruning passes.
enum PruneTargets {
    /// The default target of every pruning pass: weights, not biases.
    static let defaultGlobs: PassValue = .strings(["*.weight"])

    /// The `targets` option's parameters, refusing those a pruning pass must not touch.
    static func select(_ model: Model, _ options: PassOptions, pass: String) throws -> [(name: String, parameter: Parameter)] {
        let selected = try Targets.select(model, globs: options.strings("targets") ?? ["*.weight"], pass: pass)
        for (name, p) in selected {
            if let e = p.encoding {
                throw PassError.invalidTarget(pass: pass, message: "'\(name)' is already stored as \(e.format); prune before quantizing or encoding")
            }
        }
        return selected
    }

    /// Fraction of zero entries over `params`, with the zero count.
    static func sparsity(_ params: [Parameter]) -> (zeros: Int, total: Int, sparsity: Double) {
        let z = params.reduce(0) { $0 + MagnitudePruner.zeros($1) }
        let n = params.reduce(0) { $0 + $1.count }
        return (z, n, n == 0 ? 0 : Double(z) / Double(n))
    }
}
