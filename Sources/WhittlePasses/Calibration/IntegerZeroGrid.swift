import WhittleKernels

/// `q4_1_zp`: GPTQ's asymmetric 4-bit quantizer (AutoGPTQ, compressed-tensors' minmax observer):
/// per block of 32, the range widened to include 0, scale d = (max − min)/15 and an integer zero
/// point z = round(−min/d) in 0...15, values d·(q − z) for q in 0...15. It is stored as ggml Q4_1
/// (d, m = −d·z, nibbles), so every Q4_1 kernel, GGUF file and llama.cpp runs it unchanged, and
/// compressed-tensors holds it exactly as `pack-quantized` asymmetric int4 (scale d, zero point z).
///
/// d keeps 7 significant bits (not f16's 11): then d·z (z has 4 bits) is exact in f16, so the stored
/// m is exactly −d·z and Q4_1's d·q + m equals compressed-tensors' scale·(q − z) bit for bit (d·q + m
/// is then exact in f32, fused multiply-add or not). The cost is a step up to 2⁻⁸ (0.4%) off (max − min)/15.
public struct IntegerZeroGrid: QuantGrid {
    public let name = "q4_1_zp"
    public let storedAs = "q4_1"
    public let blockSize = 32
    public let blockBytes = 20
    /// Q4_1's rounding and layout (value d·q + m as ggml's dequantizer computes it).
    private let q4_1 = OffsetBlockGrid.q4_1

    public init() {}

    public func fit(_ w: UnsafePointer<Float>) -> GridParams {
        var lo: Float = 0, hi: Float = 0
        for j in 0..<32 where w[j].isFinite { lo = min(lo, w[j]); hi = max(hi, w[j]) }
        let dBits = Self.scaleBits((hi - lo) / 15)
        let d = Half.float(dBits)
        guard d > 0 else { return GridParams() }
        return GridParams(dBits: dBits, mBits: Self.minimumBits(d: d, zero: nearest(-lo / d, 0, 15)))
    }

    public func round(_ v: Float, _ p: GridParams, element j: Int) -> (code: Int32, value: Float) {
        q4_1.round(v, p, element: j)
    }

    public func encode(_ p: GridParams, codes: UnsafePointer<Int32>, into out: UnsafeMutableRawPointer) {
        q4_1.encode(p, codes: codes, into: out)
    }

    /// f16 bits of `d` rounded to 7 significant bits (ties to even), at most 65024 (= 127·2⁹).
    static func scaleBits(_ d: Float) -> UInt16 {
        guard d.isFinite, d > 0 else { return 0 }
        let quantum = Float(sign: .plus, exponent: d.exponent - 6, significand: 1)
        // Below f16's normal range the f16 rounding lands on k·2⁻²⁴ with k of at most 7 significant bits too.
        return Half.bits(min(65024, (d / quantum).rounded(.toNearestOrEven) * quantum))
    }

    /// f16 bits of m = −d·z (+0 for z = 0), exact when d has 7 significant bits.
    static func minimumBits(d: Float, zero z: Int32) -> UInt16 {
        z == 0 ? 0 : Half.bits(-d * Float(z))
    }
}
