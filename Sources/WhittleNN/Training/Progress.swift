import Foundation

/// Where a training run is, passed to the progress callback after every batch.
public struct TrainProgress {
    /// 1-based epoch.
    public let epoch: Int
    /// Total epochs.
    public let epochs: Int
    /// 1-based batch within the epoch.
    public let batch: Int
    /// Batches per epoch.
    public let batches: Int
    /// Mean loss over the epoch so far.
    public let loss: Float
    /// Examples per second over the epoch so far.
    public let throughput: Double
    /// Learning rate of the last step.
    public let learningRate: Float
}

/// Prints progress to stderr: a redrawn bar on a terminal, plain periodic lines otherwise.
final class ProgressPrinter {
    private let isTerminal = isatty(2) != 0
    private var lastLine = -1.0

    func update(_ p: TrainProgress) {
        let frac = Double(p.batch) / Double(max(p.batches, 1))
        let stats = String(format: "loss %.4f  %.0f img/s  lr %.4g", p.loss, p.throughput, p.learningRate)
        if isTerminal {
            let width = 30, filled = Int(frac * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[Kepoch \(p.epoch)/\(p.epochs) [\(bar)] \(Int(frac * 100))%  \(stats)")
            if p.batch == p.batches { write("\n") }
        } else if p.batch == p.batches || frac - lastLine >= 0.25 {
            lastLine = p.batch == p.batches ? -1 : frac
            write("epoch \(p.epoch)/\(p.epochs) batch \(p.batch)/\(p.batches)  \(stats)\n")
        }
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
