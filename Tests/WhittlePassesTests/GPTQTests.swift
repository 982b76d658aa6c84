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
            ("q4_1_zp", { GGMLCodec.dequantize(.q4_1, $0, $2, count: $1) }),
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

    /// q4_1_zp: GPTQ's asymmetric quantizer (range widened to 0, integer zero point) in Q4_1 blocks;
    /// round() gives exactly what the stored block decodes to, and that is d·(q − z) exactly.
    func testIntegerZeroGridRoundsToTheStoredBlockValue() throws {
        let grid = try XCTUnwrap(QuantGrids.grid(named: "q4_1_zp"))
        XCTAssertEqual(grid.storedAs, "q4_1")
        XCTAssertEqual(grid.blockBytes, 20)
        var g = Synthetic.Gauss(s: 11)
        var blocks: [[Float]] = (0..<200).map { i in
            let scale: Float = [1, 0.02, 3e-5, 1e-7, 400][i % 5]
            let shift: Float = [0, 0.7, -0.7, 2.5, -2.5][(i / 5) % 5]
            return (0..<32).map { _ in scale * (g.next() + shift) }
        }
        blocks.append([Float](repeating: 0, count: 32))
        blocks.append((0..<32).map { Float($0) * 0.01 })          // all >= 0: z = 0, m = +0
        blocks.append((0..<32).map { -Float($0) * 0.01 })         // all <= 0: z = 15
        blocks.append([Float](repeating: 1e-9, count: 32))        // the scale underflows f16: all zero
        var zeros = Set<Int32>()
        for w in blocks {
            let p = w.withUnsafeBufferPointer { grid.fit($0.baseAddress!) }
            let d = p.d
            var codes = [Int32](repeating: 0, count: 32), values = [Float](repeating: 0, count: 32)
            for j in 0..<32 { (codes[j], values[j]) = grid.round(w[j], p, element: j) }
            var block = [UInt8](repeating: 0, count: 20)
            codes.withUnsafeBufferPointer { c in block.withUnsafeMutableBytes { grid.encode(p, codes: c.baseAddress!, into: $0.baseAddress!) } }
            var decoded = [Float](repeating: .nan, count: 32)
            block.withUnsafeBytes { b in decoded.withUnsafeMutableBufferPointer { GGMLCodec.dequantize(.q4_1, b.baseAddress!, $0.baseAddress!, count: 32) } }
            XCTAssertEqual(decoded.map(\.bitPattern), values.map(\.bitPattern), "block \(w.prefix(2))")
            guard d != 0 else { XCTAssertEqual(p.mBits, 0); XCTAssertEqual(values, [Float](repeating: 0, count: 32)); continue }
            // An integer zero point z in 0...15 with m = -d·z exactly, and 7 significant bits in d.
            let z = -p.m / d
            XCTAssertEqual(z, z.rounded(), "z = \(z)")
            XCTAssertTrue(z >= 0 && z <= 15)
            zeros.insert(Int32(z))
            XCTAssertEqual(p.m, -d * z)
            XCTAssertEqual(d.significandBitPattern & ((1 << 17) - 1), 0, "d = \(d) keeps 7 significant bits")
            for j in 0..<32 { XCTAssertEqual(values[j], d * (Float(codes[j]) - z)) }
            // The grid covers the block: every weight is within half a step, plus what rounding z and
            // d (to 7 bits, or to f16's subnormal quantum 2^-24) moves the range's ends.
            let lo = min(0, w.min()!), hi = max(0, w.max()!)
            let dError = (hi - lo) / 15 / 128 + 0x1p-25
            XCTAssertLessThanOrEqual(abs(d - (hi - lo) / 15), dError)
            for j in 0..<32 { XCTAssertLessThanOrEqual(abs(values[j] - w[j]), 0.5 * d + 15 * dError + 1e-6 * abs(w[j]), "\(w[j]) -> \(values[j])") }
        }
        XCTAssertTrue(zeros.contains(0) && zeros.contains(15) && zeros.count > 4, "\(zeros.sorted())")
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
