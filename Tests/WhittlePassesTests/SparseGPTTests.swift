import XCTest
import WhittlePasses

/// SparseGPT on the same synthetic layers as the GPTQ tests: exact sparsity and patterns, and
/// a lower output error than magnitude pruning at the same sparsity.
final class SparseGPTTests: XCTestCase {
    let rows = 16, cols = 128, n = 512

    func problem() throws -> (x: [Float], w: [Float], h: [Double]) {
        let x = Synthetic.inputs(n: n, cols: cols, seed: 11)
        var g = Synthetic.Gauss(s: 12)
        let w = (0..<rows * cols).map { _ in 0.05 * g.next() }
        return (x, w, try Synthetic.hessian(x, n: n, cols: cols))
    }

    /// Magnitude pruning: the smallest |w| of each row.
    func magnitude(_ w: [Float], sparsity: Double) -> [Float] {
        var out = w
        for r in 0..<rows {
            let idx = (0..<cols).sorted { abs(w[r * cols + $0]) < abs(w[r * cols + $1]) }
            for j in idx.prefix(Int(Double(cols) * sparsity)) { out[r * cols + j] = 0 }
        }
        return out
    }

    func testUnstructuredHalfBeatsMagnitude() throws {
        let (x, w, h) = try problem()
        let r = try SparseGPT.prune(w, rows: rows, cols: cols, hessian: h, pattern: .unstructured(0.5))
        XCTAssertEqual(r.values.filter { $0 == 0 }.count, rows * cols / 2)
        let eS = Synthetic.outputError(x, n: n, w, r.values, rows: rows, cols: cols)
        let eM = Synthetic.outputError(x, n: n, w, magnitude(w, sparsity: 0.5), rows: rows, cols: cols)
        XCTAssertLessThan(eS, 0.5 * eM, "sparsegpt \(eS) vs magnitude \(eM)")
    }

    func testTwoOfFourPattern() throws {
        let (x, w, h) = try problem()
        let r = try SparseGPT.prune(w, rows: rows, cols: cols, hessian: h, pattern: .nm(n: 2, m: 4))
        for row in 0..<rows {
            for g in stride(from: 0, to: cols, by: 4) {
                XCTAssertEqual((0..<4).filter { r.values[row * cols + g + $0] == 0 }.count, 2, "row \(row) group \(g)")
            }
        }
        var mag = w
        for row in 0..<rows { for g in stride(from: 0, to: cols, by: 4) {
            let idx = (0..<4).sorted { abs(w[row * cols + g + $0]) < abs(w[row * cols + g + $1]) }
            for j in idx.prefix(2) { mag[row * cols + g + j] = 0 }
        } }
        XCTAssertLessThan(Synthetic.outputError(x, n: n, w, r.values, rows: rows, cols: cols),
                          0.7 * Synthetic.outputError(x, n: n, w, mag, rows: rows, cols: cols))
    }

    func testBadOptions() throws {
        let (_, w, h) = try problem()
        XCTAssertThrowsError(try SparseGPT.prune(w, rows: rows, cols: cols, hessian: h, pattern: .unstructured(1.0)))
        XCTAssertThrowsError(try SparseGPT.prune(w, rows: rows, cols: cols, hessian: h, pattern: .nm(n: 2, m: 3))) { e in
            XCTAssertTrue("\(e)".contains("multiple of m"), "\(e)")
        }
        XCTAssertThrowsError(try SparseGPT.prune(w, rows: rows, cols: cols, hessian: [1], pattern: .unstructured(0.5)))
    }
}
