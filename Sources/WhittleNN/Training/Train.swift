import Foundation
import WhittleTensor

/// Options of a training run (defaults: 1 epoch of SGD, lr 0.01, batch 64, seed 1).
public struct TrainOptions {
    /// Passes over the data.
    public var epochs = 1
    /// Base learning rate (the schedule scales it).
    public var learningRate: Float = 0.01
    /// SGD or Adam.
    public var optimizer: OptimizerKind = .sgd
    /// SGD momentum μ.
    public var momentum: Float = 0
    /// Nesterov momentum (SGD, needs μ > 0).
    public var nesterov = false
    /// L2 penalty λ.
    public var weightDecay: Float = 0
    /// Examples per step.
    public var batchSize = 64
    /// Fixes the shuffling and dropout masks: the same seed gives the same weights.
    public var seed: UInt64 = 1
    /// Reshuffle every epoch (seed + epoch).
    public var shuffle = true
    /// Learning-rate schedule.
    public var schedule: LRSchedule = .constant
    /// Print a progress bar / periodic lines to stderr.
    public var verbose = true
    /// Called after every batch.
    public var progress: ((TrainProgress) -> Void)?
    /// Loss on (prediction, x, y) → (mean loss, gradient wrt prediction); cross-entropy when nil.
    /// Distillation passes a closure that runs the teacher on x.
    public var loss: ((Tensor, Tensor, Tensor) throws -> (loss: Float, grad: Tensor))?

    /// The defaults above.
    public init() {}

    /// Throws on out-of-range values, naming the option.
    public func validate() throws {
        guard epochs >= 1 && epochs <= 100_000 else { throw NNError.invalidArgument("train: 'epochs' must be >= 1, got \(epochs)") }
        guard batchSize >= 1 && batchSize <= 1 << 20 else { throw NNError.invalidArgument("train: 'batch' must be >= 1, got \(batchSize)") }
    }
}

/// What a run did, per epoch.
public struct TrainReport {
    /// Mean training loss of each epoch.
    public var epochLoss: [Float] = []
    /// Seconds per epoch.
    public var epochSeconds: [Double] = []
    /// Examples per second of each epoch.
    public var throughput: [Double] = []
}

/// Trains `model` on `data` (see `TrainOptions`); the model ends in evaluation mode.
@discardableResult
public func train(_ model: Model, _ data: BatchSource, _ options: TrainOptions = TrainOptions()) throws -> TrainReport {
    try options.validate()
    let optimizer: Optimizer
    switch options.optimizer {
    case .sgd: optimizer = try SGD(learningRate: options.learningRate, momentum: options.momentum,
                                   nesterov: options.nesterov, weightDecay: options.weightDecay)
    case .adam: optimizer = try Adam(learningRate: options.learningRate, weightDecay: options.weightDecay)
    }
    return try train(model, data, options, optimizer: optimizer)
}

/// Trains with a caller-built optimizer (so its state can persist across calls).
@discardableResult
public func train(_ model: Model, _ data: BatchSource, _ options: TrainOptions, optimizer: Optimizer) throws -> TrainReport {
    try options.validate()
    guard data.exampleCount > 0 else { throw NNError.invalidArgument("train: the dataset is empty") }
    // A tied parameter appears under several names but must be stepped once.
    var seenParams = Set<ObjectIdentifier>()
    let params = model.parameters().map(\.parameter).filter { seenParams.insert(ObjectIdentifier($0)).inserted }
    for p in params { p.applyMask() }
    // Dropout layers get seeds derived from the run's, so a seed fixes the whole run.
    for (i, l) in model.layers().enumerated() {
        (l.module as? Dropout)?.reseed(options.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i))
    }
    let printer = options.verbose ? ProgressPrinter() : nil
    let batches = (data.exampleCount + options.batchSize - 1) / options.batchSize
    let totalSteps = Double(batches * options.epochs)
    var report = TrainReport()
    model.setTraining(true)
    model.root.needsInputGradient = false
    defer {
        model.root.needsInputGradient = true
        model.setTraining(false)
        model.root.clearCache()
    }
    var step = 0
    for epoch in 0..<options.epochs {
        let start = Date()
        var seen = 0, lossSum = 0.0, b = 0
        try data.forEachBatch(size: options.batchSize, shuffle: options.shuffle, seed: options.seed &+ UInt64(epoch)) { x, y in
            optimizer.learningRate = options.schedule.rate(base: options.learningRate, epoch: epoch, progress: Double(step) / totalSteps)
            model.zeroGrad()
            let out = try model.forward(x)
            let (loss, grad) = try options.loss?(out, x, y) ?? Loss.crossEntropy(logits: out, labels: y)
            guard loss.isFinite else {
                throw NNError.invalidArgument("train: the loss became \(loss) in epoch \(epoch + 1) (learning rate too high?)")
            }
            _ = try model.backward(grad)
            try optimizer.step(params)
            let n = x.rank > 0 ? x.shape[0] : 0
            seen += n
            lossSum += Double(loss) * Double(n)
            b += 1
            step += 1
            let p = TrainProgress(epoch: epoch + 1, epochs: options.epochs, batch: b, batches: batches,
                                  loss: Float(lossSum / Double(max(seen, 1))),
                                  throughput: Double(seen) / max(Date().timeIntervalSince(start), 1e-9),
                                  learningRate: optimizer.learningRate)
            printer?.update(p)
            options.progress?(p)
        }
        let secs = Date().timeIntervalSince(start)
        report.epochLoss.append(Float(lossSum / Double(max(seen, 1))))
        report.epochSeconds.append(secs)
        report.throughput.append(Double(seen) / max(secs, 1e-9))
    }
    return report
}
