import Foundation
import WhittleKernels

/// Test data for the ggml block kernels: random blocks with valid f16 scales, activations built
/// directly as Q8 blocks, and an independent f64 decoder of every block type (ggml's
/// dequantize_row_* from ggml-quants.c, written again here so the kernels are not checked against themselves).
enum GGMLTestBlocks {
    /// The weight types with block dot-product kernels.
    static let blockTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_nl, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs]
    static let iq4Values: [Double] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// Byte offsets of each block type's f16 scale fields (d first, then m / dmin when present).
    static func halfFields(_ t: GGMLType) -> [Int] {
        switch t {
        case .q4_0, .q5_0, .q8_0, .iq4_nl, .iq4_xs: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        default: return []
        }
    }

    static func putHalf(_ bytes: inout [UInt8], _ at: Int, _ v: Float) {
        let h = Half.bits(v)
        bytes[at] = UInt8(h & 0xFF); bytes[at + 1] = UInt8(h >> 8)
    }

    static func half(_ b: [UInt8], _ at: Int) -> Double { Double(Half.float(UInt16(b[at]) | UInt16(b[at + 1]) << 8)) }

    /// `rows` rows of k elements of random blocks. exact: every f16 scale is 1 (the min of Q4_1/Q5_1
    /// is 2) so dot products are integers; otherwise scales are random in a realistic range.
    static func weights(_ t: GGMLType, rows: Int, k: Int, exact: Bool, rng: inout TestRNG) -> [UInt8] {
        let blocks = rows * k / t.blockSize, size = t.blockBytes
        var b = (0..<blocks * size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        if t == .q8_0 {
            // ggml's quantizer never writes -128 here; the kernels still take it (|w| = 128 fits the u8 side).
            for i in stride(from: 2, to: b.count, by: size) where b[i] == 0x80 { b[i] = 0x81 }
        }
        for blk in 0..<blocks {
            for (j, off) in halfFields(t).enumerated() {
                let v: Float = exact ? (j == 0 ? 1 : 2) : (j == 0 ? 0.002 + abs(rng.float()) * 0.02 : rng.float() * 0.05)
                putHalf(&b, blk * size + off, v)
            }
        }
        return b
    }

    /// Activation row already quantized, with integer codes in [-limit, limit] and scale 1.
    static func exactActivations(for t: GGMLType, k: Int, limit: Int, rng: inout TestRNG) -> [UInt8] {
        let act = GGMLMatmul.activationType(for: t)!
        let q = (0..<k).map { _ in Int8(rng.int(-limit...limit)) }
        var out = [UInt8]()
        switch act {
        case .q8_0, .q8_1:
            for b in 0..<k / 32 {
                var blk = [UInt8](repeating: 0, count: act.blockBytes)
                putHalf(&blk, 0, 1)
                let codes = q[b * 32..<(b + 1) * 32]
                if act == .q8_1 { putHalf(&blk, 2, Float(codes.reduce(0) { $0 + Int($1) })) }
                for (j, v) in codes.enumerated() { blk[act.blockBytes - 32 + j] = UInt8(bitPattern: v) }
                out += blk
            }
        default: // Q8_K: f32 d, 256 codes, 16 i16 sums
            for b in 0..<k / 256 {
                out += withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Array($0) }
                let codes = q[b * 256..<(b + 1) * 256]
                out += codes.map { UInt8(bitPattern: $0) }
                for g in 0..<16 {
                    let s = Int16(codes.dropFirst(g * 16).prefix(16).reduce(0) { $0 + Int($1) })
                    out += withUnsafeBytes(of: s.littleEndian) { Array($0) }
                }
            }
        }
        return out
    }

    /// The f64 value of every element of one row.
    static func decode(_ t: GGMLType, _ b: [UInt8], k: Int) -> [Double] {
        var y = [Double](repeating: 0, count: k)
        let size = t.blockBytes
        for blk in 0..<k / t.blockSize {
            let o = blk * size, base = blk * t.blockSize
            func u8(_ i: Int) -> Int { Int(b[o + i]) }
            switch t {
            case .q4_0, .q4_1, .iq4_nl:
                let d = half(b, o), m = t == .q4_1 ? half(b, o + 2) : 0, qs = t == .q4_1 ? 4 : 2
                for j in 0..<16 {
                    let lo = u8(qs + j) & 15, hi = u8(qs + j) >> 4
                    if t == .iq4_nl { y[base + j] = d * iq4Values[lo]; y[base + j + 16] = d * iq4Values[hi] }
                    else if t == .q4_0 { y[base + j] = d * Double(lo - 8); y[base + j + 16] = d * Double(hi - 8) }
                    else { y[base + j] = d * Double(lo) + m; y[base + j + 16] = d * Double(hi) + m }
                }
            case .q5_0, .q5_1:
                let one = t == .q5_1
                let d = half(b, o), m = one ? half(b, o + 2) : 0, qhAt = one ? 4 : 2, qs = qhAt + 4
                let qh = UInt32(u8(qhAt)) | UInt32(u8(qhAt + 1)) << 8 | UInt32(u8(qhAt + 2)) << 16 | UInt32(u8(qhAt + 3)) << 24
                for j in 0..<16 {
                    let h0 = Int((qh >> j) & 1) << 4, h1 = Int((qh >> (j + 16)) & 1) << 4
                    let x0 = (u8(qs + j) & 15) | h0, x1 = (u8(qs + j) >> 4) | h1
                    y[base + j] = one ? d * Double(x0) + m : d * Double(x0 - 16)
                    y[base + j + 16] = one ? d * Double(x1) + m : d * Double(x1 - 16)
                }
            case .q8_0:
                let d = half(b, o)
                for j in 0..<32 { y[base + j] = d * Double(Int8(bitPattern: b[o + 2 + j])) }
            case .q2_K:
                let d = half(b, o + 80), dmin = half(b, o + 82)
                var out = base, isc = 0
                for n in 0..<2 {
                    var shift = 0
                    for _ in 0..<4 {
                        for half16 in 0..<2 {
                            let sc = u8(isc); isc += 1
                            for l in 0..<16 {
                                let q = (u8(16 + n * 32 + half16 * 16 + l) >> shift) & 3
                                y[out] = d * Double(sc & 15) * Double(q) - dmin * Double(sc >> 4); out += 1
                            }
                        }
                        shift += 2
                    }
                }
            case .q3_K:
                let d = half(b, o + 108)
                let sc = q3Scales(Array(b[(o + 96)..<(o + 108)]))
                var out = base, isc = 0, m = 1
                for n in 0..<2 {
                    var shift = 0
                    for _ in 0..<4 {
                        for half16 in 0..<2 {
                            let dl = d * Double(sc[isc] - 32); isc += 1
                            for l in 0..<16 {
                                let idx = half16 * 16 + l
                                let q = (u8(32 + n * 32 + idx) >> shift) & 3
                                y[out] = dl * Double(q - (u8(idx) & m != 0 ? 0 : 4)); out += 1
                            }
                        }
                        shift += 2; m <<= 1
                    }
                }
            case .q4_K, .q5_K:
                let five = t == .q5_K
                let d = half(b, o), dmin = half(b, o + 2)
                let scales = Array(b[(o + 4)..<(o + 16)]).map(Int.init)
                let qs = five ? 48 : 16
                var out = base
                for j in 0..<4 {
                    for part in 0..<2 {
                        let (sc, mn) = scaleMinK4(2 * j + part, scales)
                        for l in 0..<32 {
                            let byte = u8(qs + 32 * j + l)
                            var q = part == 0 ? byte & 15 : byte >> 4
                            if five && (u8(16 + l) >> (2 * j + part)) & 1 != 0 { q += 16 }
                            y[out] = d * Double(sc) * Double(q) - dmin * Double(mn); out += 1
                        }
                    }
                }
            case .q6_K:
                let d = half(b, o + 208)
                for n in 0..<2 {
                    for l in 0..<32 {
                        let ql0 = u8(n * 64 + l), ql32 = u8(n * 64 + l + 32), qh = u8(128 + n * 32 + l)
                        let q = [(ql0 & 15) | ((qh & 3) << 4), (ql32 & 15) | (((qh >> 2) & 3) << 4),
                                 (ql0 >> 4) | (((qh >> 4) & 3) << 4), (ql32 >> 4) | (((qh >> 6) & 3) << 4)]
                        for s in 0..<4 {
                            let sc = Double(Int8(bitPattern: b[o + 192 + n * 8 + l / 16 + 2 * s]))
                            y[base + n * 128 + 32 * s + l] = d * sc * Double(q[s] - 32)
                        }
                    }
                }
            case .iq4_xs:
                let d = half(b, o), sh = u8(2) | u8(3) << 8
                for ib in 0..<8 {
                    let ls = ((u8(4 + ib / 2) >> (4 * (ib % 2))) & 15) | (((sh >> (2 * ib)) & 3) << 4)
                    let dl = d * Double(ls - 32)
                    for j in 0..<16 {
                        let byte = u8(8 + 16 * ib + j)
                        y[base + 32 * ib + j] = dl * iq4Values[byte & 15]
                        y[base + 32 * ib + j + 16] = dl * iq4Values[byte >> 4]
                    }
                }
            default:
                fatalError("no test decoder for \(t)")
            }
        }
        return y
    }

    /// ggml's get_scale_min_k4.
    static func scaleMinK4(_ j: Int, _ q: [Int]) -> (Int, Int) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// The 16 six-bit Q3_K scales (before the -32 offset).
    static func q3Scales(_ s: [UInt8]) -> [Int] {
        (0..<16).map { j in
            let low = j < 8 ? Int(s[j % 8]) & 15 : Int(s[j % 8]) >> 4
            let high = (Int(s[8 + j % 4]) >> (2 * (j / 4))) & 3
            return low | high << 4
        }
    }

    /// The f64 value of an activation row in Q8_0/Q8_1/Q8_K.
    static func decodeActivations(for t: GGMLType, _ b: [UInt8], k: Int) -> [Double] {
        let act = GGMLMatmul.activationType(for: t)!
        var y = [Double](repeating: 0, count: k)
        let size = act.blockBytes
        for blk in 0..<k / act.blockSize {
            let o = blk * size
            let d: Double
            if act == .q8_K {
                d = Double(Float(bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24))
                for j in 0..<256 { y[blk * 256 + j] = d * Double(Int8(bitPattern: b[o + 4 + j])) }
            } else {
                d = half(b, o)
                for j in 0..<32 { y[blk * 32 + j] = d * Double(Int8(bitPattern: b[o + size - 32 + j])) }
            }
        }
        return y
    }
}
