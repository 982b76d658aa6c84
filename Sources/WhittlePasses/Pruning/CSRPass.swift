import WhittleNN

/// prune.csr: stores sparse weights as CSR with relative indices so the saved file really shrinks.
public final class CSRPass: Pass {
    public let name = "prune.csr"
    public let doc = "Stores pruned weights as CSR with 4/8-bit relative indices (Deep Compression); sparse kernel in eval."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("index_bits", .integer, min: 4, max: 8, optional: true, doc: "Bits per relative index, 4 or 8; the smaller file when absent."),
        PassParam("min_sparsity", .number, default: .number(0.5), min: 0, max: 1,
                  doc: "Only tensors at least this sparse are encoded (denser ones are smaller dense)."),
        PassParam("targets", .strings, default: PruneTargets.defaultGlobs, doc: "Glob(s) of parameters to encode."),
    ]

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let bits = options.integer("index_bits")
        if let b = bits, b != 4 && b != 8 { throw PassError.invalidOption(pass: name, message: "'index_bits' must be 4 or 8, got \(b)") }
        let targets = try PruneTargets.select(model, options, pass: name)
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for (target, p) in targets {
            let sparsity = Double(MagnitudePruner.zeros(p)) / Double(max(p.count, 1))
            before += p.value.byteCount
            guard sparsity >= Targets.options(options, for: target).number("min_sparsity") ?? 0.5, p.count > 0 else {
                after += p.value.byteCount
                report.rows.append(.init(target: target, values: [("sparsity", .number(sparsity)), ("stored", .string("dense")),
                                                                  ("bytes", .integer(p.value.byteCount))]))
                continue
            }
            let e = try CSREncoding.encode(p.value, indexBits: bits)
            try p.setEncoding(e)
            after += e.byteCount
            report.rows.append(.init(target: target, values: [
                ("sparsity", .number(sparsity)), ("stored", .string("csr\(e.indexBits)")), ("fillers", .integer(e.entries - e.nonzeros)),
                ("dense bytes", .integer(p.value.byteCount)), ("bytes", .integer(e.byteCount)),
            ]))
        }
        report.summary = [("bytes before", .integer(before)), ("bytes after", .integer(after)),
                          ("ratio", .number(Double(before) / Double(max(after, 1))))]
        return report
    }
}
