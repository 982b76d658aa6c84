import WhittleData
import WhittleNN
import WhittleTensor

/// Deep Compression's weight sharing: k-means per layer (or one codebook for all targets),
/// optional fine-tuning of the centroids with their members' summed gradients, then each
/// weight stored as a codebook plus packed indices (`CodebookEncoding`).
public final class KMeansSharePass: Pass {
    public let name = "share.kmeans"
    public let doc = "Clusters each targeted weight to 2^bits shared values (k-means), fine-tunes the centroids, stores codebook + packed indices."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("bits", .integer, default: .integer(5), min: 1, max: 8, doc: "Index bits: at most 2^bits shared values per codebook."),
        PassParam("init", .string, default: .string("linear"), choices: KMeans1D.Initialization.allCases.map(\.rawValue),
                  doc: "Centroid initialisation: linear (default), random or density."),
        PassParam("shared", .bool, default: .bool(false), doc: "One codebook for all targeted tensors (cross-layer sharing)."),
        PassParam("iterations", .integer, default: .integer(100), min: 1, max: 10_000, doc: "Most k-means (Lloyd) iterations."),
        PassParam("seed", .integer, default: .integer(1), min: 0, doc: "Seed of the random initialisation."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of the parameters to share."),
        PassParam("finetune", .table, optional: true, doc: "Fine-tune the centroids: {epochs=, lr=, batch=, optimizer=, momentum=, seed=}; needs data."),
        PassParam("data", .dataset, optional: true, doc: "Training data for the fine-tuning."),
    ]

    public init() {}

    /// One codebook and the tensors that index into it.
    final class Group {
        var members: [(name: String, parameter: Parameter, assignments: [Int32])] = []
        var centroids: Parameter
        init(centroids: [Float]) throws { self.centroids = try Parameter(Tensor(shape: [centroids.count], values: centroids)) }
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let targets = try Targets.select(model, globs: options.strings("targets") ?? ["*.weight"], pass: name)
        var seen = Set<ObjectIdentifier>()
        let unique = targets.filter { seen.insert(ObjectIdentifier($0.parameter)).inserted }
        for t in unique where t.parameter.encoding != nil {
            throw PassError.invalidTarget(pass: name, message: "'\(t.name)' is already stored as \(t.parameter.encoding?.format ?? "?"); share before other encodings")
        }
        var finetune: PassOptions?
        if let ft = options.table("finetune") {
            finetune = try PassTraining.nested(ft, pass: self, label: "finetune", epochs: 1, lr: 1e-3)
            guard options.dataset("data") != nil else { throw PassError.invalidOption(pass: name, message: "'finetune' needs 'data'") }
        }
        if options.bool("shared") == true, let o = options.table("overrides"), o.values.contains(where: { v in
            if case .table(let t) = v { return t["bits"] != nil }
            return false
        }) {
            throw PassError.invalidOption(pass: name, message: "'overrides' cannot set 'bits' with shared=true (one codebook has one size)")
        }
        let method = KMeans1D.Initialization(rawValue: options.string("init") ?? "linear") ?? .linear
        let seed = UInt64(options.integer("seed") ?? 1), iterations = options.integer("iterations") ?? 100
        let groups = try cluster(unique, options: options, method: method, seed: seed, iterations: iterations)
        for g in groups { writeBack(g) }
        if let ft = finetune, let data = options.dataset("data") {
            var train = PassTraining.options(ft)
            train.progress = PassTraining.epochLogger(name, context)
            let inner: Optimizer = train.optimizer == .adam
                ? try Adam(learningRate: train.learningRate, weightDecay: train.weightDecay)
                : try SGD(learningRate: train.learningRate, momentum: train.momentum, weightDecay: train.weightDecay)
            try WhittleNN.train(model, data, train, optimizer: CentroidOptimizer(groups: groups, inner: inner))
        }
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for g in groups {
            for m in g.members {
                let enc = try CodebookEncoding.encode(shape: m.parameter.value.shape, codebook: g.centroids.value.toArray(), assignments: m.assignments)
                try m.parameter.setEncoding(enc)
                let dense = 4 * m.parameter.count
                before += dense
                after += enc.byteCount
                report.rows.append(.init(target: m.name, values: [
                    ("centroids", .integer(enc.codebook.count)), ("index_bits", .integer(enc.indexBits)),
                    ("layout", .string(enc.gapBits == 0 ? "dense" : "sparse/\(enc.gapBits)b")),
                    ("bytes", .integer(enc.byteCount)), ("ratio", .number(Double(dense) / Double(max(enc.byteCount, 1)))),
                ]))
            }
        }
        report.summary = [("codebooks", .integer(groups.count)), ("bytes_before", .integer(before)), ("bytes_after", .integer(after))]
        return report
    }

    /// Runs k-means per tensor (or once over all of them when shared); pruned entries (mask 0) are left out.
    private func cluster(_ targets: [(name: String, parameter: Parameter)], options: PassOptions,
                         method: KMeans1D.Initialization, seed: UInt64, iterations: Int) throws -> [Group] {
        func kept(_ p: Parameter) -> [Int] {
            guard let m = p.mask else { return Array(0..<p.count) }
            return (0..<p.count).filter { m.floats[$0] != 0 }
        }
        if options.bool("shared") == true {
            let bits = options.integer("bits") ?? 5
            var values: [Float] = []
            let positions = targets.map { kept($0.parameter) }
            for (t, pos) in zip(targets, positions) { values += pos.map { t.parameter.value.floats[$0] } }
            let r = KMeans1D.fit(values, k: 1 << bits, method: method, seed: seed, maxIterations: iterations)
            let g = try Group(centroids: r.centroids.isEmpty ? [0] : r.centroids)
            var offset = 0
            for (t, pos) in zip(targets, positions) {
                var a = [Int32](repeating: -1, count: t.parameter.count)
                for (j, i) in pos.enumerated() { a[i] = r.assignments[offset + j] }
                offset += pos.count
                g.members.append((t.name, t.parameter, a))
            }
            return [g]
        }
        return try targets.map { t in
            let bits = Targets.options(options, for: t.name).integer("bits") ?? 5
            let pos = kept(t.parameter)
            let r = KMeans1D.fit(pos.map { t.parameter.value.floats[$0] }, k: 1 << bits, method: method, seed: seed, maxIterations: iterations)
            let g = try Group(centroids: r.centroids.isEmpty ? [0] : r.centroids)
            var a = [Int32](repeating: -1, count: t.parameter.count)
            for (j, i) in pos.enumerated() { a[i] = r.assignments[j] }
            g.members.append((t.name, t.parameter, a))
            return g
        }
    }

    /// Sets every member's value to its centroids (pruned entries stay zero).
    static func writeBack(_ g: Group) {
        let c = g.centroids.value.floats
        for m in g.members {
            m.parameter.value.makeWritable()
            let w = m.parameter.value.floats
            for (i, a) in m.assignments.enumerated() { w[i] = a >= 0 ? c[Int(a)] : 0 }
        }
    }
    private func writeBack(_ g: Group) { KMeansSharePass.writeBack(g) }
}

/// Steps the centroids with the summed gradients of their members (Deep Compression's
/// fine-tuning) and every other parameter normally; shared weights are then rebuilt from the centroids.
final class CentroidOptimizer: Optimizer {
    let groups: [KMeansSharePass.Group]
    let inner: Optimizer
    private let sharedIDs: Set<ObjectIdentifier>

    init(groups: [KMeansSharePass.Group], inner: Optimizer) {
        self.groups = groups
        self.inner = inner
        sharedIDs = Set(groups.flatMap { $0.members.map { ObjectIdentifier($0.parameter) } })
    }

    var learningRate: Float {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }

    func step(_ parameters: [Parameter]) throws {
        for g in groups {
            let cg = g.centroids.grad.floats
            g.centroids.zeroGrad()
            for m in g.members {
                let grad = m.parameter.grad.floats
                for (i, a) in m.assignments.enumerated() where a >= 0 { cg[Int(a)] += grad[i] }
            }
        }
        var seen = sharedIDs
        try inner.step(parameters.filter { seen.insert(ObjectIdentifier($0)).inserted } + groups.map(\.centroids))
        for g in groups { KMeansSharePass.writeBack(g) }
    }
}
