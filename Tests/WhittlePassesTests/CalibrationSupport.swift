import XCTest
import WhittlePasses

/// Synthetic layers for the calibrated-pass tests: correlated inputs like transformer
/// activations, the Hessian of those inputs, and the layer-output error of a weight change.
enum Synthetic {
    /// Deterministic normal samples.
    struct Gauss {
        var s: UInt64
        mutating func next() -> Float {
            func u(_ s: inout UInt64) -> Double { s = s &* 6364136223846793005 &+ 1442695040888963407; return Double(s >> 11) / Double(1 << 53) }
            let a = max(u(&s), 1e-12), b = u(&s)
            return Float((-2 * log(a)).squareRoot() * cos(2 * .pi * b))
        }
    }

    /// n input rows of width cols with strongly correlated features (a low-rank mix plus noise,
    /// a few outlier channels), as transformer activations have.
    static func inputs(n: Int, cols: Int, seed: UInt64) -> [Float] {
        var g = Gauss(s: seed)
        let rank = 8
        let mix = (0..<rank * cols).map { _ in g.next() }
        var x = [Float](repeating: 0, count: n * cols)
        for r in 0..<n {
            let z = (0..<rank).map { _ in g.next() }
            for j in 0..<cols {
                var v = 0.3 * g.next()
                for k in 0..<rank { v += z[k] * mix[k * cols + j] }
                x[r * cols + j] = j % 17 == 0 ? 6 * v : v
            }
        }
        return x
    }

    /// ‖X Wᵀ − X Qᵀ‖² summed over outputs.
    static func outputError(_ x: [Float], n: Int, _ w: [Float], _ q: [Float], rows: Int, cols: Int) -> Double {
        var total = 0.0
        for i in 0..<n {
            for r in 0..<rows {
                var s = 0.0
                for j in 0..<cols { s += Double(x[i * cols + j]) * Double(w[r * cols + j] - q[r * cols + j]) }
                total += s * s
            }
        }
        return total
    }

    static func hessian(_ x: [Float], n: Int, cols: Int) throws -> [Double] {
        var acc = try HessianAccumulator(cols: cols)
        x.withUnsafeBufferPointer { acc.add($0.baseAddress!, rows: n) }
        XCTAssertEqual(acc.samples, n)
        return acc.hessian()
    }

}
