import XCTest
import WhittleNN

/// The GEMM-based attention for many queries against the query-by-query loop, on the shapes that
/// matter: more queries than one block, grouped key/value heads, head_dim 64, prompts that start after
/// cached tokens, and every mask.
final class BlockAttentionTests: XCTestCase {
    struct Shape { let n: Int, first: Int, heads: Int, kvHeads: Int, headDim: Int, mask: AttentionMask }

    func compare(_ s: Shape, seed: UInt64) {
        var rng = SplitMix(seed)
        let total = s.first + s.n
        let q = (0..<(s.n * s.heads * s.headDim)).map { _ in rng.uniform() * 2 - 1 }
        let k = (0..<(total * s.kvHeads * s.headDim)).map { _ in rng.uniform() * 2 - 1 }
        let v = (0..<(total * s.kvHeads * s.headDim)).map { _ in rng.uniform() * 2 - 1 }
        var got = [Float](repeating: .nan, count: q.count), want = [Float](repeating: .nan, count: q.count)
        let scale = 1 / Float(s.headDim).squareRoot() * 3  // sharper than 1/sqrt(d): softmax errors show
        BlockAttention.attend(q: q, n: s.n, keys: k, values: v, total: total, firstPosition: s.first, heads: s.heads,
                              kvHeads: s.kvHeads, headDim: s.headDim, scale: scale, mask: s.mask, out: &got)
        AttentionCore.attendQueryByQuery(q: q, n: s.n, keys: k, values: v, total: total, firstPosition: s.first, heads: s.heads,
                                         kvHeads: s.kvHeads, headDim: s.headDim, scale: scale, mask: s.mask, out: &want)
        var worst: Float = 0
        for i in 0..<got.count { worst = max(worst, abs(got[i] - want[i])) }
        XCTAssertLessThan(worst, 2e-5, "\(s)")
    }

    func testMatchesTheQueryLoop() {
        let shapes = [
            Shape(n: 200, first: 0, heads: 9, kvHeads: 3, headDim: 64, mask: .causal),      // SmolLM2's heads
            Shape(n: 130, first: 37, heads: 4, kvHeads: 1, headDim: 64, mask: .causal),     // after cached tokens
            Shape(n: 150, first: 5, heads: 4, kvHeads: 2, headDim: 32, mask: .slidingWindow(40)),
            Shape(n: 65, first: 0, heads: 2, kvHeads: 2, headDim: 24, mask: .bidirectional),
            Shape(n: 8, first: 3, heads: 3, kvHeads: 1, headDim: 7, mask: .causal),          // odd head size, one block
            Shape(n: 70, first: 0, heads: 2, kvHeads: 1, headDim: 16, mask: .slidingWindow(1)),
        ]
        for (i, s) in shapes.enumerated() { compare(s, seed: UInt64(i + 1)) }
    }

    /// A prompt in one call and the same tokens one call each (each seeing the keys so far, as a
    /// decode does) give the same bits, also past the GEMM's depth block (256 keys) and with sliding
    /// windows whose start is not on a block boundary.
    func testOneBatchEqualsOneTokenAtATime() {
        let shapes = [
            Shape(n: 300, first: 0, heads: 9, kvHeads: 3, headDim: 64, mask: .causal),
            Shape(n: 40, first: 250, heads: 4, kvHeads: 2, headDim: 64, mask: .causal),
            Shape(n: 560, first: 0, heads: 2, kvHeads: 1, headDim: 32, mask: .slidingWindow(300)),
            Shape(n: 20, first: 3, heads: 3, kvHeads: 1, headDim: 7, mask: .slidingWindow(5)),
        ]
        for (i, s) in shapes.enumerated() {
            var rng = SplitMix(UInt64(100 + i))
            let total = s.first + s.n, qw = s.heads * s.headDim
            let q = (0..<(s.n * qw)).map { _ in rng.uniform() * 2 - 1 }
            let k = (0..<(total * s.kvHeads * s.headDim)).map { _ in rng.uniform() * 2 - 1 }
            let v = (0..<(total * s.kvHeads * s.headDim)).map { _ in rng.uniform() * 2 - 1 }
            var batch = [Float](repeating: .nan, count: q.count), single = [Float](repeating: .nan, count: q.count)
            AttentionCore.attend(q: q, n: s.n, keys: k, values: v, total: total, firstPosition: s.first, heads: s.heads,
                                 kvHeads: s.kvHeads, headDim: s.headDim, scale: 0.4, mask: s.mask, out: &batch)
            q.withUnsafeBufferPointer { qp in
                single.withUnsafeMutableBufferPointer { op in
                    for t in 0..<s.n {
                        AttentionCore.attend(q: qp.baseAddress! + t * qw, n: 1, keys: k, values: v, total: s.first + t + 1,
                                             firstPosition: s.first + t, heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim,
                                             scale: 0.4, mask: s.mask, out: op.baseAddress! + t * qw)
                    }
                }
            }
            XCTAssertEqual(batch, single, "\(s)")
        }
    }

    /// Every output row is a convex combination of value rows the mask allows: with all values equal
    /// to one constant row, every output is that row, whatever the scores.
    func testRowsAreConvexCombinations() {
        let heads = 2, kv = 1, d = 16, n = 100
        let q = (0..<(n * heads * d)).map { Float($0 % 13) - 6 }
        let k = (0..<(n * kv * d)).map { Float($0 % 7) - 3 }
        let v = (0..<(n * kv * d)).map { Float($0 % d) }
        var out = [Float](repeating: .nan, count: q.count)
        BlockAttention.attend(q: q, n: n, keys: k, values: v, total: n, firstPosition: 0, heads: heads, kvHeads: kv,
                              headDim: d, scale: 0.5, mask: .causal, out: &out)
        for i in 0..<out.count { XCTAssertEqual(out[i], Float(i % d), accuracy: 1e-4) }
    }
}

/// A small deterministic generator for the test data.
private struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
