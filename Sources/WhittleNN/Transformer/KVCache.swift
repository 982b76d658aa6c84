import WhittleKernels
import WhittleTensor

/// Keys and values of the tokens seen so far, per layer, so that decoding a token costs
/// one row per layer rather than a pass over the whole context.
public final class KVCache {
    /// One layer's rows: `width` = kv_heads · head_dim floats per token.
    final class Layer {
        var keys: [Float] = []
        var values: [Float] = []
        let width: Int
        init(width: Int) { self.width = width }
        var count: Int { width == 0 ? 0 : keys.count / width }
    }

    /// The longest context the model accepts.
    public let maxLength: Int
    var layers: [Layer]

    /// An empty cache for `layers` layers of `width` floats per token (k and v each).
    public init(layers: Int, width: Int, maxLength: Int) {
        self.layers = (0..<layers).map { _ in Layer(width: width) }
        self.maxLength = maxLength
    }

    /// Tokens held.
    public var length: Int { layers.first?.count ?? 0 }

    /// Bytes the cache holds now.
    public var bytes: Int { layers.reduce(0) { $0 + 4 * ($1.keys.count + $1.values.count) } }

    /// Forgets every token (the next forward starts at position 0).
    public func reset() { for l in layers { l.keys.removeAll(keepingCapacity: true); l.values.removeAll(keepingCapacity: true) } }

    /// Drops tokens after the first `n` (to re-run from a shared prefix).
    public func truncate(to n: Int) {
        for l in layers where l.count > n {
            l.keys.removeLast((l.count - n) * l.width)
            l.values.removeLast((l.count - n) * l.width)
        }
    }
}

/// Which keys a query at position p may attend to.
public enum AttentionMask: Sendable, Equatable {
    /// Keys at positions ≤ p (decoders).
    case causal
    /// Keys at positions ≤ p and > p - window (Gemma's and Mistral's local layers).
    case slidingWindow(Int)
    /// Every key (encoders).
    case bidirectional

    /// The allowed key positions [lo, hi) for a query at `position` among `total` keys.
    func keyRange(position: Int, total: Int) -> Range<Int> {
        switch self {
        case .bidirectional: return 0..<total
        case .causal: return 0..<min(position + 1, total)
        case .slidingWindow(let w): return max(0, position - w + 1)..<min(position + 1, total)
        }
    }
}

/// Scaled dot-product attention with grouped key/value heads, over pointers (public for tests and plugins).
public enum AttentionCore {
    /// out (n, heads·headDim) = softmax(scale · q·Kᵀ + mask) · V for queries at positions
    /// firstPosition..<firstPosition+n, keys/values (total, kvHeads·headDim), by GEMMs (`BlockAttention`).
    public static func attend(q: UnsafePointer<Float>, n: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              total: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int,
                              scale: Float, mask: AttentionMask, out: UnsafeMutablePointer<Float>) {
        BlockAttention.attend(q: q, n: n, keys: keys, values: values, total: total, firstPosition: firstPosition,
                              heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, mask: mask, out: out)
    }

    /// The same product one query and one key at a time with dot products and axpys: the reference
    /// `BlockAttentionTests` checks the GEMM version against.
    public static func attendQueryByQuery(q: UnsafePointer<Float>, n: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                          total: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int,
                                          scale: Float, mask: AttentionMask, out: UnsafeMutablePointer<Float>) {
        let group = heads / kvHeads
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        // Tasks are (head, block of queries): enough to spread a single-token decode over heads
        // and a long prefill over query blocks.
        let blocks = max(1, min(n, 64))
        KernelThreads.parallelFor(heads * blocks) { task in
            let h = task % heads, b = task / heads
            let lo = n * b / blocks, hi = n * (b + 1) / blocks
            let kvh = h / group
            var scores = [Float](repeating: 0, count: max(total, 1))
            scores.withUnsafeMutableBufferPointer { sbuf in
                guard let s = sbuf.baseAddress else { return }
                for i in lo..<hi {
                    let range = mask.keyRange(position: firstPosition + i, total: total)
                    let qi = q + i * qWidth + h * headDim
                    let o = out + i * qWidth + h * headDim
                    o.update(repeating: 0, count: headDim)
                    if range.isEmpty { continue }
                    for j in range { s[j - range.lowerBound] = scale * VectorMath.dot(qi, keys + j * kvWidth + kvh * headDim, headDim) }
                    VectorMath.softmax(s, range.count)
                    for j in range { VectorMath.axpy(s[j - range.lowerBound], values + j * kvWidth + kvh * headDim, o, headDim) }
                }
            }
        }
    }
}
