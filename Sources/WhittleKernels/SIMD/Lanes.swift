/// Lane-wise helpers written as bit operations and plain lane loops, because the stdlib's
/// `pointwiseMax`, `.max()`, `.rounded()` and SIMD conversions compile to branchy scalar code.
@inline(__always) func bitsOf(_ v: SIMD16<Float>) -> SIMD16<Int32> { unsafeBitCast(v, to: SIMD16<Int32>.self) }
@inline(__always) func floatsOf(_ v: SIMD16<Int32>) -> SIMD16<Float> { unsafeBitCast(v, to: SIMD16<Float>.self) }

/// |v| as bit patterns: for non-negative floats, integer order is float order.
@inline(__always) func absBits(_ v: SIMD16<Float>) -> SIMD16<Int32> { bitsOf(v) & SIMD16(repeating: 0x7FFF_FFFF) }

@inline(__always) func laneMax(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD16<Int32> {
    var r = a
    for l in 0..<16 { r[l] = a[l] > b[l] ? a[l] : b[l] }
    return r
}

@inline(__always) func laneMin(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD16<Int32> {
    var r = a
    for l in 0..<16 { r[l] = a[l] < b[l] ? a[l] : b[l] }
    return r
}

/// Largest lane (integer lanes: the stdlib's reduction becomes a vector reduce here).
@inline(__always) func horizontalMax(_ v: SIMD16<Int32>) -> Int32 { v.max() }

/// Smallest lane.
@inline(__always) func horizontalMin(_ v: SIMD16<Int32>) -> Int32 { v.min() }

/// Round half away from zero, then to Int32: trunc(v + copysign(0.5 - 2^-25, v)), the exact
/// lowering LLVM uses for roundf (the addition's own rounding settles the halfway cases).
@inline(__always) func roundAwayToInt(_ v: SIMD16<Float>) -> SIMD16<Int32> {
    let half = floatsOf((bitsOf(v) & SIMD16(repeating: Int32(bitPattern: 0x8000_0000))) | SIMD16(repeating: 0x3EFF_FFFF))
    return truncToInt(v + half)
}

/// Truncation toward zero (vcvttps2dq).
@inline(__always) func truncToInt(_ v: SIMD16<Float>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>()
    for l in 0..<16 { r[l] = Int32(v[l]) }
    return r
}

/// Int32 lanes to floats (vcvtdq2ps).
@inline(__always) func toFloat(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    var r = SIMD16<Float>()
    for l in 0..<16 { r[l] = Float(v[l]) }
    return r
}

/// Stores the low byte of each lane (vpmovdb).
@inline(__always) func storeBytes(_ v: SIMD16<Int32>, _ q: UnsafeMutableRawPointer) {
    for l in 0..<16 { q.storeBytes(of: UInt8(truncatingIfNeeded: v[l]), toByteOffset: l, as: UInt8.self) }
}

/// Sign-extends 16 bytes to Int32 lanes (vpmovsxbd).
@inline(__always) func loadInt8(_ q: UnsafeRawPointer) -> SIMD16<Int32> {
    var r = SIMD16<Int32>()
    for l in 0..<16 { r[l] = Int32(q.load(fromByteOffset: l, as: Int8.self)) }
    return r
}

/// Zero-extends 16 bytes to Int32 lanes (vpmovzxbd).
@inline(__always) func loadUInt8(_ q: UnsafeRawPointer) -> SIMD16<Int32> {
    var r = SIMD16<Int32>()
    for l in 0..<16 { r[l] = Int32(q.load(fromByteOffset: l, as: UInt8.self)) }
    return r
}
