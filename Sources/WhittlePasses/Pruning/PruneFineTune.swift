import WhittleNN

/// The `finetune={epochs=, lr=, ...}` option of the pruning and low-rank passes, read into `TrainOptions`.
enum PruneFineTune {
    /// Keys a fine-tuning table accepts.
    static let keys = ["epochs", "lr", "optimizer", "momentum", "batch", "seed", "weight_decay", "verbose"]

    /// Parses `table` (label names the option in errors, e.g. "finetune"); unknown keys and bad values throw.
    static func options(_ table: [String: PassValue], label: String, pass: String) throws -> TrainOptions {
        func fail(_ m: String) -> PassError { .invalidOption(pass: pass, message: m) }
        if let k = table.keys.sorted().first(where: { !keys.contains($0) }) {
            throw fail("unknown option '\(label).\(k)' (known: \(keys.joined(separator: ", ")))")
        }
        func number(_ k: String, _ lo: Double, _ hi: Double, open: Bool = false) throws -> Double? {
            guard let v = table[k] else { return nil }
            let d: Double
            switch v {
            case .number(let x): d = x
            case .integer(let i): d = Double(i)
            default: throw fail("'\(label).\(k)' must be a number, got \(v)")
            }
            guard d >= lo, open ? d < hi : d <= hi else {
                throw fail("'\(label).\(k)' must be in [\(PassValue.number(lo)), \(PassValue.number(hi))\(open ? ")" : "]"), got \(PassValue.number(d))")
            }
            return d
        }
        func integer(_ k: String, _ lo: Double, _ hi: Double) throws -> Int? {
            guard let d = try number(k, lo, hi) else { return nil }
            guard d == d.rounded() else { throw fail("'\(label).\(k)' must be an integer, got \(PassValue.number(d))") }
            return Int(d)
        }
        var o = TrainOptions()
        o.epochs = try integer("epochs", 1, 10_000) ?? 1
        if let lr = try number("lr", 1e-12, 100) { o.learningRate = Float(lr) }
        o.momentum = Float(try number("momentum", 0, 1, open: true) ?? 0)
        o.batchSize = try integer("batch", 1, 1_048_576) ?? 64
        o.seed = UInt64(try integer("seed", 0, 9e15) ?? 1)
        o.weightDecay = Float(try number("weight_decay", 0, 1) ?? 0)
        switch table["optimizer"] {
        case nil: break
        case .string("sgd"): o.optimizer = .sgd
        case .string("adam"): o.optimizer = .adam
        case let v?: throw fail("'\(label).optimizer' must be one of \"sgd\", \"adam\", got \(v)")
        }
        switch table["verbose"] {
        case nil: break
        case .bool(let b): o.verbose = b
        case let v?: throw fail("'\(label).verbose' must be a boolean, got \(v)")
        }
        return o
    }
}
