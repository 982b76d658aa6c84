import XCTest
import WhittleKernels

/// Fast quantizers against the scalar specification on random data, plus format cross-checks.
final class QuantizeTests: XCTestCase {
    func testFastMatchesReferenceOnRandomData() throws {
        var rng = TestRNG(5)
        for scale: Float in [1, 1e-3, 50, 1e30] {
            var x = rng.floats(32 * 257).map { $0 * scale }
            // Edge blocks: all zeros with a -0, a +a/-a tie (the first wins), a block where +a comes after -a.
            for j in 0..<32 { x[j] = 0 }
            x[5] = -0.0
            x[32 + 3] = 0.75 * scale; x[32 + 9] = -0.75 * scale
            x[64 + 2] = -0.5 * scale; x[64 + 30] = 0.5 * scale
            for (name, bytes, fast, ref) in [
                ("q8_0", 34, { try Quantize.q8_0($0, count: $1, into: $2) } as (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) throws -> Void,
                 { try Reference.quantizeQ8_0($0, count: $1, into: $2) } as (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) throws -> Void),
                ("q4_0", 18, { try Quantize.q4_0($0, count: $1, into: $2) }, { try Reference.quantizeQ4_0($0, count: $1, into: $2) }),
            ] {
                var b = [UInt8](repeating: 0, count: 257 * bytes)
                try ref(x, x.count, &b)
                try forEachISA { isa in
                    var a = [UInt8](repeating: 0, count: 257 * bytes)
                    try fast(x, x.count, &a)
                    XCTAssertEqual(a, b, "\(name) \(isa) scale \(scale)")
                }
            }
        }
    }

    /// int4 with group 32 stores exactly Q4_0's scales and codes, only planar.
    func testInt4Group32IsPlanarQ4_0() throws {
        var rng = TestRNG(6)
        let rows = 3, cols = 96
        let x = rng.floats(rows * cols)
        let layout = try GroupInt4Layout(rows: rows, cols: cols, group: 32)
        var codes = [UInt8](repeating: 0, count: layout.codeBytes), scales = [UInt16](repeating: 0, count: rows * 3)
        Quantize.int4(x, layout: layout, codes: &codes, scales: &scales)
        var q4 = [UInt8](repeating: 0, count: rows * 3 * 18)
        try Quantize.q4_0(x, count: x.count, into: &q4)
        for b in 0..<rows * 3 {
            XCTAssertEqual(UInt16(q4[b * 18]) | UInt16(q4[b * 18 + 1]) << 8, scales[b])
            XCTAssertEqual(Array(q4[b * 18 + 2..<b * 18 + 18]), Array(codes[b * 16..<b * 16 + 16]))
        }
    }

    func testInt4RoundTripErrorBoundedForEachGroup() throws {
        var rng = TestRNG(7)
        for group in [32, 64, 128] {
            let layout = try GroupInt4Layout(rows: 4, cols: 256, group: group)
            let x = rng.floats(4 * 256)
            var codes = [UInt8](repeating: 0, count: layout.codeBytes), scales = [UInt16](repeating: 0, count: 4 * layout.groupsPerRow)
            Quantize.int4(x, layout: layout, codes: &codes, scales: &scales)
            var y = [Float](repeating: 0, count: x.count)
            Quantize.dequantizeInt4(codes: codes, scales: scales, layout: layout, into: &y)
            XCTAssertEqual(layout.totalBytes, 4 * 256 / 2 + 4 * layout.groupsPerRow * 2)
            for g in 0..<4 * layout.groupsPerRow {
                let d = abs(Half.float(scales[g]))
                for j in g * group..<(g + 1) * group {
                    // Codes are trunc(x/d + 8.5) clipped to 15: at most half a step off, except the clipped top end.
                    XCTAssertLessThanOrEqual(abs(y[j] - x[j]), d * 1.0001 + 1e-6, "group \(group) element \(j)")
                }
            }
        }
    }

    func testInt8RowsSymmetricAndAffine() {
        var rng = TestRNG(8)
        let rows = 5, cols = 77
        var x = rng.floats(rows * cols)
        for j in 0..<cols { x[2 * cols + j] = 0 }                     // an all-zero row
        for j in 0..<cols { x[3 * cols + j] = abs(x[3 * cols + j]) + 1 } // an all-positive row
        for zp in [false, true] {
            let layout = PerChannelInt8Layout(rows: rows, cols: cols, hasZeroPoint: zp)
            var q = [Int8](repeating: 0, count: layout.valueBytes), s = [Float](repeating: 0, count: rows)
            var z = [Int8](repeating: 0, count: rows)
            z.withUnsafeMutableBufferPointer { zb in
                Quantize.int8Rows(x, layout: layout, values: &q, scales: &s, zeros: zp ? zb.baseAddress : nil)
            }
            var y = [Float](repeating: 0, count: x.count)
            z.withUnsafeBufferPointer { zb in
                Quantize.dequantizeInt8Rows(values: q, scales: s, zeros: zp ? zb.baseAddress : nil, layout: layout, into: &y)
            }
            for r in 0..<rows {
                var refQ = [Int8](repeating: 0, count: cols)
                if !zp {
                    let refScale = Reference.quantizeRowInt8(Array(x[r * cols..<(r + 1) * cols]), count: cols, into: &refQ)
                    XCTAssertEqual(s[r], refScale)
                    XCTAssertEqual(Array(q[r * cols..<(r + 1) * cols]), refQ, "row \(r)")
                }
                for j in 0..<cols {
                    XCTAssertLessThanOrEqual(abs(y[r * cols + j] - x[r * cols + j]), s[r] * 0.5001 + 1e-7, "zp=\(zp) row \(r) col \(j)")
                }
            }
            XCTAssertEqual(s[2], 0)
        }
    }
}
