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
        try runBlocks(model, windows: windows, hessians: false, log: log,
                      statistic: { [Double](repeating: 0, count: $0) },
                      observe: { sums, x in
                          let cols = x.shape[1], f = x.floats
                          sums.withUnsafeMutableBufferPointer { s in
                              for r in 0..<x.shape[0] {
                                  let row = f + r * cols
                                  for j in 0..<cols { s[j] += Double(row[j] * row[j]) }
                              }
                          }
                      }, process: process)
    }
}
