/// Scalar quantizers: the specification, written to follow gguf's numpy reference (`gguf.quants`)
/// operation by operation in f32, so their bytes equal ggml/llama.cpp's.
extension Reference {
    /// Q8_0 block rule: d = max|x|/127, q = round-half-away(x * (1/d)), scale stored as f16.
    public static func quantizeQ8_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q8_0", length: count, block: 32) }
        for blk in 0..<count / 32 {
            let src = x + blk * 32, dst = out + blk * BlockQ8_0.bytes
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(src[j])) }
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            dst.storeBytes(of: Half.bits(d).littleEndian, as: UInt16.self)
            for j in 0..<32 {
                dst.storeBytes(of: Int8((src[j] * id).rounded(.toNearestOrAwayFromZero)), toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }

    /// Inverse of Q8_0: x = f32(d) * q.
    public static func dequantizeQ8_0(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q8_0", length: count, block: 32) }
        for blk in 0..<count / 32 {
            let src = blocks + blk * BlockQ8_0.bytes
            let d = Half.float(UInt16(littleEndian: src.loadUnaligned(as: UInt16.self)))
            for j in 0..<32 { y[blk * 32 + j] = d * Float(src.load(fromByteOffset: 2 + j, as: Int8.self)) }
        }
    }

    /// Q4_0 block rule over `group` values (32 for Q4_0): m = the first value of largest magnitude,
    /// d = m / -8, code = min(15, trunc(x * (1/d) + 8.5)) with each f32 operation rounded, as gguf does.
    static func quantize4Bit(_ src: UnsafePointer<Float>, group: Int, codes: UnsafeMutablePointer<UInt8>) -> UInt16 {
        // numpy's argmax: the first element of largest magnitude (so a leading -0.0 counts in a zero block).
        var amax = abs(src[0]), m = src[0]
        for j in 1..<group where abs(src[j]) > amax { amax = abs(src[j]); m = src[j] }
        let d = m / -8
        let id: Float = d == 0 ? 0 : 1 / d
        let half = group / 2
        for j in 0..<half {
            let lo = min(15, UInt8((src[j] * id + 8.5).rounded(.towardZero)))
            let hi = min(15, UInt8((src[j + half] * id + 8.5).rounded(.towardZero)))
            codes[j] = lo | hi << 4
        }
        return Half.bits(d)
    }

    /// Q4_0 quantizer (ggml layout: f16 d then 16 bytes of nibbles per 32 values).
    public static func quantizeQ4_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q4_0", length: count, block: 32) }
        for blk in 0..<count / 32 {
            let dst = out + blk * BlockQ4_0.bytes
            let d = quantize4Bit(x + blk * 32, group: 32, codes: (dst + 2).assumingMemoryBound(to: UInt8.self))
            dst.storeBytes(of: d.littleEndian, as: UInt16.self)
        }
    }

    /// Inverse of Q4_0: x = f32(d) * (code - 8).
    public static func dequantizeQ4_0(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q4_0", length: count, block: 32) }
        for blk in 0..<count / 32 {
            let src = blocks + blk * BlockQ4_0.bytes
            let d = Half.float(UInt16(littleEndian: src.loadUnaligned(as: UInt16.self)))
            for j in 0..<16 {
                let byte = src.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[blk * 32 + j] = d * Float(Int(byte & 15) - 8)
                y[blk * 32 + j + 16] = d * Float(Int(byte >> 4) - 8)
            }
        }
    }

    /// Symmetric per-row int8: scale = max|row|/127, q = round-half-away(x * (1/scale)).
    public static func quantizeRowInt8(_ x: UnsafePointer<Float>, count: Int, into q: UnsafeMutablePointer<Int8>) -> Float {
        var amax: Float = 0
        for j in 0..<count { amax = max(amax, abs(x[j])) }
        let scale = amax / 127
        let inv: Float = scale == 0 ? 0 : 1 / scale
        for j in 0..<count { q[j] = Int8((x[j] * inv).rounded(.toNearestOrAwayFromZero)) }
        return scale
    }

    /// Asymmetric per-row int8 over [min(x,0), max(x,0)]: x ≈ scale * (q - zero).
    public static func quantizeRowInt8Affine(_ x: UnsafePointer<Float>, count: Int, into q: UnsafeMutablePointer<Int8>) -> (scale: Float, zero: Int8) {
        var lo: Float = 0, hi: Float = 0
        for j in 0..<count { lo = min(lo, x[j]); hi = max(hi, x[j]) }
        let scale = (hi - lo) / 255
        if scale == 0 {
            for j in 0..<count { q[j] = 0 }
            return (0, 0)
        }
        let inv = 1 / scale
        let zero = Int8(max(-128, min(127, (-lo * inv).rounded(.toNearestOrAwayFromZero) - 128)))
        for j in 0..<count {
            let v = (x[j] * inv).rounded(.toNearestOrAwayFromZero) + Float(zero)
            q[j] = Int8(max(-128, min(127, v)))
        }
        return (scale, zero)
    }
}
