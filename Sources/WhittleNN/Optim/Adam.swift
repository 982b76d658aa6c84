import Foundation
import WhittleTensor

/// Adam (Kingma & Ba) with bias correction and optional L2 weight decay added to the gradient.
public final class Adam: Optimizer {
    public var learningRate: Float
    /// Decay of the first moment.
    public let beta1: Float
    /// Decay of the second moment.
    public let beta2: Float
    /// Added to the root of the second moment.
    public let epsilon: Float
    /// L2 penalty λ.
    public let weightDecay: Float
    private var m = SlotStore(), v = SlotStore()
    private var t = 0

    /// Validates the hyper-parameters.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) throws {
        guard learningRate > 0 && learningRate.isFinite else { throw NNError.invalidArgument("adam: 'lr' must be > 0, got \(learningRate)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw NNError.invalidArgument("adam: betas must be in [0, 1)") }
        guard epsilon > 0 else { throw NNError.invalidArgument("adam: 'eps' must be > 0") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw NNError.invalidArgument("adam: 'weight_decay' must be >= 0, got \(weightDecay)") }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter]) throws {
        t += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        let c1 = 1 - Float(Foundation.pow(Double(b1), Double(t))), c2 = 1 - Float(Foundation.pow(Double(b2), Double(t)))
        let stepSize = learningRate / c1, c2root = c2.squareRoot()
        try eachTrainable(parameters) { p in
            let w = p.value.floats, g = p.grad.floats, n = p.count
            let mm = try m.slot(for: p).floats, vv = try v.slot(for: p).floats
            for i in 0..<n {
                let gi = g[i] + wd * w[i]
                mm[i] = b1 * mm[i] + (1 - b1) * gi
                vv[i] = b2 * vv[i] + (1 - b2) * gi * gi
                w[i] -= stepSize * mm[i] / (vv[i].squareRoot() / c2root + eps)
            }
        }
    }
}
