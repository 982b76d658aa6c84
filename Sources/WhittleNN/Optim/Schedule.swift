import Foundation

/// Learning-rate schedules over a training run.
public enum LRSchedule: Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// base · gamma^(epoch / every): drops by `gamma` every `every` epochs.
    case step(every: Int, gamma: Float)
    /// Cosine annealing from base to `minimum` over the whole run (updated every batch).
    case cosine(minimum: Float)

    /// The rate at 0-based `epoch`, with `progress` ∈ [0, 1] the fraction of batches done.
    public func rate(base: Float, epoch: Int, progress: Double) -> Float {
        switch self {
        case .constant: return base
        case .step(let every, let gamma): return base * Float(Foundation.pow(Double(gamma), Double(epoch / max(every, 1))))
        case .cosine(let minimum):
            return minimum + (base - minimum) * Float((1 + Foundation.cos(Double.pi * min(max(progress, 0), 1))) / 2)
        }
    }
}
