import WhittleNN
import WhittleTensor

/// prune.structured: removes whole neurons / conv filters with the smallest norms and physically
/// shrinks the model (the next layer loses the matching inputs, through a flatten too).
public final class StructuredPrunePass: Pass {
    public let name = "prune.structured"
    public let doc = "Structured pruning: removes whole neurons / filters by L1 or L2 norm; the model really shrinks."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("amount", .number, min: 0, max: 1, maxExclusive: true,
                  doc: "Fraction of each layer's output units to remove (round(amount·out), at least one kept)."),
        PassParam("norm", .string, default: .string("l1"), choices: ["l1", "l2"], doc: "Norm of a unit's weights that ranks it."),
        PassParam("targets", .strings, default: PruneTargets.defaultGlobs,
                  doc: "Weights of the linear / conv2d layers to shrink; the output layer is never shrunk."),
    ]

    public init() {}

    /// A layer to shrink: where it is, what follows it, and the units it keeps.
    private struct Plan {
        let target: String
        let layer: Module
        let next: Module
        let block: Int
        let keep: [Int]
        let before: Int
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let targets = try PruneTargets.select(model, options, pass: name)
        let leaves = model.layers()
        let paramsBefore = model.parameters().reduce(0) { $0 + $1.parameter.count }
        let lastWithParams = leaves.lastIndex { !$0.module.localParameters.isEmpty }
        var plans: [Plan] = []
        for (i, leaf) in leaves.enumerated() {
            guard let weightName = targets.first(where: { t in leaf.module.localParameters.contains { $0.parameter === t.parameter && $0.name == "weight" } })?.name
            else { continue }
            guard leaf.module is Linear || leaf.module is Conv2d else {
                throw PassError.invalidTarget(pass: name, message: "'\(weightName)' belongs to a \(leaf.module.typeName) layer; only linear and conv2d layers can lose units")
            }
            if i == lastWithParams { continue }
            let (next, block) = try successor(of: i, in: leaves)
            let amount = Targets.options(options, for: weightName).number("amount") ?? 0
            let out = try Surgery.outputCount(leaf.module)
            let removed = min(out - 1, MagnitudePruner.prunedCount(amount, of: out))
            let norms = try unitNorms(leaf.module, l2: options.string("norm") == "l2")
            // Lowest norm first, ties to the lower index; the kept units stay in their original order.
            let order = (0..<out).sorted { norms[$0] != norms[$1] ? norms[$0] < norms[$1] : $0 < $1 }
            let keep = order.dropFirst(removed).sorted()
            plans.append(Plan(target: leaf.path, layer: leaf.module, next: next, block: block, keep: keep, before: out))
        }
        guard !plans.isEmpty else {
            throw PassError.invalidTarget(pass: name, message: "no layer to shrink among the targets (the output layer is never pruned)")
        }
        for p in plans {
            try Surgery.keepOutputs(p.layer, p.keep)
            try Surgery.keepInputs(p.next, p.keep, block: p.block)
        }
        var report = PassReport(pass: name)
        for p in plans {
            report.rows.append(.init(target: p.target, values: [
                ("units before", .integer(p.before)), ("units after", .integer(p.keep.count)), ("removed", .integer(p.before - p.keep.count)),
            ]))
        }
        let paramsAfter = model.parameters().reduce(0) { $0 + $1.parameter.count }
        report.summary = [("params before", .integer(paramsBefore)), ("params after", .integer(paramsAfter)),
                          ("ratio", .number(Double(paramsBefore) / Double(max(paramsAfter, 1))))]
        context.log("\(name): parameters \(paramsBefore) -> \(paramsAfter)")
        return report
    }

    /// The next layer with parameters after leaf `i`, and how many of its input features one unit spans;
    /// throws when something between them would mix units.
    private func successor(of i: Int, in leaves: [(path: String, module: Module)]) throws -> (Module, Int) {
        let layer = leaves[i].module
        var flattened = false
        for j in (i + 1)..<leaves.count {
            let m = leaves[j].module
            if m is ReLU || m is Tanh || m is Dropout || m is MaxPool2d { continue }
            if m is Flatten { flattened = true; continue }
            if let conv = m as? Conv2d, layer is Conv2d, !flattened { return (conv, 1) }
            if let lin = m as? Linear {
                let out = try Surgery.outputCount(layer)
                if layer is Linear { return (lin, 1) }
                guard flattened, lin.inFeatures % out == 0 else {
                    throw PassError.invalidTarget(pass: name, message: "cannot shrink layer \(leaves[i].path): the \(lin.inFeatures) inputs of linear \(leaves[j].path) do not split over its \(out) channels")
                }
                return (lin, lin.inFeatures / out)
            }
            throw PassError.invalidTarget(pass: name, message: "cannot shrink layer \(leaves[i].path): the \(m.typeName) layer \(leaves[j].path) after it would mix its units")
        }
        throw PassError.invalidTarget(pass: name, message: "cannot shrink layer \(leaves[i].path): no linear or conv2d layer after it takes its units as inputs")
    }

    /// The L1 or L2 norm of each output unit's weights.
    private func unitNorms(_ layer: Module, l2: Bool) throws -> [Double] {
        let w = (layer as? Linear)?.weight.value ?? (layer as? Conv2d)?.weight.value
        guard let w else { return [] }
        let out = w.shape[0], inner = w.count / max(out, 1), f = w.floats
        return (0..<out).map { o in
            var s = 0.0
            for i in 0..<inner { let x = Double(f[o * inner + i]); s += l2 ? x * x : abs(x) }
            return s.isNaN ? .infinity : (l2 ? s.squareRoot() : s)
        }
    }
}
