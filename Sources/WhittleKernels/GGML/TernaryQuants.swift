/// TQ1_0 and TQ2_0: ternary weights {−1, 0, 1}·d with d = max|x| per 256 (quantize_row_tq*_ref,
/// the same bytes as gguf-py). TQ1_0 packs 5 trits per byte as a base-3 fixed-point fraction.
enum TernaryQuants {
    /// round(x·id) + 1 with C's lroundf (half away from zero): the trit code 0, 1 or 2.
    @inline(__always) static func trit(_ x: Float, _ id: Float) -> Int {
        let r = (x * id).rounded(.toNearestOrAwayFromZero)
        // lroundf of an out-of-range value (a subnormal max makes id infinite) is LONG_MIN on x86-64.
        return (r.isNaN || abs(r) >= 9.2e18 ? Int.min : Int(r)) &+ 1
    }

    @inline(__always) static func scale(_ x: UnsafePointer<Float>) -> (Float, Float) {
        var amax: Float = 0
        for j in 0..<256 { amax = max(amax, abs(x[j])) }
        return (amax, amax != 0 ? 1 / amax : 0)
    }

    /// Base-3 digits to a byte holding the fraction q/243 rounded up (ceiling of q·256/243).
    @inline(__always) static func fraction(_ q: Int) -> UInt8 { UInt8(truncatingIfNeeded: (Int(UInt8(truncatingIfNeeded: q)) * 256 + 242) / 243) }

    static func tq1_0(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, blocks: Int) {
        for i in 0..<blocks {
            var x = xRow + 256 * i
            let y = yRow + 54 * i
            let (d, id) = scale(x)
            y.storeF16(d, at: 52)
            for m in 0..<32 {
                var q = 0
                for n in 0..<5 { q = q &* 3 &+ trit(x[m + n * 32], id) }
                y.storeU8(fraction(q), at: m)
            }
            x += 160
            for m in 0..<16 {
                var q = 0
                for n in 0..<5 { q = q &* 3 &+ trit(x[m + n * 16], id) }
                y.storeU8(fraction(q), at: 32 + m)
            }
            x += 80
            for j in 0..<4 {
                var q = 0
                for m in 0..<4 { q = q &* 3 &+ trit(x[j + m * 4], id) }
                y.storeU8(fraction(q &* 3), at: 48 + j)
            }
        }
    }

    static func tq2_0(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, blocks: Int) {
        for i in 0..<blocks {
            let x = xRow + 256 * i, y = yRow + 66 * i
            let (d, id) = scale(x)
            y.storeF16(d, at: 64)
            for j in stride(from: 0, to: 64, by: 32) {
                for m in 0..<32 {
                    var q = 0
                    for n in 0..<4 { q &+= (trit(x[4 * j + m + n * 32], id) & 3) << (2 * n) }
                    y.storeU8(UInt8(truncatingIfNeeded: q), at: j + m)
                }
            }
        }
    }

    /// The trit (−1, 0, 1) in digit n of a TQ1_0 byte.
    @inline(__always) static func digit(_ byte: UInt8, _ pow3: UInt8) -> Float {
        let q = byte &* pow3
        return Float(Int((UInt16(q) * 3) >> 8) - 1)  // Swift's >> binds tighter than *
    }

    static func dequantizeTQ1_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        let pow3: [UInt8] = [1, 3, 9, 27, 81, 243]
        for i in 0..<blocks {
            let s = src + 54 * i
            var o = y + 256 * i
            let d = s.f16(52)
            for n in 0..<5 { for m in 0..<32 { o.pointee = digit(s.u8(m), pow3[n]) * d; o += 1 } }
            for n in 0..<5 { for m in 0..<16 { o.pointee = digit(s.u8(32 + m), pow3[n]) * d; o += 1 } }
            for n in 0..<4 { for j in 0..<4 { o.pointee = digit(s.u8(48 + j), pow3[n]) * d; o += 1 } }
        }
    }

    static func dequantizeTQ2_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let s = src + 66 * i
            var o = y + 256 * i
            let d = s.f16(64)
            for j in stride(from: 0, to: 64, by: 32) {
                for l in 0..<4 {
                    for m in 0..<32 { o.pointee = Float(Int((s.u8(j + m) >> (2 * l)) & 3) - 1) * d; o += 1 }
                }
            }
        }
    }
}
