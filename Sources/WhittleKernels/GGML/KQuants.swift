/// ggml's K-quant quantizers (super-blocks of 256): quantize_row_q{2..6}_K_ref without an importance
/// matrix and quantize_row_q{2..6}_K_impl with one, plus quantize_row_q8_K_ref. Each function takes one
/// row of `n` elements (a multiple of 256) and writes n/256 blocks; `qw` holds the row's n weights.
enum KQuants {
    typealias S = GGMLQuantSearch

    /// Work buffers sized for one super-block (ggml keeps them on the stack).
    final class Scratch {
        let L = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        let Laux = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: 32)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        let mins = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        let sw = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        let Ls = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
        let Lm = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
        var L8: UnsafeMutablePointer<Int8> { UnsafeMutableRawPointer(L).assumingMemoryBound(to: Int8.self) }
        var Ls8: UnsafeMutablePointer<Int8> { UnsafeMutableRawPointer(Ls).assumingMemoryBound(to: Int8.self) }
        init() { L.initialize(repeating: 0, count: 256) }
        deinit {
            L.deallocate(); Laux.deallocate(); weights.deallocate(); scales.deallocate()
            mins.deallocate(); sw.deallocate(); Ls.deallocate(); Lm.deallocate()
        }
    }

    /// Packs 2-bit codes: byte 32c+l of `qs` = L[128c+l] | L[+32]<<2 | L[+64]<<4 | L[+96]<<6.
    @inline(__always) static func pack2(_ L: UnsafePointer<UInt8>, _ y: UnsafeMutableRawPointer, at qs: Int) {
        for j in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                y.storeU8(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6, at: qs + j / 4 + l)
            }
        }
    }

    // MARK: Q2_K

    static func q2_K(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, _ n: Int, _ qwRow: UnsafePointer<Float>?, _ s: Scratch) {
        for i in 0..<n / 256 {
            let x = xRow + 256 * i, y = yRow + 84 * i
            let L = s.L
            if let qwRow {
                let qw = qwRow + 256 * i
                var sumx2: Float = 0
                for j in 0..<256 { sumx2 += x[j] * x[j] }
                let sigma2 = sumx2 / 256
                for j in 0..<16 {
                    for l in 0..<16 { s.weights[l] = qw[16 * j + l] * (sigma2 + x[16 * j + l] * x[16 * j + l]).squareRoot() }
                    s.sw[j] = 0
                    for l in 0..<16 { s.sw[j] += s.weights[l] }
                    s.scales[j] = S.makeQkx(16, 3, x + 16 * j, s.weights, L + 16 * j, &s.mins[j], s.Laux,
                                            rmin: -0.9, rdelta: 0.05, nstep: 36, useMad: false, qkx3: true)
                }
                let dm0 = S.makeQp(16, 15, s.scales, s.Ls, s.sw)
                let mm0 = S.makeQp(16, 15, s.mins, s.Lm, s.sw)
                y.storeF16(dm0, at: 80)
                y.storeF16(mm0, at: 82)
                for j in 0..<16 { y.storeU8(s.Ls[j] | s.Lm[j] << 4, at: j) }
            } else {
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0..<16 {
                    for l in 0..<16 { s.weights[l] = abs(x[16 * j + l]) }
                    s.scales[j] = S.makeQkx(16, 3, x + 16 * j, s.weights, L + 16 * j, &s.mins[j], s.Laux,
                                            rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true, qkx3: false)
                    if s.scales[j] > maxScale { maxScale = s.scales[j] }
                    if s.mins[j] > maxMin { maxMin = s.mins[j] }
                }
                if maxScale > 0 {
                    let iscale = 15 / maxScale
                    for j in 0..<16 { y.storeU8(UInt8(truncatingIfNeeded: S.nearestInt(iscale * s.scales[j])), at: j) }
                    y.storeF16(maxScale / 15, at: 80)
                } else {
                    for j in 0..<16 { y.storeU8(0, at: j) }
                    y.storeF16(0, at: 80)
                }
                if maxMin > 0 {
                    let iscale = 15 / maxMin
                    for j in 0..<16 {
                        let l = S.nearestInt(iscale * s.mins[j])
                        y.storeU8(y.u8(j) | UInt8(truncatingIfNeeded: l << 4), at: j)
                    }
                    y.storeF16(maxMin / 15, at: 82)
                } else {
                    y.storeF16(0, at: 82)
                }
            }
            let dAll = y.f16(80), mAll = y.f16(82)
            for j in 0..<16 {
                let sc = y.u8(j)
                let d = dAll * Float(sc & 0xF)
                if d == 0 { continue }
                let dm = mAll * Float(sc >> 4)
                for ii in 0..<16 { L[16 * j + ii] = UInt8(S.clamp(S.nearestInt((x[16 * j + ii] + dm) / d), 0, 3)) }
            }
            pack2(L, y, at: 16)
        }
    }

    // MARK: Q3_K

    static func q3_K(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, _ n: Int, _ qwRow: UnsafePointer<Float>?, _ s: Scratch) {
        let L = s.L8
        for i in 0..<n / 256 {
            let x = xRow + 256 * i, y = yRow + 110 * i
            for j in 0..<12 { y.storeU8(0, at: 96 + j) }
            if let qwRow {
                let qw = qwRow + 256 * i
                var sumx2: Float = 0
                for j in 0..<256 { sumx2 += x[j] * x[j] }
                let sigma2 = 2 * sumx2 / 256
                for j in 0..<16 {
                    for l in 0..<16 { s.weights[l] = qw[16 * j + l] * (sigma2 + x[16 * j + l] * x[16 * j + l]).squareRoot() }
                    var sumw: Float = 0
                    for l in 0..<16 { sumw += s.weights[l] }
                    s.sw[j] = sumw
                    s.scales[j] = S.makeQx(16, 4, x + 16 * j, L + 16 * j, 1, s.weights)
                }
                let dBlock = S.makeQx(16, 32, s.scales, s.Ls8, 1, s.sw)
                for j in 0..<16 { storeQ3Scale(y, j, Int(s.Ls8[j])) }
                y.storeF16(dBlock, at: 108)
            } else {
                var maxScale: Float = 0, amax: Float = 0
                for j in 0..<16 {
                    s.scales[j] = S.makeQ3(16, 4, x + 16 * j, L + 16 * j, doRmse: true)
                    let scale = abs(s.scales[j])
                    if scale > amax { amax = scale; maxScale = s.scales[j] }
                }
                if maxScale != 0 {
                    let iscale = -32 / maxScale
                    for j in 0..<16 {
                        // ggml stores nearest_int into an int8_t before clamping.
                        let l8 = Int(Int8(truncatingIfNeeded: S.nearestInt(iscale * s.scales[j])))
                        storeQ3Scale(y, j, S.clamp(l8, -32, 31) + 32)
                    }
                    y.storeF16(1 / iscale, at: 108)
                } else {
                    y.storeF16(0, at: 108)
                }
            }
            let dAll = y.f16(108)
            for j in 0..<16 {
                let sc = q3Scale(UnsafeRawPointer(y) + 96, j)
                let d = dAll * Float(sc)
                if d == 0 { continue }
                for ii in 0..<16 { L[16 * j + ii] = Int8(S.clamp(S.nearestInt(x[16 * j + ii] / d), -4, 3) + 4) }
            }
            for j in 0..<32 { y.storeU8(0, at: j) }
            var m = 0
            var hm: UInt8 = 1
            for j in 0..<256 {
                if L[j] > 3 {
                    y.storeU8(y.u8(m) | hm, at: m)
                    L[j] -= 4
                }
                m += 1
                if m == 32 { m = 0; hm = hm &<< 1 }
            }
            pack2(s.L, y, at: 32)
        }
    }

    /// Stores 6-bit scale code `l` (0...63) of group j into Q3_K's 12 scale bytes at offset 96.
    @inline(__always) static func storeQ3Scale(_ y: UnsafeMutableRawPointer, _ j: Int, _ lIn: Int) {
        var l = lIn
        if j < 8 {
            y.storeU8(UInt8(truncatingIfNeeded: l & 0xF), at: 96 + j)
        } else {
            y.storeU8(y.u8(96 + j - 8) | UInt8(truncatingIfNeeded: (l & 0xF) << 4), at: 96 + j - 8)
        }
        l >>= 4
        y.storeU8(y.u8(96 + 8 + j % 4) | UInt8(truncatingIfNeeded: l << (2 * (j / 4))), at: 96 + 8 + j % 4)
    }

    /// The signed scale (code − 32) of group j from Q3_K's 12 scale bytes.
    @inline(__always) static func q3Scale(_ sc: UnsafeRawPointer, _ j: Int) -> Int {
        let lo = j < 8 ? Int(sc.u8(j) & 0xF) : Int(sc.u8(j - 8) >> 4)
        return (lo | (Int(sc.u8(8 + j % 4) >> (2 * (j / 4))) & 3) << 4) - 32
    }

    // MARK: Q4_K / Q5_K

    /// get_scale_min_k4: scale and min codes of sub-block j from the 12 packed bytes.
    @inline(__always) static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        if j < 4 { return (q.u8(j) & 63, q.u8(j + 4) & 63) }
        return ((q.u8(j + 4) & 0xF) | ((q.u8(j - 4) >> 6) << 4), (q.u8(j + 4) >> 4) | ((q.u8(j) >> 6) << 4))
    }

    /// Q4_K (bits 4) and Q5_K (bits 5): the shared scale search and 6-bit scale packing.
    static func q45_K(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, _ n: Int, _ qwRow: UnsafePointer<Float>?,
                      _ s: Scratch, bits: Int) {
        let nmax = bits == 4 ? 15 : 31, blockBytes = bits == 4 ? 144 : 176, qsAt = bits == 4 ? 16 : 48
        let L = s.L
        for i in 0..<n / 256 {
            let x = xRow + 256 * i, y = yRow + blockBytes * i
            var lsCodes = [UInt8](repeating: 0, count: 8), lmCodes = [UInt8](repeating: 0, count: 8)
            if let qwRow {
                let qw = qwRow + 256 * i
                var sumx2: Float = 0
                for l in 0..<256 { sumx2 += x[l] * x[l] }
                let sigma2 = 2 * sumx2 / 256
                for j in 0..<8 {
                    for l in 0..<32 { s.weights[l] = qw[32 * j + l] * (sigma2 + x[32 * j + l] * x[32 * j + l]).squareRoot() }
                    var sumw: Float = 0
                    for l in 0..<32 { sumw += s.weights[l] }
                    s.sw[j] = sumw
                    s.scales[j] = S.makeQkx(32, nmax, x + 32 * j, s.weights, L + 32 * j, &s.mins[j], s.Laux,
                                            rmin: -0.9, rdelta: 0.05, nstep: 36, useMad: false, qkx3: true)
                }
                let dBlock = S.makeQp(8, 63, s.scales, s.Ls, s.sw)
                let mBlock = S.makeQp(8, 63, s.mins, s.Lm, s.sw)
                for j in 0..<8 {
                    // Q5_K's impl caps the codes at 63; Q4_K's does not (make_qp_quants already does).
                    lsCodes[j] = bits == 5 ? min(63, s.Ls[j]) : s.Ls[j]
                    lmCodes[j] = bits == 5 ? min(63, s.Lm[j]) : s.Lm[j]
                }
                packScales(y, lsCodes, lmCodes)
                y.storeF16(dBlock, at: 0)
                y.storeF16(mBlock, at: 2)
            } else {
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0..<8 {
                    var sumx2: Float = 0
                    for l in 0..<32 { sumx2 += x[32 * j + l] * x[32 * j + l] }
                    let avx = (sumx2 / 32).squareRoot()
                    for l in 0..<32 { s.weights[l] = avx + abs(x[32 * j + l]) }
                    s.scales[j] = S.makeQkx(32, nmax, x + 32 * j, s.weights, L + 32 * j, &s.mins[j], s.Laux,
                                            rmin: bits == 4 ? -1 : -0.5, rdelta: 0.1, nstep: bits == 4 ? 20 : 15,
                                            useMad: false, qkx3: false)
                    if s.scales[j] > maxScale { maxScale = s.scales[j] }
                    if s.mins[j] > maxMin { maxMin = s.mins[j] }
                }
                let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
                let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
                for j in 0..<8 {
                    lsCodes[j] = min(63, UInt8(truncatingIfNeeded: S.nearestInt(invScale * s.scales[j])))
                    lmCodes[j] = min(63, UInt8(truncatingIfNeeded: S.nearestInt(invMin * s.mins[j])))
                }
                packScales(y, lsCodes, lmCodes)
                y.storeF16(maxScale / 63, at: 0)
                y.storeF16(maxMin / 63, at: 2)
            }
            let dAll = y.f16(0), mAll = y.f16(2)
            for j in 0..<8 {
                let (sc, m) = scaleMinK4(j, UnsafeRawPointer(y) + 4)
                let d = dAll * Float(sc)
                if d == 0 { continue }
                let dm = mAll * Float(m)
                for ii in 0..<32 { L[32 * j + ii] = UInt8(S.clamp(S.nearestInt((x[32 * j + ii] + dm) / d), 0, nmax)) }
            }
            if bits == 4 {
                for j in stride(from: 0, to: 256, by: 64) {
                    for l in 0..<32 { y.storeU8(L[j + l] | L[j + l + 32] << 4, at: qsAt + j / 2 + l) }
                }
            } else {
                for j in 0..<32 { y.storeU8(0, at: 16 + j) }
                var m1: UInt8 = 1, m2: UInt8 = 2
                for nn in stride(from: 0, to: 256, by: 64) {
                    for j in 0..<32 {
                        var l1 = L[nn + j], l2 = L[nn + j + 32]
                        if l1 > 15 { l1 -= 16; y.storeU8(y.u8(16 + j) | m1, at: 16 + j) }
                        if l2 > 15 { l2 -= 16; y.storeU8(y.u8(16 + j) | m2, at: 16 + j) }
                        y.storeU8(l1 | l2 << 4, at: qsAt + nn / 2 + j)
                    }
                    m1 = m1 &<< 2; m2 = m2 &<< 2
                }
            }
        }
    }

    /// Packs 8 scale and 8 min codes (6 bits each) into the 12 bytes at offset 4 (get_scale_min_k4's inverse).
    @inline(__always) static func packScales(_ y: UnsafeMutableRawPointer, _ ls: [UInt8], _ lm: [UInt8]) {
        for j in 0..<8 {
            if j < 4 {
                y.storeU8(ls[j], at: 4 + j)
                y.storeU8(lm[j], at: 4 + j + 4)
            } else {
                y.storeU8((ls[j] & 0xF) | (lm[j] & 0xF) << 4, at: 4 + j + 4)
                y.storeU8(y.u8(4 + j - 4) | (ls[j] >> 4) << 6, at: 4 + j - 4)
                y.storeU8(y.u8(4 + j) | (lm[j] >> 4) << 6, at: 4 + j)
            }
        }
    }

    // MARK: Q6_K

    static func q6_K(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, _ n: Int, _ qwRow: UnsafePointer<Float>?, _ s: Scratch) {
        let L = s.L8
        for i in 0..<n / 256 {
            let x = xRow + 256 * i, y = yRow + 210 * i
            var maxScale: Float = 0, maxAbsScale: Float = 0
            for ib in 0..<16 {
                let scale = S.makeQx(16, 32, x + 16 * ib, L + 16 * ib, 1, qwRow.map { $0 + 256 * i + 16 * ib })
                s.scales[ib] = scale
                let a = abs(scale)
                if a > maxAbsScale { maxAbsScale = a; maxScale = scale }
            }
            if maxAbsScale < S.groupMaxEps {
                y.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
                y.storeF16(0, at: 208)
                continue
            }
            let iscale = -128 / maxScale
            y.storeF16(1 / iscale, at: 208)
            for ib in 0..<16 {
                y.storeU8(UInt8(truncatingIfNeeded: min(127, S.nearestInt(iscale * s.scales[ib]))), at: 192 + ib)
            }
            let dAll = y.f16(208)
            for j in 0..<16 {
                let d = dAll * Float(UnsafeRawPointer(y).i8(192 + j))
                if d == 0 { continue }
                for ii in 0..<16 { L[16 * j + ii] = Int8(S.clamp(S.nearestInt(x[16 * j + ii] / d), -32, 31) + 32) }
            }
            let U = s.L
            for j in stride(from: 0, to: 256, by: 128) {
                let ql = j / 2, qh = 128 + j / 4
                for l in 0..<32 {
                    let q1 = U[j + l] & 0xF, q2 = U[j + l + 32] & 0xF, q3 = U[j + l + 64] & 0xF, q4 = U[j + l + 96] & 0xF
                    y.storeU8(q1 | q3 << 4, at: ql + l)
                    y.storeU8(q2 | q4 << 4, at: ql + l + 32)
                    y.storeU8((U[j + l] >> 4) | (U[j + l + 32] >> 4) << 2 | (U[j + l + 64] >> 4) << 4 | (U[j + l + 96] >> 4) << 6,
                              at: qh + l)
                }
            }
        }
    }

    // MARK: Q8_K

    static func q8_K(_ xRow: UnsafePointer<Float>, _ yRow: UnsafeMutableRawPointer, _ n: Int) {
        for i in 0..<n / 256 {
            let x = xRow + 256 * i, y = yRow + 292 * i
            var maxv: Float = 0, amax: Float = 0
            for j in 0..<256 {
                let ax = abs(x[j])
                if ax > amax { amax = ax; maxv = x[j] }
            }
            if amax == 0 {
                y.initializeMemory(as: UInt8.self, repeating: 0, count: 292)
                continue
            }
            let iscale = -127 / maxv
            for j in 0..<256 {
                y.storeBytes(of: Int8(truncatingIfNeeded: min(127, S.nearestInt(iscale * x[j]))), toByteOffset: 4 + j, as: Int8.self)
            }
            for j in 0..<16 {
                var sum = 0
                for ii in 0..<16 { sum += Int(UnsafeRawPointer(y).i8(4 + 16 * j + ii)) }
                y.storeBytes(of: Int16(truncatingIfNeeded: sum).littleEndian, toByteOffset: 260 + 2 * j, as: Int16.self)
            }
            y.storeBytes(of: (1 / iscale).bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
        }
    }
}
