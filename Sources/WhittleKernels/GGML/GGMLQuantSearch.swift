/// ggml's scale searches (ggml-quants.c: nearest_int, make_qx_quants, make_q3_quants,
/// make_qkx2_quants, make_qkx3_quants, make_qp_quants, best_index_int8), ported operation by operation:
/// the same f32 operations in the same order (Swift does not fuse multiply-adds), the same integer
/// truncations, so the chosen codes and scales are bit-identical.
enum GGMLQuantSearch {
    /// ggml's GROUP_MAX_EPS: groups whose largest magnitude is below this are all-zero.
    static let groupMaxEps: Float = 1e-15

    /// ggml's nearest_int: round half to even via the 1.5·2^23 magic number (valid for |x| ≤ 2^22;
    /// outside that ggml returns the same wrapped bits, and so does this).
    @inline(__always) static func nearestInt(_ x: Float) -> Int {
        let v = x + 12582912
        return Int(Int32(bitPattern: v.bitPattern & 0x007f_ffff) &- 0x0040_0000)
    }

    /// C's float-to-int conversion as x86-64 performs it (cvttss2si): toward zero, and INT_MIN for
    /// NaN or out-of-range values instead of a trap.
    @inline(__always) static func truncate(_ x: Float) -> Int32 {
        x.isNaN || abs(x) >= 2_147_483_648 ? Int32.min : Int32(x)
    }

    @inline(__always) static func clamp(_ l: Int, _ lo: Int, _ hi: Int) -> Int { max(lo, min(hi, l)) }

    /// make_qx_quants: symmetric codes L in [0, 2·nmax) (stored as l + nmax) and the scale.
    /// rmseType 1 weighs by x² unless `qw` is given; negative rmseType returns early (ggml's convention).
    static func makeQx(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>,
                       _ rmseTypeIn: Int, _ qw: UnsafePointer<Float>?) -> Float {
        var maxv: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; maxv = x[i] }
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        var iscale = Float(-nmax) / maxv
        if rmseTypeIn == 0 {
            for i in 0..<n { L[i] = Int8(truncatingIfNeeded: nmax + clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)) }
            return 1 / iscale
        }
        var rmseType = rmseTypeIn
        var returnEarly = false
        if rmseType < 0 { rmseType = -rmseType; returnEarly = true }
        @inline(__always) func weight(_ i: Int) -> Float {
            if let qw { return qw[i] }
            switch rmseType {
            case 1: return x[i] * x[i]
            case 2: return 1
            case 3: return abs(x[i])
            default: return abs(x[i]).squareRoot()
            }
        }
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = weight(i), fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        if returnEarly { return suml2 > 0 ? 0.5 * (scale + 1 / iscale) : 1 / iscale }
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / maxv
            sumlx = 0; suml2 = 0
            for i in 0..<n {
                let l = clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)
                let w = weight(i), fl = Float(l)
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n { L[i] = Int8(truncatingIfNeeded: nmax + clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)) }
                scale = sumlx / suml2; best = scale * sumlx
            }
        }
        return scale
    }

    /// make_q3_quants: Q3_K's per-16 search (x²-weighted, with up to 5 coordinate-descent passes).
    static func makeQ3(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, doRmse: Bool) -> Float {
        var maxv: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; maxv = x[i] }
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / maxv
        if doRmse {
            var sumlx: Float = 0, suml2: Float = 0
            for i in 0..<n {
                let l = clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1)
                L[i] = Int8(truncatingIfNeeded: l)
                let w = x[i] * x[i], fl = Float(l)
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            for _ in 0..<5 {
                var changed = 0
                for i in 0..<n {
                    let w = x[i] * x[i], li = Float(L[i])
                    var slx = sumlx - w * x[i] * li
                    if slx > 0 {
                        var sl2 = suml2 - w * li * li
                        let newL = clamp(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1)
                        if newL != Int(L[i]) {
                            let fl = Float(newL)
                            slx += w * x[i] * fl
                            sl2 += w * fl * fl
                            if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                                L[i] = Int8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                                changed += 1
                            }
                        }
                    }
                }
                if changed == 0 { break }
            }
            for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
            return suml2 > 0 ? sumlx / suml2 : 0
        }
        for i in 0..<n { L[i] = Int8(truncatingIfNeeded: clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1) + nmax) }
        return 1 / iscale
    }

    /// make_qkx2_quants (weights given) and make_qkx3_quants (`weights` nil means x²; `qkx3` picks
    /// the qkx3 all-equal test `max <= min`): affine codes in [0, nmax] with a min, searched over
    /// nstep+1 candidate scales; returns the scale and writes -min to `theMin`.
    static func makeQkx(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>?,
                        _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                        rmin: Float, rdelta: Float, nstep: Int, useMad: Bool, qkx3: Bool) -> Float {
        @inline(__always) func weight(_ i: Int) -> Float { weights.map { $0[i] } ?? x[i] * x[i] }
        var minv = x[0], maxv = x[0]
        var sumW = weight(0)
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < minv { minv = x[i] }
            if x[i] > maxv { maxv = x[i] }
            let w = weight(i)
            sumW += w
            sumX += w * x[i]
        }
        if minv > 0 { minv = 0 }
        if qkx3 ? maxv <= minv : maxv == minv {
            for i in 0..<n { L[i] = 0 }
            theMin = -minv
            return 0
        }
        var iscale = Float(nmax) / (maxv - minv)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            L[i] = UInt8(truncatingIfNeeded: clamp(nearestInt(iscale * (x[i] - minv)), 0, nmax))
            var diff = scale * Float(L[i]) + minv - x[i]
            diff = useMad ? abs(diff) : diff * diff
            bestError += weight(i) * diff
        }
        if nstep < 1 {
            theMin = -minv
            return scale
        }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (maxv - minv)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = clamp(nearestInt(iscale * (x[i] - minv)), 0, nmax)
                Laux[i] = UInt8(truncatingIfNeeded: l)
                let w = weight(i), fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var curError: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                    diff = useMad ? abs(diff) : diff * diff
                    curError += weight(i) * diff
                }
                if curError < bestError {
                    for i in 0..<n { L[i] = Laux[i] }
                    bestError = curError
                    scale = thisScale
                    minv = thisMin
                }
            }
        }
        theMin = -minv
        return scale
    }

    /// make_qp_quants: non-negative codes in [0, nmax] for the (non-negative) sub-block scales or mins,
    /// weighted by `qw`.
    static func makeQp(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>,
                       _ qw: UnsafePointer<Float>) -> Float {
        var maxv: Float = 0
        for i in 0..<n { maxv = maxv > x[i] ? maxv : x[i] }
        if maxv < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        var iscale = Float(nmax) / maxv
        for i in 0..<n { L[i] = UInt8(truncatingIfNeeded: nearestInt(iscale * x[i])) }
        let scale = 1 / iscale
        var bestMse: Float = 0
        for i in 0..<n {
            let diff = x[i] - scale * Float(L[i])
            bestMse += qw[i] * diff * diff
        }
        for step in -4...4 where step != 0 {
            let iscaleIs = (0.1 * Float(step) + Float(nmax)) / maxv
            let scaleIs = 1 / iscaleIs
            var mse: Float = 0
            for i in 0..<n {
                let l = min(nmax, nearestInt(iscaleIs * x[i]))
                let diff = x[i] - scaleIs * Float(l)
                mse += qw[i] * diff * diff
            }
            if mse < bestMse {
                bestMse = mse
                iscale = iscaleIs
            }
        }
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = min(nmax, nearestInt(iscale * x[i]))
            L[i] = UInt8(truncatingIfNeeded: l)
            let w = qw[i], fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = qw[i], li = Float(L[i])
                var slx = sumlx - w * x[i] * li
                var sl2 = suml2 - w * li * li
                if slx > 0 && sl2 > 0 {
                    let newL = min(nmax, nearestInt(x[i] * sl2 / slx))
                    if newL != Int(L[i]) {
                        let fl = Float(newL)
                        slx += w * x[i] * fl
                        sl2 += w * fl * fl
                        if slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = UInt8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// best_index_int8: index of the table value nearest to x (ties to the upper one, as ggml).
    @inline(__always) static func bestIndex(_ values: UnsafePointer<Int8>, _ n: Int, _ x: Float) -> Int {
        if x <= Float(values[0]) { return 0 }
        if x >= Float(values[n - 1]) { return n - 1 }
        var ml = 0, mu = n - 1
        while mu - ml > 1 {
            let mav = (ml + mu) / 2
            if x < Float(values[mav]) { mu = mav } else { ml = mav }
        }
        return x - Float(values[mu - 1]) < Float(values[mu]) - x ? mu - 1 : mu
    }
}
