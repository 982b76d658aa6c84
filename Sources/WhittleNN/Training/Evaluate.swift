import WhittleTensor

/// Accuracy, mean cross-entropy and error count of a model on a dataset.
public struct Evaluation: CustomStringConvertible {
    /// Fraction classified correctly.
    public let accuracy: Double
    /// Mean cross-entropy loss.
    public let loss: Double
    /// Misclassified examples.
    public let errors: Int
    /// Examples seen.
    public let count: Int

    public var description: String {
        String(format: "accuracy %.2f%%  loss %.4f  errors %d/%d", accuracy * 100, loss, errors, count)
    }
}

/// Runs `model` in evaluation mode over `data` in batches (argmax of the last layer vs the labels).
public func evaluate(_ model: Model, _ data: BatchSource, batchSize: Int = 500) throws -> Evaluation {
    guard batchSize >= 1 else { throw NNError.invalidArgument("evaluate: batch size must be >= 1") }
    let wasTraining = model.root.training
    model.setTraining(false)
    defer { model.setTraining(wasTraining); model.root.clearCache() }
    var correct = 0, count = 0, lossSum = 0.0
    try data.forEachBatch(size: batchSize, shuffle: false, seed: 0) { x, y in
        let out = try model.forward(x)
        let (loss, _) = try Loss.crossEntropy(logits: out, labels: y)
        let n = out.shape[0], c = out.shape[1]
        for r in 0..<n {
            let row = out.floats + r * c
            var best = 0
            for j in 1..<c where row[j] > row[best] { best = j }
            if Float(best) == y.element(at: r) { correct += 1 }
        }
        count += n
        lossSum += Double(loss) * Double(n)
    }
    guard count > 0 else { throw NNError.invalidArgument("evaluate: the dataset is empty") }
    return Evaluation(accuracy: Double(correct) / Double(count), loss: lossSum / Double(count), errors: count - correct, count: count)
}
