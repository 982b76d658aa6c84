import WhittleNN

/// `quantize.weights`: weight-only quantization to q8_0, q4_0, group-wise int4 or int8; the
/// layers then run the format's kernel in eval mode and save in the compact form.
public final class QuantizeWeightsPass: Pass {
    public let name = "quantize.weights"
    public let doc = "Weight-only quantization of linear/conv2d weights to q8_0, q4_0, int4 (group 32/64/128) or int8; executed by the quantized kernels."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("format", .string, default: .string("q8_0"), choices: WeightFormat.names, doc: "Storage format: q8_0 (8.5 bits), q4_0 (4.5 bits), int4 (group-wise 4-bit), int8 (per channel/tensor)."),
        PassParam("group", .integer, optional: true, doc: "Values per scale for int4: 32, 64 or 128 (default 32); fixed at 32 for q8_0/q4_0."),
        PassParam("per_channel", .bool, optional: true, doc: "int8 only: one scale per output channel (default true) or one per tensor."),
        PassParam("symmetric", .bool, optional: true, doc: "int8 only: symmetric (default true) or affine with a zero point per scale."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of parameters; only linear/conv2d weights among them are quantized."),
    ]

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        let base = try WeightFormat.from(options, pass: name)
        let (layers, skipped) = try QuantTargets.select(model, options: options, pass: name)
        // Validate every per-target override before touching any weight.
        let formats = try layers.map { try WeightFormat.from(Targets.options(options, for: $0.weightName), pass: name) }
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for (l, f) in zip(layers, formats) {
            let dense = l.weight.value.clone()
            let e = try f.encode(dense)
            try l.weight.setEncoding(e)
            report.rows.append(encodingRow(l.weightName, before: dense, encoding: e, after: l.weight.value))
            before += dense.byteCount; after += e.byteCount
        }
        report.summary = [("format", .string(base.label)), ("tensors", .integer(layers.count)),
                          ("bytes_before", .integer(before)), ("bytes_after", .integer(after)),
                          ("ratio", .number(after == 0 ? 0 : Double(before) / Double(after)))]
        if !skipped.isEmpty { report.summary.append(("skipped", .string(skipped.joined(separator: ",")))) }
        return report
    }
}
