import WhittleData
import WhittleNN
import WhittleTensor

/// Runs calibration batches through a model leaf by leaf, so each layer's input can be observed
/// right before that layer is quantized (with the earlier layers already quantized).
final class CalibrationRun {
    private let leaves: [(path: String, module: Module)]
    private var position = 0
    /// The current activations, one tensor per batch (inputs of leaf `position`).
    private(set) var activations: [Tensor]

    /// Takes at most `samples` examples of `data` in batches of `batch`; the model must be a chain of sequentials.
    init(model: Model, data: Dataset, samples: Int, batch: Int, pass: String) throws {
        guard CalibrationRun.isChain(model.root) else {
            throw PassError.failed(pass: pass, message: "calibration needs a model made of nested sequentials")
        }
        leaves = model.layers()
        let subset = try data.take(min(samples, data.count))
        activations = try subset.batches(size: batch, shuffle: false, seed: 0).map(\.x)
        guard !activations.isEmpty else { throw PassError.invalidOption(pass: pass, message: "'calibration' dataset is empty") }
    }

    private static func isChain(_ m: Module) -> Bool {
        m.children.isEmpty || (m is Sequential && m.children.allSatisfy { isChain($0.module) })
    }

    /// Advances the activations to the input of the leaf at `path` (eval mode).
    func inputs(of path: String) throws -> [Tensor] {
        guard let target = leaves.firstIndex(where: { $0.path == path }), target >= position else {
            throw NNError.invalidArgument("calibration: layer '\(path)' is not ahead of the current position")
        }
        while position < target {
            let m = leaves[position].module
            activations = try activations.map { try m.forward($0) }
            m.clearCache()
            position += 1
        }
        return activations
    }
}

/// Observed values of a set of tensors: exact min/max plus an evenly strided sample for percentile/MSE.
func observedRange(_ tensors: [Tensor], observer: RangeObserver, maxSample: Int = 1 << 20) -> (low: Float, high: Float) {
    let total = tensors.reduce(0) { $0 + $1.count }
    if observer.kind == .minmax {
        var lo = Float.infinity, hi = -Float.infinity
        for t in tensors { for i in 0..<t.count { let v = t.floats[i]; if v.isFinite { lo = min(lo, v); hi = max(hi, v) } } }
        if lo > hi { return (0, 0) }
        return [lo, hi].withUnsafeBufferPointer { observer.range($0) }
    }
    let step = max(1, total / maxSample)
    var sample: [Float] = []
    sample.reserveCapacity(total / step + 1)
    var k = 0
    for t in tensors {
        for i in 0..<t.count {
            if k % step == 0 { sample.append(t.floats[i]) }
            k += 1
        }
    }
    return sample.withUnsafeBufferPointer { observer.range($0) }
}

/// Per-channel (or whole-tensor) weight ranges chosen by `observer`.
func weightRanges(_ w: Tensor, perChannel: Bool, observer: RangeObserver) -> [(low: Float, high: Float)] {
    let rows = perChannel ? w.shape[0] : 1, cols = w.count / rows
    return (0..<rows).map { r in observer.range(UnsafeBufferPointer(start: w.floats + r * cols, count: cols)) }
}

/// Mean over every position of each output channel of `a - b` (channel axis 1 for 4-D, last otherwise).
func channelMeanDifference(_ a: Tensor, _ b: Tensor, channels: Int) -> [Double] {
    var sums = [Double](repeating: 0, count: channels)
    let n = a.count
    guard n > 0, channels > 0 else { return sums }
    if a.rank == 4 {
        let pos = a.shape[2] * a.shape[3]
        for i in 0..<n { sums[(i / pos) % channels] += Double(a.floats[i] - b.floats[i]) }
    } else {
        for i in 0..<n { sums[i % channels] += Double(a.floats[i] - b.floats[i]) }
    }
    return sums.map { $0 / Double(n / channels) }
}
