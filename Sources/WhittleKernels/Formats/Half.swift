/// IEEE half-precision conversions that round like numpy's `astype(np.float16)`
/// (round to nearest, ties to even; overflow to infinity; subnormals kept).
public enum Half {
    /// The f16 bit pattern nearest to `x`.
    @inline(__always) public static func bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }
    /// The f32 value of an f16 bit pattern (exact).
    @inline(__always) public static func float(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

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
