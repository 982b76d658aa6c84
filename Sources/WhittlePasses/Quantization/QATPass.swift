import WhittleData
import WhittleNN
import WhittleTensor

/// `quantize.qat`: quantization-aware training. Each target weight is fake-quantized in the forward
/// pass (exactly the final format's rounding) with the straight-through estimator passing gradients
/// to the f32 weight; after fine-tuning the weights are converted to real int8 / int4 encodings.
public final class QATPass: Pass {
    public let name = "quantize.qat"
    public let doc = "Quantization-aware training: fake-quant (straight-through estimator) fine-tuning, then conversion to real int8 or int4 weights."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("data", .dataset, doc: "Training data for the fine-tuning."),
        PassParam("bits", .integer, default: .integer(8), doc: "8 (int8 per channel) or 4 (group-wise int4)."),
        PassParam("group", .integer, default: .integer(32), doc: "int4 values per scale: 32, 64 or 128."),
        PassParam("per_channel", .bool, default: .bool(true), doc: "int8: one scale per output channel (else per tensor)."),
        PassParam("epochs", .integer, default: .integer(1), min: 1, max: 10_000, doc: "Fine-tuning epochs."),
        PassParam("lr", .number, default: .number(0.001), min: 0, minExclusive: true, doc: "Learning rate."),
        PassParam("batch", .integer, default: .integer(64), min: 1, max: 1_048_576, doc: "Mini-batch size."),
        PassParam("optimizer", .string, default: .string("adam"), choices: ["sgd", "adam"], doc: "Optimizer."),
        PassParam("momentum", .number, default: .number(0.9), min: 0, max: 1, maxExclusive: true, doc: "SGD momentum."),
        PassParam("seed", .integer, default: .integer(1), min: 0, doc: "Shuffling and dropout seed."),
        PassParam("targets", .strings, default: .strings(["*.weight"]), doc: "Glob(s) of parameters; only linear/conv2d weights among them are quantized."),
    ]

    public init() {}

    public func apply(to model: Model, options o: PassOptions, context: PassContext) throws -> PassReport {
        func bad(_ m: String) -> PassError { .invalidOption(pass: name, message: m) }
        guard let data = o.dataset("data") else { throw bad("missing option 'data' (training data)") }
        guard data.count > 0 else { throw bad("'data' is empty") }
        let bits = o.integer("bits") ?? 8, group = o.integer("group") ?? 32
        guard bits == 8 || bits == 4 else { throw bad("'bits' must be 4 or 8, got \(bits)") }
        guard [32, 64, 128].contains(group) else { throw bad("'group' must be 32, 64 or 128, got \(group)") }
        let format: WeightFormat = bits == 8 ? .int8(perChannel: o.bool("per_channel") ?? true, symmetric: true) : .int4(group: group)
        let (layers, skipped) = try QuantTargets.select(model, options: o, pass: name)

        var train = TrainOptions()
        train.epochs = o.integer("epochs") ?? 1
        train.learningRate = Float(o.number("lr") ?? 0.001)
        train.batchSize = o.integer("batch") ?? 64
        train.optimizer = o.string("optimizer") == "sgd" ? .sgd : .adam
        train.momentum = train.optimizer == .sgd ? Float(o.number("momentum") ?? 0.9) : 0
        train.seed = UInt64(max(0, o.integer("seed") ?? 1))
        train.verbose = false
        train.progress = { p in if p.batch == p.batches { context.log("quantize.qat: epoch \(p.epoch)/\(p.epochs) loss \(String(format: "%.4f", p.loss))") } }

        let originals = layers.map { $0.weight.value.clone() }
        // Fake quantization: the forward sees the weight rounded exactly as the final encoding will store it.
        for l in layers { l.setWeightTransform { w in try format.encode(w).decode() } }
        let result: TrainReport
        do {
            result = try WhittleNN.train(model, data, train)
        } catch {
            for l in layers { l.setWeightTransform(nil) }
            throw error
        }
        var report = PassReport(pass: name)
        var before = 0, after = 0
        for (l, dense) in zip(layers, originals) {
            l.setWeightTransform(nil)
            let tuned = l.weight.value.clone()
            let e = try format.encode(tuned)
            try l.weight.setEncoding(e)
            let moved = errorStats(dense, tuned).rmse
            report.rows.append(encodingRow(l.weightName, before: tuned, encoding: e, after: l.weight.value, extra: [("weight_change_rmse", .number(moved))]))
            before += tuned.byteCount; after += e.byteCount
        }
        report.summary = [("format", .string(format.label)), ("epochs", .integer(train.epochs)),
                          ("final_loss", .number(Double(result.epochLoss.last ?? 0))),
                          ("tensors", .integer(layers.count)), ("bytes_before", .integer(before)), ("bytes_after", .integer(after)),
                          ("ratio", .number(after == 0 ? 0 : Double(before) / Double(after)))]
        if !skipped.isEmpty { report.summary.append(("skipped", .string(skipped.joined(separator: ",")))) }
        return report
    }
}
