/// IQ4_NL and IQ4_XS: 4-bit codes into ggml's non-linear table, quantized by quantize_row_iq4_nl_impl
/// as ggml_quantize_chunk calls it (ntry = 7, with or without an importance matrix).
enum IQ4Quants {
    typealias S = GGMLQuantSearch

    /// ggml's kvalues_iq4nl: the 16 code points.
    static let kvalues: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
    static let kvaluesPointer: UnsafeMutablePointer<Int8> = {
        let p = UnsafeMutablePointer<Int8>.allocate(capacity: 16)
        p.initialize(from: kvalues, count: 16)
        return p
    }()

    /// Work buffers for one super-block.
    final class Scratch {
        let L = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        let weight = UnsafeMutablePointer<Float>.allocate(capacity: 32)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 8)
        init() { L.initialize(repeating: 0, count: 256) }
        deinit { L.deallocate(); weight.deallocate(); scales.deallocate() }
    }

    /// quantize_row_iq4_nl_impl for one super-block of `superBlock` (32: IQ4_NL, 256: IQ4_XS) at `x`,
    /// writing d at y+0, (XS only) scales_h at y+2 and scales_l at y+4, and the codes at y+qsAt.
    static func superBlock(_ superBlock: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, qsAt: Int,
                           _ qw: UnsafePointer<Float>?, _ s: Scratch) {
        let ntry = 7, blockSize = 32
        let values = UnsafePointer(kvaluesPointer)
        let v0 = Float(values[0])
        var sigma2: Float = 0
        for j in 0..<superBlock { sigma2 += x[j] * x[j] }
        sigma2 *= 2 / Float(superBlock)
        for j in 0..<superBlock / 2 { y.storeU8(0, at: qsAt + j) }
        y.storeF16(0, at: 0)
        var maxScale: Float = 0, amaxScale: Float = 0
        let nb = superBlock / blockSize
        for ib in 0..<nb {
            let xb = x + ib * blockSize, Lb = s.L + ib * blockSize, w = s.weight
            if let qw {
                let q = qw + ib * blockSize
                for j in 0..<blockSize { w[j] = q[j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
            } else {
                for j in 0..<blockSize { w[j] = xb[j] * xb[j] }
            }
            var amax: Float = 0, maxv: Float = 0
            for j in 0..<blockSize {
                let ax = abs(xb[j])
                if ax > amax { amax = ax; maxv = xb[j] }
            }
            if amax < S.groupMaxEps {
                s.scales[ib] = 0
                continue
            }
            var d = -maxv / v0
            var id = 1 / d
            var sumqx: Float = 0, sumq2: Float = 0
            for j in 0..<blockSize {
                let l = S.bestIndex(values, 16, id * xb[j])
                Lb[j] = UInt8(l)
                let q = Float(values[l])
                sumqx += w[j] * q * xb[j]
                sumq2 += w[j] * q * q
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0
            var best = d * sumqx
            for itry in -ntry...ntry {
                id = Float(itry + Int(values[0])) / maxv
                sumqx = 0; sumq2 = 0
                for j in 0..<blockSize {
                    let q = Float(values[S.bestIndex(values, 16, id * xb[j])])
                    sumqx += w[j] * q * xb[j]
                    sumq2 += w[j] * q * q
                }
                if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                    d = sumqx / sumq2; best = d * sumqx
                }
            }
            s.scales[ib] = d
            let absD = abs(d)
            if absD > amaxScale { amaxScale = absD; maxScale = d }
        }
        if nb > 1 {
            y.storeU16(0, at: 2)
            let d = -maxScale / 32
            y.storeF16(d, at: 0)
            let id: Float = d != 0 ? 1 / d : 0
            var scalesH: UInt16 = 0
            for ib in 0..<nb {
                var l = S.clamp(S.nearestInt(id * s.scales[ib]), -32, 31)
                let dl = d * Float(l)
                let idl: Float = dl != 0 ? 1 / dl : 0
                let Lb = s.L + ib * blockSize, xb = x + ib * blockSize
                for j in 0..<blockSize { Lb[j] = UInt8(S.bestIndex(values, 16, idl * xb[j])) }
                l += 32
                let lLow = UInt8(l & 0xF), lHigh = UInt16(l >> 4)
                if ib % 2 == 0 { y.storeU8(lLow, at: 4 + ib / 2) } else { y.storeU8(y.u8(4 + ib / 2) | lLow << 4, at: 4 + ib / 2) }
                scalesH |= lHigh << (2 * (ib % 8))
            }
            y.storeU16(scalesH, at: 2)
        } else {
            y.storeF16(s.scales[0], at: 0)
            let id: Float = s.scales[0] != 0 ? 1 / s.scales[0] : 0
            for j in 0..<superBlock { s.L[j] = UInt8(S.bestIndex(values, 16, id * x[j])) }
        }
        for i in 0..<superBlock / 32 {
            for j in 0..<16 { y.storeU8(s.L[32 * i + j] | s.L[32 * i + 16 + j] << 4, at: qsAt + 16 * i + j) }
        }
    }

    /// One row of IQ4_NL blocks (n a multiple of 32; `qw` the row's n weights or nil).
    static func nlRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>?, _ s: Scratch) {
        for ib in 0..<n / 32 { superBlock(32, x + 32 * ib, y + 18 * ib, qsAt: 2, qw.map { $0 + 32 * ib }, s) }
    }

    /// One row of IQ4_XS blocks (n a multiple of 256).
    static func xsRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>?, _ s: Scratch) {
        for ib in 0..<n / 256 { superBlock(256, x + 256 * ib, y + 136 * ib, qsAt: 8, qw.map { $0 + 256 * ib }, s) }
    }

    static func dequantizeNL(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        let kv = kvaluesPointer
        for b in 0..<blocks {
            let s = src + 18 * b, o = y + 32 * b
            let d = s.f16(0)
            for j in 0..<16 {
                let q = s.u8(2 + j)
                o[j] = d * Float(kv[Int(q & 0xF)])
                o[j + 16] = d * Float(kv[Int(q >> 4)])
            }
        }
    }

    static func dequantizeXS(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
        let kv = kvaluesPointer
        for b in 0..<blocks {
            let s = src + 136 * b
            let d = s.f16(0), scalesH = s.u16(2)
            for ib in 0..<8 {
                let ls = Int((s.u8(4 + ib / 2) >> (4 * (ib % 2))) & 0xF) | Int((scalesH >> (2 * ib)) & 3) << 4
                let dl = d * Float(ls - 32)
                let o = y + 256 * b + 32 * ib
                for j in 0..<16 {
                    let q = s.u8(8 + 16 * ib + j)
                    o[j] = dl * Float(kv[Int(q & 0xF)])
                    o[j + 16] = dl * Float(kv[Int(q >> 4)])
                }
            }
        }
    }
}
