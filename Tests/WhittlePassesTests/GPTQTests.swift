import XCTest
import WhittleKernels
import WhittlePasses

/// GPTQ on synthetic layers with correlated inputs: it must beat round-to-nearest on the
/// layer's output error, write blocks that decode to the values it reports, and fail cleanly.
final class GPTQTests: XCTestCase {
    /// Round-to-nearest on the same grid, block parameters fitted on the original weights.
    func rtn(_ w: [Float], rows: Int, cols: Int, grid: QuantGrid) -> [Float] {
        var q = w
        w.withUnsafeBufferPointer { wb in
            for r in 0..<rows {
                for b in 0..<cols / grid.blockSize {
                    let base = r * cols + b * grid.blockSize
                    let p = grid.fit(wb.baseAddress! + base)
                    for j in 0..<grid.blockSize { q[base + j] = grid.round(w[base + j], p, element: j).value }
                }
            }
        }
        return q
    }

    func testBeatsRoundToNearestOnEveryGrid() throws {
        let rows = 24, cols = 128, n = 512
        let x = Synthetic.inputs(n: n, cols: cols, seed: 7)
        var g = Synthetic.Gauss(s: 99)
        let w = (0..<rows * cols).map { _ in 0.05 * g.next() }
        let h = try Synthetic.hessian(x, n: n, cols: cols)
        for name in QuantGrids.names {
            let grid = try XCTUnwrap(QuantGrids.grid(named: name))
            let r = try GPTQ.quantize(w, rows: rows, cols: cols, hessian: h, grid: grid)
            let eG = Synthetic.outputError(x, n: n, w, r.values, rows: rows, cols: cols)
            let eR = Synthetic.outputError(x, n: n, w, rtn(w, rows: rows, cols: cols, grid: grid), rows: rows, cols: cols)
            XCTAssertLessThan(eG, 0.75 * eR, "\(name): GPTQ output error \(eG) vs RTN \(eR)")
            var o = GPTQ.Options(); o.actOrder = true
            let ra = try GPTQ.quantize(w, rows: rows, cols: cols, hessian: h, grid: grid, options: o)
            let eA = Synthetic.outputError(x, n: n, w, ra.values, rows: rows, cols: cols)
            XCTAssertLessThan(eA, 0.75 * eR, "\(name): act-order GPTQ \(eA) vs RTN \(eR)")
        }
    }

    func testBlocksDecodeToTheReportedValues() throws {
        let rows = 5, cols = 64, n = 200
        let x = Synthetic.inputs(n: n, cols: cols, seed: 3)
        var g = Synthetic.Gauss(s: 5)
        let w = (0..<rows * cols).map { _ in g.next() }
        let h = try Synthetic.hessian(x, n: n, cols: cols)
        let decoders: [(String, (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) throws -> Void)] = [
            ("q4_0", { try Quantize.dequantizeQ4_0($0, count: $1, into: $2) }),
            ("q8_0", { try Quantize.dequantizeQ8_0($0, count: $1, into: $2) }),
        ]
        for (name, decode) in decoders {
            let grid = try XCTUnwrap(QuantGrids.grid(named: name))
            let r = try GPTQ.quantize(w, rows: rows, cols: cols, hessian: h, grid: grid)
            XCTAssertEqual(r.blocks.count, rows * cols / 32 * grid.blockBytes)
            var decoded = [Float](repeating: .nan, count: rows * cols)
            try r.blocks.withUnsafeBytes { b in try decoded.withUnsafeMutableBufferPointer { try decode(b.baseAddress!, rows * cols, $0.baseAddress!) } }
            XCTAssertEqual(decoded, r.values, name)
        }
    }

    func testDeadInputsAndDampingRetry() throws {
        let rows = 4, cols = 32
        // Only the first 3 inputs are ever active: H is singular; dead columns get zero weight.
        var h = [Double](repeating: 0, count: cols * cols)
        for i in 0..<3 { for j in 0..<3 { h[i * cols + j] = 1 } }   // rank 1 on the live block
        let w = (0..<rows * cols).map { Float($0 % 7) - 3 }
        let r = try GPTQ.quantize(w, rows: rows, cols: cols, hessian: h, grid: try XCTUnwrap(QuantGrids.grid(named: "q8_0")))
        for row in 0..<rows { for j in 3..<cols { XCTAssertEqual(r.values[row * cols + j], 0) } }
        XCTAssertGreaterThanOrEqual(r.damp, 0.01)
    }

    func testBadInputIsAnErrorBeforeAnyWork() throws {
        let grid = try XCTUnwrap(QuantGrids.grid(named: "q4_0"))
        XCTAssertThrowsError(try GPTQ.quantize([Float](repeating: 1, count: 40), rows: 1, cols: 40,
                                               hessian: [Double](repeating: 0, count: 1600), grid: grid)) { e in
            XCTAssertTrue("\(e)".contains("multiple of 32"), "\(e)")
        }
        var nanH = [Double](repeating: 0, count: 32 * 32)
        for i in 0..<32 { nanH[i * 32 + i] = .nan }
        XCTAssertThrowsError(try GPTQ.quantize([Float](repeating: 1, count: 32), rows: 1, cols: 32, hessian: nanH, grid: grid)) { e in
            XCTAssertTrue("\(e)".contains("not positive definite"), "\(e)")
        }
        XCTAssertNil(QuantGrids.grid(named: "q3_x"))
    }
}
