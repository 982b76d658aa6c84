import Foundation
import WhittleNN

/// prune.gradual: Zhu & Gupta's gradual magnitude pruning, interleaved with fine-tuning.
public final class GradualPrunePass: Pass {
    public let name = "prune.gradual"
    public let doc = "Gradual magnitude pruning (Zhu & Gupta cubic schedule) interleaved with fine-tuning; masks persist."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("data", .dataset, doc: "Training data for the fine-tuning between pruning steps."),
        PassParam("final", .number, min: 0, max: 1, maxExclusive: true, doc: "Final sparsity s_f."),
        PassParam("initial", .number, default: .number(0), min: 0, max: 1, maxExclusive: true, doc: "Initial sparsity s_i (applied before the first step)."),
        PassParam("epochs", .integer, min: 1, max: 10_000, doc: "Fine-tuning epochs in total."),
        PassParam("frequency", .integer, default: .integer(100), min: 1, max: 1e9, doc: "Training steps Δt between mask updates."),
        PassParam("ramp", .number, default: .number(0.75), min: 0, max: 1, minExclusive: true,
                  doc: "Share of the training steps over which sparsity ramps to final (nΔt); the rest fine-tunes at final."),
        PassParam("schedule", .string, default: .string("cubic"), choices: ["cubic", "linear"],
                  doc: "cubic: s_t = s_f + (s_i - s_f)(1 - (t - t0)/(nΔt))³; linear: the straight line."),
        PassParam("scope", .string, default: .string("layer"), choices: ["layer", "global"], doc: "Sparsity per tensor or over all targets."),
        PassParam("lr", .number, default: .number(0.01), min: 0, max: 100, minExclusive: true, doc: "Learning rate."),
        PassParam("optimizer", .string, default: .string("sgd"), choices: ["sgd", "adam"], doc: "Optimizer."),
        PassParam("momentum", .number, default: .number(0.9), min: 0, max: 1, maxExclusive: true, doc: "SGD momentum."),
        PassParam("batch", .integer, default: .integer(64), min: 1, max: 1_048_576, doc: "Batch size."),
        PassParam("seed", .integer, default: .integer(1), min: 0, max: 9e15, doc: "Shuffling seed."),
        PassParam("verbose", .bool, default: .bool(true), doc: "Print training progress."),
        PassParam("targets", .strings, default: PruneTargets.defaultGlobs, doc: "Glob(s) of parameters to prune."),
    ]

    public init() {}

    /// Zhu & Gupta's sparsity at step `t` of a ramp of `steps` steps (clamped to [s_i, s_f] outside it).
    public static func sparsity(step t: Int, rampSteps steps: Int, initial si: Double, final sf: Double, cubic: Bool = true) -> Double {
        let progress = min(1, max(0, Double(t) / Double(max(steps, 1))))
        let remaining = 1 - progress
        return sf + (si - sf) * (cubic ? remaining * remaining * remaining : remaining)
    }

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        guard let data = options.dataset("data") else { throw PassError.invalidOption(pass: name, message: "missing option 'data'") }
        let targets = try PruneTargets.select(model, options, pass: name)
        let si = options.number("initial") ?? 0, sf = options.number("final") ?? 0
        guard si <= sf else {
            throw PassError.invalidOption(pass: name, message: "'initial' (\(PassValue.number(si))) must not exceed 'final' (\(PassValue.number(sf)))")
        }
        guard data.count > 0 else { throw PassError.invalidOption(pass: name, message: "'data' is empty") }
        var train = TrainOptions()
        train.epochs = options.integer("epochs") ?? 1
        train.learningRate = Float(options.number("lr") ?? 0.01)
        train.optimizer = options.string("optimizer") == "adam" ? .adam : .sgd
        train.momentum = train.optimizer == .sgd ? Float(options.number("momentum") ?? 0) : 0
        train.batchSize = options.integer("batch") ?? 64
        train.seed = UInt64(options.integer("seed") ?? 1)
        train.verbose = options.bool("verbose") ?? true
        let global = options.string("scope") == "global", cubic = options.string("schedule") != "linear"
        let freq = options.integer("frequency") ?? 100
        let perEpoch = (data.count + train.batchSize - 1) / train.batchSize
        let total = perEpoch * train.epochs
        let ramp = max(1, Int((options.number("ramp") ?? 0.75) * Double(total)))
        let params = targets.map(\.parameter)

        func pruneTo(_ s: Double) throws {
            if global { try MagnitudePruner.pruneGlobally(params, sparsity: s) } else { for p in params { try MagnitudePruner.prune(p, sparsity: s) } }
        }
        try pruneTo(si)
        var updates = 1, current = si, failure: Error?
        train.progress = { p in
            guard failure == nil else { return }
            let t = (p.epoch - 1) * perEpoch + p.batch
            if t <= ramp && (t % freq == 0 || t == ramp) {
                current = GradualPrunePass.sparsity(step: t, rampSteps: ramp, initial: si, final: sf, cubic: cubic)
                do { try pruneTo(current) } catch { failure = error }
                updates += 1
            }
            if p.batch == p.batches {
                context.log(String(format: "\(self.name): epoch %d/%d  sparsity %.4f (final %.4f)  loss %.4f",
                                   p.epoch, p.epochs, current, sf, p.loss))
            }
        }
        try WhittleNN.train(model, data, train)
        if let failure { throw failure }
        var report = PassReport(pass: name)
        for (target, p) in targets {
            let z = MagnitudePruner.zeros(p)
            report.rows.append(.init(target: target, values: [
                ("params", .integer(p.count)), ("zeros", .integer(z)), ("sparsity", .number(Double(z) / Double(max(p.count, 1)))),
            ]))
        }
        let s = PruneTargets.sparsity(params)
        report.summary = [("sparsity", .number(s.sparsity)), ("steps", .integer(total)), ("mask updates", .integer(updates))]
        return report
    }
}
