import WhittleTensor

/// Stochastic gradient descent with optional momentum (torch semantics: v = μv + g),
/// Nesterov momentum (step along g + μv) and L2 weight decay (g += λw).
public final class SGD: Optimizer {
    public var learningRate: Float
    /// Momentum μ in [0, 1).
    public let momentum: Float
    /// Use Nesterov's look-ahead form.
    public let nesterov: Bool
    /// L2 penalty λ.
    public let weightDecay: Float
    private var velocity = SlotStore()

    /// Validates the hyper-parameters.
    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws {
        guard learningRate > 0 && learningRate.isFinite else { throw NNError.invalidArgument("sgd: 'lr' must be > 0, got \(learningRate)") }
        guard momentum >= 0 && momentum < 1 else { throw NNError.invalidArgument("sgd: 'momentum' must be in [0, 1), got \(momentum)") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw NNError.invalidArgument("sgd: 'weight_decay' must be >= 0, got \(weightDecay)") }
        guard !nesterov || momentum > 0 else { throw NNError.invalidArgument("sgd: 'nesterov' needs a momentum > 0") }
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter]) throws {
        let lr = learningRate, mu = momentum, wd = weightDecay, nest = nesterov
        try eachTrainable(parameters) { p in
            let w = p.value.floats, g = p.grad.floats, n = p.count
            if mu == 0 {
                for i in 0..<n { w[i] -= lr * (g[i] + wd * w[i]) }
                return
            }
            let v = try velocity.slot(for: p).floats
            for i in 0..<n {
                let gi = g[i] + wd * w[i]
                v[i] = mu * v[i] + gi
                w[i] -= lr * (nest ? gi + mu * v[i] : v[i])
            }
        }
    }
}
