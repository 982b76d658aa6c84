import Foundation
import WhittleNN
import XCTest

/// llama-perplexity --kl-divergence's per-token arithmetic against a plain f64 computation of the
/// same quantities: the 16-bit base log-probabilities cost at most a few 1e-5 nats.
final class DivergenceStatsTests: XCTestCase {
    struct LCG {
        var s: UInt64
        mutating func next() -> Float {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(s >> 11) / Double(1 << 53)) * 2 - 1
        }
    }

    func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max() ?? 0)
        let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
        return x.map { Double($0) - lse }
    }

    func testMatchesExactKLTop1AndPerplexity() throws {
        let vocab = 1000, rows = 64
        var g = LCG(s: 7)
        var base = [Float](), model = [Float](), tokens = [Int]()
        for _ in 0..<rows {
            let b = (0..<vocab).map { _ in 4 * g.next() }
            base += b
            model += b.map { $0 + 0.3 * g.next() }
            tokens.append(Int(UInt32.random(in: 0..<UInt32(vocab))))
        }
        let ref = base.withUnsafeBufferPointer { BaseLogProbs(logits: $0.baseAddress!, rows: rows, vocab: vocab) }
        var stats = DivergenceStats()
        var kl = 0.0, nll = 0.0, nllBase = 0.0, same = 0
        for r in 0..<rows {
            let b = Array(base[(r * vocab)..<((r + 1) * vocab)]), m = Array(model[(r * vocab)..<((r + 1) * vocab)])
            model.withUnsafeBufferPointer { stats.add(logits: $0.baseAddress! + r * vocab, base: ref, row: r, token: tokens[r]) }
            let lb = logSoftmax(b), lm = logSoftmax(m)
            // llama.cpp drops base probabilities below e^-16 from the sum: they add < 1e-6 here.
            kl += zip(lb, lm).reduce(0.0) { $0 + ($1.0 > -16 ? exp($1.0) * ($1.0 - $1.1) : 0) }
            nll -= lm[tokens[r]]
            nllBase -= lb[tokens[r]]
            if b.indices.max(by: { b[$0] < b[$1] }) == m.indices.max(by: { m[$0] < m[$1] }) { same += 1 }
        }
        let r = stats.result(chunks: 1)
        XCTAssertEqual(r.tokens, rows)
        XCTAssertEqual(r.kld, kl / Double(rows), accuracy: 5e-5)
        XCTAssertGreaterThan(r.kld, 0.01)
        XCTAssertEqual(r.ppl, exp(nll / Double(rows)), accuracy: 1e-4 * r.ppl)
        XCTAssertEqual(r.pplBase, exp(nllBase / Double(rows)), accuracy: 1e-3 * r.pplBase)
        XCTAssertEqual(r.top1, Double(same) / Double(rows), accuracy: 1.5 / Double(rows))
        XCTAssertEqual(r.logPPLRatio, log(r.ppl / r.pplBase), accuracy: 1e-9)
        XCTAssertEqual(r.kldQuantile(1) ?? -1, Double(stats.kldValues.max() ?? 0), accuracy: 1e-9)
        XCTAssertEqual(r.kldQuantile(0) ?? -1, Double(stats.kldValues.min() ?? 0), accuracy: 1e-9)
        XCTAssertGreaterThan(r.kldError, 0)
        XCTAssertTrue(r.statisticsText().contains("Mean    KLD:"))
    }

    func testIdenticalModelsAgreeCompletely() {
        let vocab = 300, rows = 20
        var g = LCG(s: 3)
        let logits = (0..<(vocab * rows)).map { _ in 6 * g.next() }
        let ref = logits.withUnsafeBufferPointer { BaseLogProbs(logits: $0.baseAddress!, rows: rows, vocab: vocab) }
        var stats = DivergenceStats()
        for r in 0..<rows { logits.withUnsafeBufferPointer { stats.add(logits: $0.baseAddress! + r * vocab, base: ref, row: r, token: r) } }
        let res = stats.result(chunks: 1)
        XCTAssertEqual(res.top1, 1)
        XCTAssertLessThan(abs(res.kld), 1e-5, "only the 16-bit rounding of the stored base log-probabilities")
        XCTAssertEqual(res.pplRatio, 1, accuracy: 1e-4)
    }

    func testPercentileIsLlamaCppsInterpolation() {
        // llama.cpp: p = f·(n−1), linear between the neighbours; the median averages the middle pair.
        let v = DivergenceStats.quantiles([4, 1, 3, 2], [0.5, 0.9, 1, 0])
        for (a, e) in zip(v, [2.5, 3.7, 4, 1]) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        XCTAssertEqual(DivergenceStats.quantiles([5, 1, 3], [0.5]), [3])
    }
}
