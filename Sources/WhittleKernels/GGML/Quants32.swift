/// The 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0. Without an importance matrix the
/// quantizers are gguf-py's (identical to ggml's quantize_row_*_ref, except that gguf-py lets a leading
/// -0.0 set the sign of an all-zero block's scale); with one they are ggml's quantize_row_*_impl,
/// which search the scale (make_qx_quants / make_qkx3_quants) weighted by qw·sqrt(σ² + x²).
enum Quants32 {
    // MARK: without importance (gguf-py)

    /// Q4_1 block: d = (max − min)/15, m = min, q = trunc((x − min)/d + 0.5) capped at 15.
    static func q4_1Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let (mn, mx) = minMax(x)
        let d = (mx - mn) / 15
        let id: Float = d != 0 ? 1 / d : 0
        y.storeF16(d, at: 0)
        y.storeF16(mn, at: 2)
        for j in 0..<16 {
            let x0 = (x[j] - mn) * id, x1 = (x[j + 16] - mn) * id
            let q0 = min(15, UInt8(truncatingIfNeeded: GGMLQuantSearch.truncate(x0 + 0.5)))
            let q1 = min(15, UInt8(truncatingIfNeeded: GGMLQuantSearch.truncate(x1 + 0.5)))
            y.storeU8(q0 | q1 << 4, at: 4 + j)
        }
    }

    /// Q5_0 block: d = m/−16 (m the first value of largest magnitude), q = trunc(x/d + 16.5) capped at 31.
    static func q5_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ q: UnsafeMutablePointer<UInt8>) {
        var amax = abs(x[0]), m = x[0]
        for j in 1..<32 where abs(x[j]) > amax { amax = abs(x[j]); m = x[j] }
        let d = m / -16
        let id: Float = d != 0 ? 1 / d : 0
        y.storeF16(d, at: 0)
        for j in 0..<32 { q[j] = min(31, UInt8(truncatingIfNeeded: GGMLQuantSearch.truncate(x[j] * id + 16.5))) }
        pack5(q, y, qh: 2, qs: 6)
    }

    /// Q5_1 block: d = (max − min)/31, m = min, q = trunc((x − min)/d + 0.5) capped at 31.
    static func q5_1Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ q: UnsafeMutablePointer<UInt8>) {
        let (mn, mx) = minMax(x)
        let d = (mx - mn) / 31
        let id: Float = d != 0 ? 1 / d : 0
        y.storeF16(d, at: 0)
        y.storeF16(mn, at: 2)
        for j in 0..<32 { q[j] = min(31, UInt8(truncatingIfNeeded: GGMLQuantSearch.truncate((x[j] - mn) * id + 0.5))) }
        pack5(q, y, qh: 4, qs: 8)
    }

    /// ggml's min/max scan (the first of equal values wins).
    @inline(__always) static func minMax(_ x: UnsafePointer<Float>) -> (Float, Float) {
        var mn = Float.greatestFiniteMagnitude, mx = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < mn { mn = x[j] }
            if x[j] > mx { mx = x[j] }
        }
        return (mn, mx)
    }

    /// 5-bit codes: low nibbles as Q4_0 at `qs`, the 5th bits as a little-endian u32 at `qh`.
    @inline(__always) static func pack5(_ q: UnsafePointer<UInt8>, _ y: UnsafeMutableRawPointer, qh: Int, qs: Int) {
        var h: UInt32 = 0
        for j in 0..<16 {
            y.storeU8((q[j] & 0x0F) | (q[j + 16] & 0x0F) << 4, at: qs + j)
            h |= UInt32(q[j] >> 4 & 1) << j
            h |= UInt32(q[j + 16] >> 4 & 1) << (j + 16)
        }
        y.storeU32(h, at: qh)
    }

    // MARK: with importance (ggml's quantize_row_*_impl)

    /// σ² of a row: mean of x² (ggml's 32-block impls use the whole row).
    static func rowSigma2(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for j in 0..<n { s += x[j] * x[j] }
        return s / Float(n)
    }

    @inline(__always) static func weights(_ x: UnsafePointer<Float>, _ qw: UnsafePointer<Float>, _ sigma2: Float,
                                          _ w: UnsafeMutablePointer<Float>) {
        for j in 0..<32 { w[j] = qw[j] * (sigma2 + x[j] * x[j]).squareRoot() }
    }

    /// quantize_row_q4_0_impl / q5_0_impl: make_qx_quants(32, nmax, rmse 1, weights) per block.
    static func symmetricRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>,
                             fiveBit: Bool) {
        let sigma2 = rowSigma2(x, n)
        let w = UnsafeMutablePointer<Float>.allocate(capacity: 32), L = UnsafeMutablePointer<Int8>.allocate(capacity: 32)
        defer { w.deallocate(); L.deallocate() }
        let uL = UnsafeMutableRawPointer(L).assumingMemoryBound(to: UInt8.self)
        let bytes = fiveBit ? 22 : 18
        for ib in 0..<n / 32 {
            let xb = x + 32 * ib, yb = y + bytes * ib
            weights(xb, qw + 32 * ib, sigma2, w)
            let d = GGMLQuantSearch.makeQx(32, fiveBit ? 16 : 8, xb, L, 1, w)
            yb.storeF16(d, at: 0)
            if fiveBit {
                pack5(uL, yb, qh: 2, qs: 6)
            } else {
                for j in 0..<16 { yb.storeU8(UInt8(bitPattern: L[j]) | UInt8(bitPattern: L[j + 16]) << 4, at: 2 + j) }
            }
        }
    }

    /// quantize_row_q4_1_impl / q5_1_impl: make_qkx3_quants(32, nmax, weights, −0.9, 0.05, 36) per block.
    static func affineRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>,
                          fiveBit: Bool) {
        let sigma2 = rowSigma2(x, n)
        let w = UnsafeMutablePointer<Float>.allocate(capacity: 32)
        let L = UnsafeMutablePointer<UInt8>.allocate(capacity: 32), Laux = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { w.deallocate(); L.deallocate(); Laux.deallocate() }
        let bytes = fiveBit ? 24 : 20
        for ib in 0..<n / 32 {
            let xb = x + 32 * ib, yb = y + bytes * ib
            weights(xb, qw + 32 * ib, sigma2, w)
            var mn: Float = 0
            let d = GGMLQuantSearch.makeQkx(32, fiveBit ? 31 : 15, xb, w, L, &mn, Laux,
                                            rmin: -0.9, rdelta: 0.05, nstep: 36, useMad: false, qkx3: true)
            yb.storeF16(d, at: 0)
            yb.storeF16(-mn, at: 2)
            if fiveBit {
                pack5(L, yb, qh: 4, qs: 8)
            } else {
                for j in 0..<16 { yb.storeU8(L[j] | L[j + 16] << 4, at: 4 + j) }
            }
        }
    }

    // MARK: dequantize (gguf-py's / ggml's floats)

    static func dequantizeQ4_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for b in 0..<blocks {
            let s = src + 20 * b, o = y + 32 * b
            let d = s.f16(0), m = s.f16(2)
            for j in 0..<16 {
                let q = s.u8(4 + j)
                o[j] = d * Float(q & 15) + m
                o[j + 16] = d * Float(q >> 4) + m
            }
        }
    }

    static func dequantizeQ5(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int, affine: Bool) {
        let bytes = affine ? 24 : 22, qhAt = affine ? 4 : 2
        for b in 0..<blocks {
            let s = src + bytes * b, o = y + 32 * b
            let d = s.f16(0), m: Float = affine ? s.f16(2) : 0
            let qh = s.u32(qhAt)
            for j in 0..<16 {
                let q = s.u8(qhAt + 4 + j)
                let q0 = Int(q & 15) | Int((qh >> j) & 1) << 4
                let q1 = Int(q >> 4) | Int((qh >> (j + 16)) & 1) << 4
                if affine {
                    o[j] = d * Float(q0) + m
                    o[j + 16] = d * Float(q1) + m
                } else {
                    o[j] = d * Float(q0 - 16)
                    o[j + 16] = d * Float(q1 - 16)
                }
            }
        }
    }
}
