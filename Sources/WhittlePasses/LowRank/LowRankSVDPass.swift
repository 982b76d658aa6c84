import WhittleNN
import WhittleTensor

/// lowrank.svd: replaces each targeted Linear (out×in) by two (rank×in, then out×rank) from a truncated SVD.
public final class LowRankSVDPass: Pass {
    public let name = "lowrank.svd"
    public let doc = "Low-rank factorisation: each linear layer becomes two from its truncated SVD; optional fine-tuning."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("rank", .number, min: 0, minExclusive: true, optional: true,
                  doc: "Rank kept: a count (integer >= 1) or a fraction in (0, 1) of the full rank min(out, in)."),
        PassParam("energy", .number, min: 0, max: 1, minExclusive: true, optional: true,
                  doc: "Smallest rank keeping this share of the spectral energy Σσ²."),
        PassParam("params", .number, min: 0, max: 1, minExclusive: true, optional: true,
                  doc: "Largest rank whose two factors hold at most this fraction of the layer's weights."),
        PassParam("data", .dataset, optional: true, doc: "Training data for 'finetune'."),
        PassParam("finetune", .table, optional: true, doc: "Fine-tuning after factorising: {epochs=, lr=, optimizer=, momentum=, batch=, seed=}."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Weights of the linear layers to factorise."),
    ]

    public init() {}

    /// One layer to factorise and its chosen rank.
    private struct Plan {
        let path: String
        let layer: Linear
        let svd: SVDResult
        let rank: Int
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let selected = try Targets.select(model, globs: options.strings("targets") ?? ["*.weight"], pass: name)
        let explicit = options.strings("targets") != ["*.weight"]
        let train = try options.table("finetune").map { try PruneFineTune.options($0, label: "finetune", pass: name) }
        if train != nil && options.dataset("data") == nil {
            throw PassError.invalidOption(pass: name, message: "'finetune' needs 'data'")
        }
        var plans: [Plan] = []
        for (target, p) in selected {
            guard let leaf = model.layers().first(where: { ($0.module as? Linear)?.weight === p }), let linear = leaf.module as? Linear else {
                if explicit { throw PassError.invalidTarget(pass: name, message: "'\(target)' is not the weight of a linear layer") }
                continue
            }
            let w = linear.weight.value
            if (0..<w.count).contains(where: { !w.floats[$0].isFinite }) {
                throw PassError.invalidTarget(pass: name, message: "'\(target)' holds NaN or infinite values")
            }
            let svd = try SVD.decompose(w)
            let rank = try chooseRank(Targets.options(options, for: target), svd: svd, out: linear.outFeatures, in: linear.inFeatures)
            plans.append(Plan(path: leaf.path, layer: linear, svd: svd, rank: rank))
        }
        guard !plans.isEmpty else { throw PassError.invalidTarget(pass: name, message: "no linear layer among the targets") }
        let before = model.parameters().reduce(0) { $0 + $1.parameter.count }
        var report = PassReport(pass: name)
        for plan in plans {
            try Surgery.replace(model, path: plan.path, with: try factors(plan))
            let out = plan.layer.outFeatures, inp = plan.layer.inFeatures
            let energy = plan.svd.s.reduce(0) { $0 + $1 * $1 }
            let kept = plan.svd.s.prefix(plan.rank).reduce(0) { $0 + $1 * $1 }
            report.rows.append(.init(target: plan.path, values: [
                ("shape", .string("\(out)x\(inp)")), ("rank", .integer(plan.rank)),
                ("weights before", .integer(out * inp)), ("weights after", .integer(plan.rank * (out + inp))),
                ("energy kept", .number(energy > 0 ? kept / energy : 1)),
                ("rel. error", .number(energy > 0 ? max(0, energy - kept).squareRoot() / energy.squareRoot() : 0)),
            ]))
        }
        if let train, let data = options.dataset("data") {
            context.log("\(name): fine-tuning \(train.epochs) epoch(s)")
            try WhittleNN.train(model, data, train)
        }
        let after = model.parameters().reduce(0) { $0 + $1.parameter.count }
        report.summary = [("params before", .integer(before)), ("params after", .integer(after))]
        return report
    }

    /// The rank asked for by exactly one of 'rank', 'energy', 'params'.
    private func chooseRank(_ o: PassOptions, svd: SVDResult, out: Int, in inp: Int) throws -> Int {
        let full = min(out, inp)
        let given = ["rank", "energy", "params"].filter { o.number($0) != nil }
        guard given.count == 1 else {
            throw PassError.invalidOption(pass: name, message: given.isEmpty
                ? "give one of 'rank', 'energy' or 'params'"
                : "give only one of 'rank', 'energy' or 'params', got \(given.map { "'\($0)'" }.joined(separator: " and "))")
        }
        if let r = o.number("rank") {
            if r < 1 { return max(1, Int((r * Double(full)).rounded())) }
            guard r == r.rounded() else { throw PassError.invalidOption(pass: name, message: "'rank' must be an integer count or a fraction in (0, 1), got \(PassValue.number(r))") }
            guard r <= Double(full) else {
                throw PassError.invalidOption(pass: name, message: "'rank' \(Int(r)) exceeds the full rank \(full) of a \(out)x\(inp) weight")
            }
            return Int(r)
        }
        if let e = o.number("energy") { return svd.rank(forEnergy: e) }
        let share = o.number("params") ?? 1
        return max(1, min(full, Int((share * Double(out * inp) / Double(out + inp)).rounded(.down))))
    }

    /// The two linears replacing `plan.layer`: x → (√s·Vᵀ) x → (U·√s) · + bias; the singular values are
    /// split evenly so both factors have the same scale, which helps fine-tuning.
    private func factors(_ plan: Plan) throws -> Sequential {
        let out = plan.layer.outFeatures, inp = plan.layer.inFeatures, r = plan.rank
        let first = try Tensor(zeros: [r, inp]), second = try Tensor(zeros: [out, r])
        for k in 0..<r {
            let root = plan.svd.s[k].squareRoot()
            for c in 0..<inp { first.floats[k * inp + c] = Float(root * plan.svd.v[k][c]) }
            for o in 0..<out { second.floats[o * r + k] = Float(root * plan.svd.u[k][o]) }
        }
        let a = try Linear(weight: first, bias: nil)
        let b = try Linear(weight: second, bias: plan.layer.bias?.value.clone())
        return Sequential([a, b])
    }
}
