/// K-quant dequantizers: ggml's dequantize_row_q{2..6,8}_K, whose f32 operations (and therefore
/// floats) are the same as gguf-py's `dequantize`.
enum KDequant {
    static func q2_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let s = src + 84 * i
            let d = s.f16(80), mn = s.f16(82)
            var o = y + 256 * i
            var isc = 0
            for nn in stride(from: 0, to: 256, by: 128) {
                let q = 16 + nn / 4
                for shift in stride(from: 0, to: 8, by: 2) {
                    for half in 0..<2 {
                        let sc = s.u8(isc); isc += 1
                        let dl = d * Float(sc & 0xF), ml = mn * Float(sc >> 4)
                        for l in 0..<16 {
                            o.pointee = dl * Float((s.u8(q + 16 * half + l) >> shift) & 3) - ml
                            o += 1
                        }
                    }
                }
            }
        }
    }

    static func q3_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let s = src + 110 * i
            let dAll = s.f16(108)
            var o = y + 256 * i
            var isc = 0
            var m: UInt8 = 1
            for nn in stride(from: 0, to: 256, by: 128) {
                let q = 32 + nn / 4
                for shift in stride(from: 0, to: 8, by: 2) {
                    for half in 0..<2 {
                        let dl = dAll * Float(KQuants.q3Scale(s + 96, isc)); isc += 1
                        for l in 0..<16 {
                            let low = Int((s.u8(q + 16 * half + l) >> shift) & 3)
                            let high = s.u8(16 * half + l) & m != 0 ? 0 : 4
                            o.pointee = dl * Float(low - high)
                            o += 1
                        }
                    }
                    m = m &<< 1
                }
            }
        }
    }

    static func q45_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int, bits: Int) {
        let blockBytes = bits == 4 ? 144 : 176, qsAt = bits == 4 ? 16 : 48
        for i in 0..<blocks {
            let s = src + blockBytes * i
            let d = s.f16(0), mn = s.f16(2)
            var o = y + 256 * i
            var u1: UInt8 = 1, u2: UInt8 = 2
            for (c, j) in stride(from: 0, to: 256, by: 64).enumerated() {
                let (sc1, m1c) = KQuants.scaleMinK4(2 * c, s + 4), (sc2, m2c) = KQuants.scaleMinK4(2 * c + 1, s + 4)
                let d1 = d * Float(sc1), m1 = mn * Float(m1c)
                let d2 = d * Float(sc2), m2 = mn * Float(m2c)
                let q = qsAt + j / 2
                for l in 0..<32 {
                    let h: UInt8 = bits == 5 && s.u8(16 + l) & u1 != 0 ? 16 : 0
                    o.pointee = d1 * Float((s.u8(q + l) & 0xF) + h) - m1; o += 1
                }
                for l in 0..<32 {
                    let h: UInt8 = bits == 5 && s.u8(16 + l) & u2 != 0 ? 16 : 0
                    o.pointee = d2 * Float((s.u8(q + l) >> 4) + h) - m2; o += 1
                }
                u1 = u1 &<< 2; u2 = u2 &<< 2
            }
        }
    }

    static func q6_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let s = src + 210 * i
            let d = s.f16(208)
            for (c, nn) in stride(from: 0, to: 256, by: 128).enumerated() {
                let ql = 64 * c, qh = 128 + 32 * c, sc = 192 + 8 * c
                let o = y + 256 * i + nn
                for l in 0..<32 {
                    let isc = l / 16
                    let h = s.u8(qh + l)
                    let q1 = Int((s.u8(ql + l) & 0xF) | ((h >> 0) & 3) << 4) - 32
                    let q2 = Int((s.u8(ql + l + 32) & 0xF) | ((h >> 2) & 3) << 4) - 32
                    let q3 = Int((s.u8(ql + l) >> 4) | ((h >> 4) & 3) << 4) - 32
                    let q4 = Int((s.u8(ql + l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                    o[l] = d * Float(s.i8(sc + isc)) * Float(q1)
                    o[l + 32] = d * Float(s.i8(sc + isc + 2)) * Float(q2)
                    o[l + 64] = d * Float(s.i8(sc + isc + 4)) * Float(q3)
                    o[l + 96] = d * Float(s.i8(sc + isc + 6)) * Float(q4)
                }
            }
        }
    }

    static func q8_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let s = src + 292 * i
            let d = s.f32(0)
            for j in 0..<256 { y[256 * i + j] = d * Float(s.i8(4 + j)) }
        }
    }
}
