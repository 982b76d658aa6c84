import Foundation
import XCTest
import WhittleKernels

/// GGMLCodec against the references' own output (fixtures from Scripts/fixtures/make_ggml_fixtures.py:
/// gguf-py and ggml-quants.c), plus layouts, error bounds and the shape-fallback rule.
final class GGMLCodecTests: XCTestCase {
    static let rows = 8, cols = 512
    static let quantizable: [GGMLType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
                                          .q8_K, .iq4_nl, .iq4_xs, .tq1_0, .tq2_0]

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixtureURL("ggml/" + name))) }

    func floats(_ name: String) throws -> [Float] {
        let b = try bytes(name)
        return stride(from: 0, to: b.count, by: 4).map { i in
            Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
    }

    func quantize(_ type: GGMLType, _ x: [Float], rowLength: Int, importance: [Float]?) throws -> [UInt8] {
        let rowBytes = try XCTUnwrap(type.rowBytes(rowLength))
        var out = [UInt8](repeating: 0xAA, count: x.count / rowLength * rowBytes)
        try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBytes { op in
                if let importance {
                    try importance.withUnsafeBufferPointer {
                        try GGMLCodec.quantize(type, xp.baseAddress!, op.baseAddress!, count: x.count, rowLength: rowLength,
                                               importance: $0.baseAddress!)
                    }
                } else {
                    try GGMLCodec.quantize(type, xp.baseAddress!, op.baseAddress!, count: x.count, rowLength: rowLength)
                }
            }
        }
        return out
    }

    func dequantize(_ type: GGMLType, _ q: [UInt8], count: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: count)
        q.withUnsafeBytes { qp in y.withUnsafeMutableBufferPointer { GGMLCodec.dequantize(type, qp.baseAddress!, $0.baseAddress!, count: count) } }
        return y
    }

    /// Compares block by block and names the first differing block of each row.
    func assertSameBlocks(_ got: [UInt8], _ expected: [UInt8], _ type: GGMLType, _ what: String) {
        XCTAssertEqual(got.count, expected.count, "\(type) \(what): size")
        let b = type.blockBytes, perRow = Self.cols / type.blockSize
        var bad = 0
        for blk in 0..<min(got.count, expected.count) / b where got[blk * b..<(blk + 1) * b] != expected[blk * b..<(blk + 1) * b] {
            bad += 1
            if bad <= 3 {
                let diff = (0..<b).filter { got[blk * b + $0] != expected[blk * b + $0] }
                XCTFail("\(type) \(what): row \(blk / perRow) block \(blk % perRow) differs at byte offsets \(diff.prefix(8))")
            }
        }
        if bad > 3 { XCTFail("\(type) \(what): \(bad) blocks differ in all") }
    }

    func testBlockLayoutsMatchTypeSizes() {
        for type in GGMLType.allCases {
            guard let layout = GGMLBlockLayout.of(type) else { continue }
            XCTAssertEqual(layout.bytes, type.blockBytes, "\(type)")
            XCTAssertEqual(layout.elements, type.blockSize, "\(type)")
            var offset = 0
            for f in layout.fields {
                XCTAssertEqual(f.offset, offset, "\(type).\(f.name)")
                offset += f.bytes
            }
        }
        XCTAssertEqual(GGMLBlockLayout.q4_K.offset("qs"), 16)
        XCTAssertEqual(GGMLBlockLayout.q6_K.offset("d"), 208)
        XCTAssertEqual(GGMLBlockLayout.q8_K.offset("bsums"), 260)
        XCTAssertEqual(MemoryLayout<BlockQ8_0>.size, GGMLType.q8_0.blockBytes)
        XCTAssertEqual(MemoryLayout<BlockQ4_0>.size, GGMLType.q4_0.blockBytes)
    }

    func testQuantizeWithoutImatrixIsByteIdentical() throws {
        let x = try floats("input.f32")
        for type in Self.quantizable {
            let got = try quantize(type, x, rowLength: Self.cols, importance: nil)
            assertSameBlocks(got, try bytes("\(type).bin"), type, "without imatrix")
        }
    }

    func testQuantizeWithImatrixIsByteIdentical() throws {
        let x = try floats("input.f32"), imatrix = try floats("imatrix.f32")
        for type in Self.quantizable where GGMLCodec.usesImportance(type) {
            let got = try quantize(type, x, rowLength: Self.cols, importance: imatrix)
            assertSameBlocks(got, try bytes("\(type)_imat.bin"), type, "with imatrix")
        }
        // Types that ignore the importance matrix give the same bytes with one.
        for type in [GGMLType.q8_0, .tq2_0, .f16] {
            XCTAssertEqual(try quantize(type, x, rowLength: Self.cols, importance: imatrix), try bytes("\(type).bin"), "\(type)")
        }
    }

    func testDequantizeIsFloatIdentical() throws {
        let n = Self.rows * Self.cols
        for type in Self.quantizable {
            let got = dequantize(type, try bytes("\(type).bin"), count: n)
            let expected = try floats("\(type)_deq.f32")
            let bad = (0..<n).filter { got[$0].bitPattern != expected[$0].bitPattern }
            XCTAssertTrue(bad.isEmpty, "\(type): \(bad.count) values differ, first at \(bad.first ?? -1)")
        }
    }

    func testRoundTripErrorIsBounded() throws {
        var rng = TestRNG(11)
        let n = 4 * 1024
        let x = (0..<n).map { _ in rng.float() + rng.float() + rng.float() }
        let energy = (x.map { $0 * $0 }.reduce(0, +) / Float(n)).squareRoot()
        // Relative RMS error bounds, about 1.5x what these types reach on such data.
        let bounds: [GGMLType: Float] = [.f16: 1e-3, .bf16: 5e-3, .q8_0: 0.01, .q8_K: 0.01, .q6_K: 0.02, .q5_0: 0.05, .q5_1: 0.05,
                                         .q5_K: 0.05, .q4_0: 0.1, .q4_1: 0.1, .q4_K: 0.1, .iq4_nl: 0.1, .iq4_xs: 0.1,
                                         .q3_K: 0.2, .q2_K: 0.4, .tq1_0: 0.8, .tq2_0: 0.8]
        for type in Self.quantizable {
            for imatrix in [nil, [Float](repeating: 1, count: 1024)] {
                let q = try quantize(type, x, rowLength: 1024, importance: imatrix)
                let y = dequantize(type, q, count: n)
                let err = (zip(x, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(n)).squareRoot() / energy
                XCTAssertLessThan(err, try XCTUnwrap(bounds[type]), "\(type) imatrix: \(imatrix != nil)")
            }
        }
    }

    /// quantize(dequantize(q)) == q where the scale is recovered exactly from the decoded block (its
    /// extreme value is d times the extreme code) and every decoded value sits on the grid. Not for
    /// all-zero blocks (the sign of a zero scale flips) or f16-subnormal scales (rows 2 and 4).
    func testRequantizingDequantizedValuesIsStable() throws {
        let rows = [0, 1, 3, 5, 6, 7]
        for type in [GGMLType.f16, .bf16, .q8_0, .q4_0, .tq2_0, .tq1_0] {
            let rowBytes = try XCTUnwrap(type.rowBytes(Self.cols))
            let all = try bytes("\(type).bin")
            let q = rows.flatMap { all[$0 * rowBytes..<($0 + 1) * rowBytes] }
            let again = try quantize(type, dequantize(type, q, count: rows.count * Self.cols), rowLength: Self.cols, importance: nil)
            assertSameBlocks(again, q, type, "re-quantized")
        }
    }

    /// Subnormal, huge and mixed-magnitude rows, and all-zero importance: no trap (ggml's results there
    /// are whatever its arithmetic gives; Whittle must just not crash on them).
    func testExtremeInputsDoNotTrap() throws {
        var rows: [[Float]] = []
        rows.append((0..<512).map { Float($0 % 7) * 1e-44 })                          // subnormal values
        rows.append((0..<512).map { $0 % 2 == 0 ? 3e38 : -3e38 })                     // max - min overflows
        rows.append((0..<512).map { $0 % 64 == 0 ? 1e30 : 1e-30 })                    // huge and tiny mixed
        rows.append((0..<512).map { $0 % 32 == 5 ? 1e-41 : 0 })                       // subnormal maxima
        let x = rows.flatMap { $0 }
        for type in Self.quantizable {
            for imatrix in [nil, [Float](repeating: 0, count: 512), [Float](repeating: 1e30, count: 512)] {
                let q = try quantize(type, x, rowLength: 512, importance: imatrix)
                _ = dequantize(type, q, count: x.count)
            }
        }
        var out = [UInt8](repeating: 0, count: 64)
        let bad: [Float] = [.nan] + [Float](repeating: 1, count: 31)
        XCTAssertThrowsError(try bad.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBytes { try GGMLCodec.quantize(.q4_0, xp.baseAddress!, $0.baseAddress!, count: 32) }
        })
    }

    func testBadArgumentsAreTypedErrors() throws {
        let x = [Float](repeating: 1, count: 300)
        var out = [UInt8](repeating: 0, count: 1024)
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBytes { try GGMLCodec.quantize(.q4_K, xp.baseAddress!, $0.baseAddress!, count: 300) }
        })
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBytes { try GGMLCodec.quantize(.q4_0, xp.baseAddress!, $0.baseAddress!, count: 300, rowLength: 32) }
        })
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBytes { try GGMLCodec.quantize(.iq2_xs, xp.baseAddress!, $0.baseAddress!, count: 256) }
        })
    }

    func testShapeFallbackFollowsLlamaQuant() {
        func eff(_ t: GGMLType, _ n: Int) -> GGMLType { GGMLShapeFallback(requested: t, rowLength: n).effective }
        XCTAssertEqual(eff(.q4_K, 576), .q5_0)      // SmolLM2-135M hidden size
        XCTAssertEqual(eff(.q4_K, 384), .q5_0)      // all-MiniLM-L6-v2
        XCTAssertEqual(eff(.q4_K, 512), .q4_K)
        XCTAssertEqual(eff(.q5_K, 576), .q5_1)
        XCTAssertEqual(eff(.q6_K, 576), .q8_0)
        XCTAssertEqual(eff(.q2_K, 576), .q4_0)
        XCTAssertEqual(eff(.q3_K, 576), .q4_0)
        XCTAssertEqual(eff(.iq4_xs, 576), .iq4_nl)
        XCTAssertEqual(eff(.tq1_0, 576), .q4_0)
        XCTAssertEqual(eff(.q4_K, 100), .f16)       // even the fallback does not fit
        XCTAssertEqual(eff(.q8_0, 100), .f16)
        XCTAssertEqual(eff(.q8_0, 96), .q8_0)
        let f = GGMLShapeFallback(requested: .q4_K, rowLength: 576)
        XCTAssertTrue(f.changed)
        XCTAssertTrue(f.reason.contains("576") && f.reason.contains("Q5_0"), f.reason)
        XCTAssertFalse(GGMLShapeFallback(requested: .q4_K, rowLength: 1024).changed)
        XCTAssertTrue(GGMLShapeFallback(requested: .q8_K, rowLength: 576).llamaCppRefuses)
        XCTAssertFalse(GGMLShapeFallback(requested: .q4_K, rowLength: 576).llamaCppRefuses)
        XCTAssertFalse(GGMLShapeFallback(requested: .q8_0, rowLength: 100).llamaCppRefuses)
    }
}
