/// IEEE half-precision conversions that round like numpy's `astype(np.float16)`
/// (round to nearest, ties to even; overflow to infinity; subnormals kept).
public enum Half {
    /// The f16 bit pattern nearest to `x`.
    /// Bit arithmetic rather than `Float16(x)`: without F16C in the baseline build that is a libcall.
    @inline(__always) public static func bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern, sign = (u >> 16) & 0x8000, a = u & 0x7FFF_FFFF
        if a > 0x7F80_0000 { return UInt16(sign | 0x7E00 | ((a >> 13) & 0x3FF)) }   // NaN stays NaN (payload kept)
        if a >= 0x477F_F000 { return UInt16(sign | 0x7C00) }                        // rounds past 65504: infinity
        if a < 0x3880_0000 {                                                        // subnormal or zero
            if a < 0x3300_0000 { return UInt16(sign) }
            let e = a >> 23, m = (a & 0x7F_FFFF) | 0x80_0000, shift = 126 - e
            var v = m >> shift
            let rem = m & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
            if rem > half || (rem == half && v & 1 == 1) { v += 1 }
            return UInt16(sign | v)
        }
        var v = (a >> 13) &- (112 << 10)
        let rem = a & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && v & 1 == 1) { v += 1 }
        return UInt16(sign | v)
    }
    /// The f32 value of an f16 bit pattern (exact).
    @inline(__always) public static func float(_ bits: UInt16) -> Float {
        let h = UInt32(bits), sign = (h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023
        if e == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (f << 13)) }
        if e != 0 { return Float(bitPattern: sign | ((e + 112) << 23) | (f << 13)) }
        // Subnormal (or zero): f * 2^-24 is exact in f32.
        let v = Float(f) * 0x1p-24
        return sign != 0 ? -v : v
    }

    /// Converts `count` floats to f16 bit patterns.
    public static func encode(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = bits(src[i]) }
    }

    /// Converts `count` f16 bit patterns to floats.
    public static func decode(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = float(src[i]) }
    }
}

/// bfloat16 conversions (round to nearest even, NaN kept quiet), as torch does.
public enum BFloat16 {
    /// The bf16 bit pattern nearest to `x`.
    @inline(__always) public static func bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(u >> 16) | 0x40 }
        return UInt16((u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }
    /// The f32 value of a bf16 bit pattern (exact).
    @inline(__always) public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
