import Foundation
import WhittleNN
import WhittleTensor

extension DecoderCalibration {
    /// The block-by-block driver for methods that need only each input column's energy
    /// Σ x_j² (Wanda's ||X_j||², AWQ-style statistics), not a Hessian: `process(name,
    /// projection, sumSquares)` runs for every projection of a block once the calibration
    /// windows went through it, and the processed block makes the next block's inputs.
    public static func runColumnNorms(_ model: DecoderModel, windows: [[Int]], log: (String) -> Void,
                                      process: (String, Projection, [Double]) throws -> Void) throws {
        guard !windows.isEmpty, windows.allSatisfy({ !$0.isEmpty }) else { throw CalibrationError.invalid("calibration: no token windows") }
        let need = plannedBytes(model, windows: windows.count, tokens: windows[0].count, hessians: false)
        try MemoryBudget.check(bytes: need, what: "calibration of \(windows.count) windows x \(windows[0].count) tokens")
        log(String(format: "calibration: %d windows x %d tokens, %d blocks, about %.0f MB beyond the model", windows.count,
                   windows[0].count, model.blockCount, Double(need) / 1e6))
        var states = try windows.map { try model.blockInput($0) }
        let start = Date()
        for b in 0..<model.blockCount {
            let groups = model.blockProjections(b)
            var sums = groups.map { [Double](repeating: 0, count: $0[0].projection.inFeatures) }
            for (gi, g) in groups.enumerated() {
                g[0].projection.inputObserver = { x in
                    let cols = x.shape[1], f = x.floats
                    sums[gi].withUnsafeMutableBufferPointer { s in
                        for r in 0..<x.shape[0] {
                            let row = f + r * cols
                            for j in 0..<cols { s[j] += Double(row[j] * row[j]) }
                        }
                    }
                }
            }
            defer { for g in groups { g[0].projection.inputObserver = nil } }
            for x in states { _ = try model.runBlock(b, x) }
            for g in groups { g[0].projection.inputObserver = nil }
            for (gi, g) in groups.enumerated() {
                for (name, p) in g { try process(name, p, sums[gi]) }
            }
            states = try states.map { try model.runBlock(b, $0) }
            let elapsed = Date().timeIntervalSince(start)
            log(String(format: "calibration: block %d/%d done (%.0f s, %.0f block-tokens/s)", b + 1, model.blockCount, elapsed,
                       Double(windows.count * windows[0].count * (b + 1)) / max(elapsed, 1e-9)))
        }
    }
}
