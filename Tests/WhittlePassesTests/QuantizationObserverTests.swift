import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// Calibration observers on distributions whose answer is known.
final class QuantizationObserverTests: XCTestCase {
    private func range(_ v: [Float], _ o: RangeObserver) -> (low: Float, high: Float) { v.withUnsafeBufferPointer { o.range($0) } }

    func testMinMaxTakesTheExtremesWidenedToZero() {
        let v: [Float] = [0.5, 2, 1.25, 3]
        XCTAssertTrue(range(v, RangeObserver(.minmax, symmetric: false)) == (0, 3))
        XCTAssertTrue(range([-1, 2, -4], RangeObserver(.minmax, symmetric: true)) == (-4, 4))
        XCTAssertTrue(range([-1, 2, -4], RangeObserver(.minmax, symmetric: false)) == (-4, 2))
    }

    func testPercentileClipsOutliers() {
        // 0, 1, ..., 10000 plus one outlier at 1e6: the 99th percentile ignores the outlier.
        var v = (0...10_000).map(Float.init)
        v.append(1_000_000)
        let r = range(v, RangeObserver(.percentile, percentile: 99, symmetric: false))
        XCTAssertEqual(r.low, 0)
        XCTAssertEqual(r.high, 0.99 * 10_001, accuracy: 1)
        let s = range(v.map { -$0 }, RangeObserver(.percentile, percentile: 99, symmetric: true))
        XCTAssertEqual(s.high, 0.99 * 10_001, accuracy: 1)
        XCTAssertEqual(s.low, -s.high)
    }

    func testMSEClipsAHeavyTailAndLowersTheError() throws {
        // Gaussian values with one rare outlier: minmax spends its levels on the empty tail.
        let t = try QuantFixtures.randn([200_000], seed: 1)
        var v = t.toArray()
        v[0] = 12
        let mse = RangeObserver(.mse, symmetric: true), mm = RangeObserver(.minmax, symmetric: true)
        let r = range(v, mse), m = range(v, mm)
        XCTAssertLessThan(r.high, m.high)
        let errMSE = v.withUnsafeBufferPointer { mse.quantizationMSE($0, low: r.low, high: r.high) }
        let errMM = v.withUnsafeBufferPointer { mse.quantizationMSE($0, low: m.low, high: m.high) }
        XCTAssertLessThan(errMSE, errMM * 0.9)
        // On a uniform distribution nothing is gained by clipping: MSE keeps (nearly) the full range.
        let u = (0..<10_001).map { Float($0) / 10_000 * 2 - 1 }
        XCTAssertGreaterThan(range(u, mse).high, 0.97)
    }
}

private func == (a: (low: Float, high: Float), b: (Float, Float)) -> Bool { a.low == b.0 && a.high == b.1 }
