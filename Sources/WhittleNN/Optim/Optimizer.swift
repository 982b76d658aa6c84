import WhittleTensor

/// Updates parameters from their accumulated gradients. Masks are honoured by every
/// optimizer: the gradient is masked before the update and the value after it, so a
/// pruned entry stays exactly zero.
public protocol Optimizer: AnyObject {
    /// Current learning rate (schedules set it before each step).
    var learningRate: Float { get set }
    /// One update of every trainable parameter.
    func step(_ parameters: [Parameter]) throws
}

/// Which optimizer `train` builds.
public enum OptimizerKind: String, Sendable {
    case sgd, adam
}

extension Optimizer {
    /// Masks gradients, runs `update` per trainable parameter, then re-applies masks.
    func eachTrainable(_ parameters: [Parameter], _ update: (Parameter) throws -> Void) rethrows {
        for p in parameters where p.trainable {
            p.maskGrad()
            try update(p)
            p.applyMask()
        }
    }
}

/// Per-parameter state tensors keyed by identity (momentum, Adam moments).
struct SlotStore {
    private var slots: [ObjectIdentifier: Tensor] = [:]

    /// The zero-initialised state of `p`, reset when its shape changed (after surgery).
    mutating func slot(for p: Parameter) throws -> Tensor {
        let id = ObjectIdentifier(p)
        if let t = slots[id], t.shape == p.value.shape { return t }
        let t = try Tensor(zeros: p.value.shape)
        slots[id] = t
        return t
    }
}
