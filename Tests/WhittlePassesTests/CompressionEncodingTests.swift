import WhittleKernels
import WhittleNN
import WhittleTensor
import XCTest

/// Quantize/dequantize error bounds of the stored encodings.
final class CompressionEncodingTests: XCTestCase {
    func testInt8PerChannelSymmetricErrorIsAtMostHalfAStep() throws {
        let w = try QuantFixtures.randn([7, 45], seed: 1)
        let e = try Int8Encoding.quantize(w, perChannel: true, symmetric: true)
        let d = try e.decode()
        XCTAssertEqual(e.byteCount, 7 * 45 + 7 * 4)
        for r in 0..<7 {
            let amax = (0..<45).map { abs(w.floats[r * 45 + $0]) }.max()!
            let step = amax / 127
            XCTAssertEqual(e.scales.floats[r], step, accuracy: step * 1e-6)
            for j in 0..<45 { XCTAssertLessThanOrEqual(abs(w.floats[r * 45 + j] - d.floats[r * 45 + j]), step / 2 * 1.0001) }
        }
    }

    func testInt8AffineUsesTheWholeRangeAndKeepsZeroExact() throws {
        // Rows in [0.5, 3]: an affine code spends its 256 levels on the row's own span (0 widened in).
        let w = try Tensor(shape: [2, 64], values: (0..<128).map { 0.5 + 2.5 * Float($0 % 64) / 63 + ($0 >= 64 ? 1 : 0) })
        let e = try Int8Encoding.quantize(w, perChannel: true, symmetric: false)
        let d = try e.decode()
        XCTAssertNotNil(e.zeroPoints)
        for r in 0..<2 {
            let hi: Float = r == 0 ? 3 : 4
            let step = hi / 255
            XCTAssertEqual(e.scales.floats[r], step, accuracy: step * 1e-5)
            for j in 0..<64 { XCTAssertLessThanOrEqual(abs(w.floats[r * 64 + j] - d.floats[r * 64 + j]), step / 2 * 1.001) }
        }
        let z = try Int8Encoding.quantize(try Tensor(shape: [1, 3], values: [-1, 0, 2]), perChannel: false, symmetric: false)
        let zd = try z.decode()
        XCTAssertEqual(zd.toArray()[1], 0)
    }

    func testPerChannelBeatsPerTensorOnRowsOfDifferentScale() throws {
        let w = try QuantFixtures.randn([2, 64], seed: 2)
        for j in 0..<64 { w.floats[j] *= 100 }  // row 0 is 100x larger
        let pc = try Int8Encoding.quantize(w, perChannel: true, symmetric: true).decode()
        let pt = try Int8Encoding.quantize(w, perChannel: false, symmetric: true)
        XCTAssertEqual(pt.scales.shape, [1])
        XCTAssertEqual(pt.byteCount, 128 + 4)
        let ptd = try pt.decode()
        func rowError(_ d: Tensor, _ r: Int) -> Float { (0..<64).map { abs(w.floats[r * 64 + $0] - d.floats[r * 64 + $0]) }.max()! }
        XCTAssertLessThan(rowError(pc, 1) * 20, rowError(ptd, 1))
        XCTAssertEqual(rowError(pc, 0), rowError(ptd, 0), accuracy: 1e-6)
    }

    func testQ8_0AndQ4_0ErrorBoundsPerBlock() throws {
        let w = try QuantFixtures.randn([3, 96], seed: 3)
        let q8 = try BlockEncoding.quantize(w, kind: .q8_0), q4 = try BlockEncoding.quantize(w, kind: .q4_0)
        XCTAssertEqual(q8.byteCount, 3 * 3 * 34)
        XCTAssertEqual(q4.byteCount, 3 * 3 * 18)
        let d8 = try q8.decode(), d4 = try q4.decode()
        for b in 0..<9 {
            let block = (0..<32).map { w.floats[b * 32 + $0] }
            let amax = block.map(abs).max()!
            for j in 0..<32 {
                let i = b * 32 + j
                // Q8_0: half a step of amax/127, plus the f16 rounding of the scale.
                XCTAssertLessThanOrEqual(abs(w.floats[i] - d8.floats[i]), amax / 127 * 0.5 + amax * 1e-3)
                // Q4_0: one step of amax/8 at most (the side opposite the extreme value clips at code 15).
                XCTAssertLessThanOrEqual(abs(w.floats[i] - d4.floats[i]), amax / 8 * 1.002)
            }
        }
    }

    func testRowsArePaddedToWholeBlocksAndGroups() throws {
        let w = try QuantFixtures.randn([4, 1, 5, 5], seed: 4)  // rows of 25
        let q = try BlockEncoding.quantize(w, kind: .q4_0)
        XCTAssertEqual(q.paddedCols, 32)
        XCTAssertEqual(q.blocks.shape, [4, 18])
        let i4 = try Int4Encoding.quantize(w, group: 64)
        XCTAssertEqual(i4.paddedCols, 64)
        XCTAssertEqual(i4.codes.shape, [4, 32])
        XCTAssertEqual(i4.scales.shape, [4, 1])
        for d in [try q.decode(), try i4.decode()] {
            XCTAssertEqual(d.shape, [4, 1, 5, 5])
            for i in 0..<100 { XCTAssertLessThanOrEqual(abs(d.floats[i] - w.floats[i]), 0.35) }
        }
    }

    func testInt4GroupErrorBoundsAndGroupSizes() throws {
        let w = try QuantFixtures.randn([2, 256], seed: 5)
        for g in [32, 64, 128] {
            let e = try Int4Encoding.quantize(w, group: g)
            XCTAssertEqual(e.byteCount, 2 * 256 / 2 + 2 * (256 / g) * 2)
            let d = try e.decode()
            for grp in 0..<(512 / g) {
                let amax = (0..<g).map { abs(w.floats[grp * g + $0]) }.max()!
                for j in 0..<g { XCTAssertLessThanOrEqual(abs(w.floats[grp * g + j] - d.floats[grp * g + j]), amax / 8 * 1.002) }
            }
        }
        XCTAssertThrowsError(try Int4Encoding.quantize(w, group: 48)) { e in
            XCTAssertEqual(String(describing: e), "int4: group must be 32, 64 or 128, got 48")
        }
    }

    func testInt4Group32MatchesQ4_0Values() throws {
        let w = try QuantFixtures.randn([3, 64], seed: 6)
        XCTAssertEqual(try Int4Encoding.quantize(w, group: 32).decode().toArray(), try BlockEncoding.quantize(w, kind: .q4_0).decode().toArray())
    }

    func testEncodedParameterIsFrozenAndDecodedUntilTheEncodingIsRemoved() throws {
        let p = try Parameter(try QuantFixtures.randn([4, 32], seed: 7))
        let e = try BlockEncoding.quantize(p.value, kind: .q8_0)
        try p.setEncoding(e)
        XCTAssertFalse(p.trainable)
        XCTAssertEqual(p.value.toArray(), try e.decode().toArray())
        try p.setEncoding(nil)
        XCTAssertTrue(p.trainable)
        XCTAssertNil(p.encoding)
        XCTAssertThrowsError(try p.setEncoding(try BlockEncoding.quantize(try QuantFixtures.randn([2, 32], seed: 1), kind: .q8_0))) { err in
            XCTAssertEqual(String(describing: err), "q8_0 encoding of shape 2x32 does not match parameter shape 4x32")
        }
    }
}
