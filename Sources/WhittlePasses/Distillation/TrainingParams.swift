import WhittleNN

/// Training options shared by the distillation and sharing passes (schema + conversion),
/// so `epochs`, `lr`, `batch`, `optimizer`, `momentum` and `seed` mean the same everywhere.
enum PassTraining {
    /// Schema entries for a training run; `epochs` defaults to `epochs`.
    static func params(epochs: Int, lr: Double) -> [PassParam] {
        [
            PassParam("epochs", .integer, default: .integer(epochs), min: 1, max: 10_000, doc: "Training epochs."),
            PassParam("lr", .number, default: .number(lr), min: 0, minExclusive: true, doc: "Learning rate."),
            PassParam("batch", .integer, default: .integer(64), min: 1, max: 1_048_576, doc: "Mini-batch size."),
            PassParam("optimizer", .string, default: .string("sgd"), choices: ["sgd", "adam"], doc: "Optimizer."),
            PassParam("momentum", .number, default: .number(0.9), min: 0, max: 1, maxExclusive: true, doc: "SGD momentum."),
            PassParam("seed", .integer, default: .integer(1), min: 0, doc: "Shuffling and dropout seed."),
            PassParam("schedule", .string, default: .string("constant"), choices: ["constant", "cosine"], doc: "Learning-rate schedule (cosine anneals to 0 over the run)."),
            PassParam("weight_decay", .number, default: .number(0), min: 0, max: 1, doc: "L2 penalty."),
        ]
    }

    /// `TrainOptions` from validated options (or a nested table validated against `params`).
    static func options(_ o: PassOptions) -> TrainOptions {
        var t = TrainOptions()
        t.epochs = o.integer("epochs") ?? 1
        t.learningRate = Float(o.number("lr") ?? 0.01)
        t.batchSize = o.integer("batch") ?? 64
        t.optimizer = OptimizerKind(rawValue: o.string("optimizer") ?? "sgd") ?? .sgd
        t.momentum = t.optimizer == .sgd ? Float(o.number("momentum") ?? 0) : 0
        t.seed = UInt64(max(0, o.integer("seed") ?? 1))
        t.schedule = o.string("schedule") == "cosine" ? .cosine(minimum: 0) : .constant
        t.weightDecay = Float(o.number("weight_decay") ?? 0)
        return t
    }

    /// Validates a nested table such as `finetune={epochs=2, lr=0.001}` against the training schema.
    static func nested(_ table: [String: PassValue], pass: Pass, label: String, epochs: Int, lr: Double) throws -> PassOptions {
        let schema = params(epochs: epochs, lr: lr)
        var out = PassOptions()
        for key in table.keys.sorted() where !schema.contains(where: { $0.name == key }) {
            throw PassError.invalidOption(pass: pass.name, message: "unknown option '\(label).\(key)' (known: \(schema.map(\.name).joined(separator: ", ")))")
        }
        for p in schema {
            if let v = table[p.name] { out[p.name] = try OptionValidator.check(v, p, pass: pass.name, label: "\(label).\(p.name)") } else { out[p.name] = p.defaultValue }
        }
        return out
    }

    /// A progress hook that logs one line per finished epoch through the pass context.
    static func epochLogger(_ pass: String, _ context: PassContext) -> (TrainProgress) -> Void {
        { p in
            if p.batch == p.batches { context.log("\(pass): epoch \(p.epoch)/\(p.epochs) loss \(String(format: "%.4f", p.loss))") }
        }
    }
}
