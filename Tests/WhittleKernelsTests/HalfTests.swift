import XCTest
import WhittleKernels

/// f16 bulk conversion and bf16 rounding (ties to even, as torch's `.to(torch.bfloat16)`).
final class HalfTests: XCTestCase {
    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(BFloat16.bits(1.0), 0x3F80)
        XCTAssertEqual(BFloat16.bits(1 + 0x1p-8), 0x3F80)          // halfway, even neighbour below
        XCTAssertEqual(BFloat16.bits(1 + 3 * 0x1p-8), 0x3F82)      // halfway, even neighbour above
        XCTAssertEqual(BFloat16.bits(1 + 0x1p-8 + 0x1p-20), 0x3F81) // just past halfway
        XCTAssertEqual(BFloat16.bits(-2.5), 0xC020)
        XCTAssertEqual(BFloat16.bits(.infinity), 0x7F80)
        XCTAssertTrue(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        XCTAssertEqual(BFloat16.bits(Float(bitPattern: 0x7F7F_FFFF)), 0x7F80)  // rounds up to infinity
        for v: Float in [0, -0.0, 1, -3.5, 1e-30, 65504] {
            let b = BFloat16.bits(v)
            XCTAssertEqual(BFloat16.bits(BFloat16.float(b)), b, "round trip \(v)")
        }
    }

    func testHalfBulkMatchesScalar() {
        var rng = TestRNG(61)
        let x = rng.floats(1000).map { $0 * 70000 }
        var h = [UInt16](repeating: 0, count: x.count), back = [Float](repeating: 0, count: x.count)
        Half.encode(x, &h, count: x.count)
        Half.decode(h, &back, count: x.count)
        for i in 0..<x.count {
            XCTAssertEqual(h[i], Half.bits(x[i]))
            XCTAssertEqual(back[i].bitPattern, Half.float(h[i]).bitPattern)
        }
        XCTAssertEqual(Half.bits(70000), 0x7C00)   // beyond the f16 range: infinity, as numpy
    }

    /// The bit-arithmetic conversions agree with Float16 (every f16 pattern, and random and
    /// boundary f32 values: ties, subnormals, the overflow threshold).
    func testHalfConversionsMatchFloat16() {
        for b in 0...UInt16.max {
            let want = Float(Float16(bitPattern: b)), got = Half.float(b)
            if want.isNaN { XCTAssertTrue(got.isNaN, "\(b)") } else { XCTAssertEqual(got.bitPattern, want.bitPattern, "\(b)") }
        }
        var rng = TestRNG(62)
        var values: [Float] = [0, -0.0, 65504, 65519.99, 65520, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-14, 0x1.ffcp-15, .infinity, -.infinity]
        for _ in 0..<200_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for _ in 0..<100_000 { values.append(Float(bitPattern: 0x3300_0000 + UInt32(rng.next() % 0x1500_0000))) }  // subnormal-to-normal range
        for h in stride(from: 0, to: 0x7C00, by: 7) {  // exact halfway points between neighbouring f16 values
            let lo = Float(Float16(bitPattern: UInt16(h))), hi = Float(Float16(bitPattern: UInt16(h + 1)))
            values.append((lo + hi) / 2)
        }
        for x in values {
            let want = Float16(x).bitPattern, got = Half.bits(x)
            if x.isNaN { XCTAssertTrue(Half.float(got).isNaN) } else { XCTAssertEqual(got, want, "\(x)") }
        }
    }
}
