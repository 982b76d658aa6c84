import WhittleNN
import WhittleTensor

/// ALBERT-style cross-layer parameter sharing: every group of same-shaped targeted
/// tensors becomes one parameter object, trained (and saved) once.
public final class TiePass: Pass {
    public let name = "share.tie"
    public let doc = "Ties same-shaped targeted tensors to one shared parameter (ALBERT-style), optionally fine-tuned."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("targets", .strings, doc: "Glob(s) of the tensors to tie; those of equal shape are tied together."),
        PassParam("init", .string, default: .string("mean"), choices: ["mean", "first"], doc: "Shared value: the group's mean or its first tensor."),
        PassParam("finetune", .table, optional: true, doc: "Fine-tune after tying: {epochs=, lr=, batch=, optimizer=, momentum=, seed=}; needs data."),
        PassParam("data", .dataset, optional: true, doc: "Training data for the fine-tuning."),
    ]

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let targets = try Targets.select(model, globs: options.strings("targets") ?? [], pass: name)
        var finetune: PassOptions?
        if let ft = options.table("finetune") {
            finetune = try PassTraining.nested(ft, pass: self, label: "finetune", epochs: 1, lr: 1e-3)
            guard options.dataset("data") != nil else { throw PassError.invalidOption(pass: name, message: "'finetune' needs 'data'") }
        }
        // Group by shape, keeping model order; each tensor must be a weight or bias slot we can rebind.
        var groups: [[(name: String, parameter: Parameter)]] = []
        for t in targets {
            if t.parameter.encoding != nil {
                throw PassError.invalidTarget(pass: name, message: "'\(t.name)' is stored as \(t.parameter.encoding?.format ?? "?"); tie before encoding")
            }
            guard slot(model, t.name) != nil else {
                throw PassError.invalidTarget(pass: name, message: "'\(t.name)' is not the weight or bias of a linear or conv2d layer")
            }
            if let g = groups.firstIndex(where: { $0[0].parameter.value.shape == t.parameter.value.shape }) { groups[g].append(t) } else { groups.append([t]) }
        }
        groups = groups.filter { $0.count > 1 }
        guard !groups.isEmpty else {
            throw PassError.invalidTarget(pass: name, message: "no two targeted tensors have the same shape (targets: \(targets.map { "\($0.name) \(shapeString($0.parameter.value.shape))" }.joined(separator: ", ")))")
        }
        var report = PassReport(pass: name)
        var saved = 0
        for g in groups {
            let shared = try g[0].parameter.copy()
            if options.string("init") == "mean" {
                let v = shared.value.floats, n = shared.count
                for i in 0..<n { v[i] = 0 }
                for t in g { for i in 0..<n { v[i] += t.parameter.value.floats[i] / Float(g.count) } }
                shared.applyMask()
            }
            for t in g {
                slot(model, t.name)?(shared)
                report.rows.append(.init(target: t.name, values: [("tied_to", .string(g[0].name)), ("params", .integer(shared.count))]))
            }
            saved += shared.count * (g.count - 1)
        }
        if let ft = finetune, let data = options.dataset("data") {
            var train = PassTraining.options(ft)
            train.progress = PassTraining.epochLogger(name, context)
            let inner: Optimizer = train.optimizer == .adam
                ? try Adam(learningRate: train.learningRate, weightDecay: train.weightDecay)
                : try SGD(learningRate: train.learningRate, momentum: train.momentum, weightDecay: train.weightDecay)
            try WhittleNN.train(model, data, train, optimizer: UniqueOptimizer(inner))
        }
        report.summary = [("groups", .integer(groups.count)), ("params_saved", .integer(saved))]
        return report
    }

    /// A setter for the parameter slot named `path` ("3.weight"), or nil when it is not a linear/conv weight or bias.
    private func slot(_ model: Model, _ path: String) -> ((Parameter) -> Void)? {
        guard let dot = path.lastIndex(of: ".") else { return nil }
        let layerPath = String(path[..<dot]), local = String(path[path.index(after: dot)...])
        guard let layer = model.layers().first(where: { $0.path == layerPath })?.module else { return nil }
        switch (layer, local) {
        case (let l as Linear, "weight"): return { l.weight = $0 }
        case (let l as Linear, "bias") where l.bias != nil: return { l.bias = $0 }
        case (let c as Conv2d, "weight"): return { c.weight = $0 }
        case (let c as Conv2d, "bias") where c.bias != nil: return { c.bias = $0 }
        default: return nil
        }
    }
}

/// Steps each parameter object once, however many layers share it.
final class UniqueOptimizer: Optimizer {
    let inner: Optimizer
    init(_ inner: Optimizer) { self.inner = inner }
    var learningRate: Float {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }
    func step(_ parameters: [Parameter]) throws {
        var seen = Set<ObjectIdentifier>()
        try inner.step(parameters.filter { seen.insert(ObjectIdentifier($0)).inserted })
    }
}
