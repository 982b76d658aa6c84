import CKernels

/// Fast quantizers and dequantizers, byte-identical to the scalar ones in `Reference`.
public enum Quantize {
    /// Blocks per parallel task.
    static let blocksPerTask = 4096

    /// f32 -> Q8_0 blocks (count a multiple of 32); `out` receives count/32 * 34 bytes.
    public static func q8_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q8_0", length: count, block: 32) }
        let isa = KernelISA.active.rawValue, bytes = out.assumingMemoryBound(to: UInt8.self)
        forBlockRanges(count / 32) { r in
            // The ISA kernels (CKernels) take finite blocks; a block with NaN or infinity comes back here.
            var b = r.lowerBound
            while b < r.upperBound {
                b += ck_quantize_q8_0(isa, x + b * 32, bytes + b * BlockQ8_0.bytes, r.upperBound - b)
                if b < r.upperBound { q8_0Block(x + b * 32, out + b * BlockQ8_0.bytes); b += 1 }
            }
        }
    }

    /// f32 -> Q4_0 blocks (count a multiple of 32); `out` receives count/32 * 18 bytes.
    public static func q4_0(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q4_0", length: count, block: 32) }
        let isa = KernelISA.active.rawValue, bytes = out.assumingMemoryBound(to: UInt8.self)
        forBlockRanges(count / 32) { r in
            var b = r.lowerBound
            while b < r.upperBound {
                b += ck_quantize_q4_0(isa, x + b * 32, bytes + b * BlockQ4_0.bytes, r.upperBound - b)
                if b < r.upperBound { q4_0Block(x + b * 32, out + b * BlockQ4_0.bytes); b += 1 }
            }
        }
    }

    /// Q8_0 blocks -> f32.
    public static func dequantizeQ8_0(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q8_0", length: count, block: 32) }
        forBlocks(count / 32) { b in dequantizeQ8_0Block(blocks + b * BlockQ8_0.bytes, y + b * 32) }
    }

    /// Q4_0 blocks -> f32.
    public static func dequantizeQ4_0(_ blocks: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) throws {
        guard count % 32 == 0 else { throw KernelError.notBlockMultiple(format: "q4_0", length: count, block: 32) }
        forBlocks(count / 32) { b in dequantizeQ4_0Block(blocks + b * BlockQ4_0.bytes, y + b * 32) }
    }

    @inline(__always) static func dequantizeQ8_0Block(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: Half.float(UInt16(littleEndian: src.loadUnaligned(as: UInt16.self))))
        store16(d * toFloat(loadInt8(src + 2)), y)
        store16(d * toFloat(loadInt8(src + 18)), y + 16)
    }

    @inline(__always) static func dequantizeQ4_0Block(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = Half.float(UInt16(littleEndian: src.loadUnaligned(as: UInt16.self)))
        decodeNibbles((src + 2).assumingMemoryBound(to: UInt8.self), count: 32, scale: d, into: y)
    }

    /// Group-wise int4 (planar; see `GroupInt4Layout`): codes and f16 scales for a row-major matrix.
    public static func int4(_ x: UnsafePointer<Float>, layout: GroupInt4Layout,
                            codes: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<UInt16>) {
        let g = layout.group
        forBlocks(layout.rows * layout.groupsPerRow) { i in
            scales[i] = fourBit(x + i * g, group: g, codes: codes + i * g / 2)
        }
    }

    /// Inverse of `int4`.
    public static func dequantizeInt4(codes: UnsafePointer<UInt8>, scales: UnsafePointer<UInt16>, layout: GroupInt4Layout,
                                      into y: UnsafeMutablePointer<Float>) {
        let g = layout.group
        forBlocks(layout.rows * layout.groupsPerRow) { i in
            decodeNibbles(codes + i * g / 2, count: g, scale: Half.float(scales[i]), into: y + i * g)
        }
    }

    /// Per-row int8 of a (rows x cols) matrix: symmetric, or affine with a zero point per row.
    public static func int8Rows(_ x: UnsafePointer<Float>, layout: PerChannelInt8Layout, values: UnsafeMutablePointer<Int8>,
                                scales: UnsafeMutablePointer<Float>, zeros: UnsafeMutablePointer<Int8>?) {
        let cols = layout.cols
        for r in 0..<layout.rows {
            if layout.hasZeroPoint, let zeros {
                let (s, z) = Reference.quantizeRowInt8Affine(x + r * cols, count: cols, into: values + r * cols)
                scales[r] = s; zeros[r] = z
            } else {
                scales[r] = quantizeRowSymmetric(x + r * cols, count: cols, into: values + r * cols)
            }
        }
    }

    /// Inverse of `int8Rows`.
    public static func dequantizeInt8Rows(values: UnsafePointer<Int8>, scales: UnsafePointer<Float>, zeros: UnsafePointer<Int8>?,
                                          layout: PerChannelInt8Layout, into y: UnsafeMutablePointer<Float>) {
        let cols = layout.cols
        for r in 0..<layout.rows {
            let s = scales[r], z = Float(zeros?[r] ?? 0)
            for j in 0..<cols { y[r * cols + j] = s * (Float(values[r * cols + j]) - z) }
        }
    }

    /// Symmetric int8 of one row (the dynamic activation quantizer); returns the scale.
    @inline(__always)
    public static func quantizeRowSymmetric(_ x: UnsafePointer<Float>, count: Int, into q: UnsafeMutablePointer<Int8>) -> Float {
        var m = SIMD16<Int32>()
        var j = 0
        while j + 16 <= count { m = laneMax(m, absBits(load16(x + j))); j += 16 }
        var amax = Float(bitPattern: UInt32(horizontalMax(m)))
        while j < count { amax = max(amax, abs(x[j])); j += 1 }
        let scale = amax / 127
        let inv: Float = scale == 0 ? 0 : 1 / scale
        let iv = SIMD16<Float>(repeating: inv)
        j = 0
        while j + 16 <= count { storeBytes(roundAwayToInt(load16(x + j) * iv), q + j); j += 16 }
        while j < count { q[j] = Int8((x[j] * inv).rounded(.toNearestOrAwayFromZero)); j += 1 }
        return scale
    }

    // MARK: block bodies

    @inline(__always) static func q8_0Block(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let v0 = load16(src), v1 = load16(src + 16)
        let amax = Float(bitPattern: UInt32(horizontalMax(laneMax(absBits(v0), absBits(v1)))))
        let d = amax / 127
        let id = SIMD16<Float>(repeating: d == 0 ? 0 : 1 / d)
        dst.storeBytes(of: Half.bits(d).littleEndian, as: UInt16.self)
        storeBytes(roundAwayToInt(v0 * id), dst + 2)
        storeBytes(roundAwayToInt(v1 * id), dst + 18)
    }

    /// One Q4_0 block: both halves stay in registers, and the sign of the scale is chosen without a
    /// data-dependent branch (random signs would mispredict half the time).
    @inline(__always) static func q4_0Block(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer) {
        let v0 = load16(src), v1 = load16(src + 16)
        var smax = bitsOf(v0), umax = unsafeBitCast(smax, to: SIMD16<UInt32>.self)
        let v = bitsOf(v1), u = unsafeBitCast(v, to: SIMD16<UInt32>.self)
        for l in 0..<16 { smax[l] = v[l] > smax[l] ? v[l] : smax[l]; umax[l] = u[l] > umax[l] ? u[l] : umax[l] }
        let m = largestMagnitude(sTop: smax.max(), uTop: umax.max(), src, count: 32)
        let d = m / -8
        let id = SIMD16<Float>(repeating: d == 0 ? 0 : 1 / d)
        let bias = SIMD16<Float>(repeating: 8.5), top = SIMD16<Int32>(repeating: 15)
        // Two f32 roundings (product, then + 8.5), as gguf's numpy rule does; no FMA here.
        let lo = laneMin(truncToInt((v0 * id) + bias), top)
        let hi = laneMin(truncToInt((v1 * id) + bias), top)
        dst.storeBytes(of: Half.bits(d).littleEndian, as: UInt16.self)
        storeBytes(lo | (hi &<< 4), dst + 2)
    }

    /// The signed value of largest magnitude, from the signed and unsigned maxima of the bit patterns
    /// (see `fourBit`). Selected with masks rather than branches: the winning sign is random data.
    @inline(__always) static func largestMagnitude(sTop: Int32, uTop: UInt32, _ src: UnsafePointer<Float>, count: Int) -> Float {
        let pos = Int64(sTop | (sTop >> 31))                                       // |largest positive|, or -1
        let t = Int32(bitPattern: uTop ^ 0x8000_0000)                                // >= 0 iff a negative exists
        let neg = Int64(t | (t >> 31))                                              // |most negative|, or -1
        if pos == neg { return firstOfMagnitude(src, count: count, magnitudeBits: Int32(truncatingIfNeeded: pos)) }
        let negWins = (pos &- neg) >> 63                                            // all ones iff neg > pos
        let bits = (pos & ~negWins) | ((neg | 0x8000_0000) & negWins)
        return Float(bitPattern: UInt32(truncatingIfNeeded: bits))
    }

    /// The first element whose magnitude has bit pattern `magnitudeBits` (numpy's argmax picks the
    /// first of equal magnitudes); 0 when `magnitudeBits` is negative (no such element).
    @inline(never) static func firstOfMagnitude(_ src: UnsafePointer<Float>, count: Int, magnitudeBits: Int32) -> Float {
        let target = Float(bitPattern: UInt32(max(magnitudeBits, 0)))
        for i in 0..<count where abs(src[i]) == target { return src[i] }
        return 0
    }

    /// The Q4_0 rule over one group; writes group/2 code bytes and returns the f16 scale.
    @inline(__always) static func fourBit(_ src: UnsafePointer<Float>, group: Int, codes: UnsafeMutablePointer<UInt8>) -> UInt16 {
        // As signed ints, f32 bit patterns order the non-negative values; as unsigned ints, any negative
        // value is above every non-negative one and larger magnitudes are larger. Two max-reductions
        // give the largest positive and the most negative value, hence the signed value of largest magnitude.
        var smax = bitsOf(load16(src)), umax = unsafeBitCast(smax, to: SIMD16<UInt32>.self)
        var j = 16
        while j < group {
            let v = bitsOf(load16(src + j)), u = unsafeBitCast(v, to: SIMD16<UInt32>.self)
            for l in 0..<16 { smax[l] = v[l] > smax[l] ? v[l] : smax[l]; umax[l] = u[l] > umax[l] ? u[l] : umax[l] }
            j += 16
        }
        let m = largestMagnitude(sTop: smax.max(), uTop: umax.max(), src, count: group)
        let d = m / -8
        let id = SIMD16<Float>(repeating: d == 0 ? 0 : 1 / d)
        let half = group / 2
        let bias = SIMD16<Float>(repeating: 8.5), top = SIMD16<Int32>(repeating: 15)
        j = 0
        while j < half {
            // Two f32 roundings (product, then + 8.5), as gguf's numpy rule does; no FMA here.
            let lo = laneMin(truncToInt((load16(src + j) * id) + bias), top)
            let hi = laneMin(truncToInt((load16(src + j + half) * id) + bias), top)
            storeBytes(lo | (hi &<< 4), codes + j)
            j += 16
        }
        return Half.bits(d)
    }

    @inline(__always) static func decodeNibbles(_ codes: UnsafePointer<UInt8>, count: Int, scale: Float, into y: UnsafeMutablePointer<Float>) {
        let half = count / 2
        let d = SIMD16<Float>(repeating: scale), eight = SIMD16<Int32>(repeating: 8), mask = SIMD16<Int32>(repeating: 15)
        var j = 0
        while j < half {
            let c = loadUInt8(codes + j)
            store16(d * toFloat((c & mask) &- eight), y + j)
            store16(d * toFloat((c &>> 4) &- eight), y + j + half)
            j += 16
        }
    }

    /// Runs body(block) for every block, in parallel tasks of `blocksPerTask` blocks.
    /// Splits blocks into ranges of `blocksPerTask` run on the kernel threads.
    static func forBlockRanges(_ blocks: Int, _ body: (Range<Int>) -> Void) {
        let tasks = (blocks + blocksPerTask - 1) / blocksPerTask
        KernelThreads.parallelFor(tasks) { t in body(t * blocksPerTask..<min(blocks, (t + 1) * blocksPerTask)) }
    }

    @inline(__always) static func forBlocks(_ blocks: Int, _ body: (Int) -> Void) {
        let tasks = (blocks + blocksPerTask - 1) / blocksPerTask
        KernelThreads.parallelFor(tasks) { t in
            for b in t * blocksPerTask..<min(blocks, (t + 1) * blocksPerTask) { body(b) }
        }
    }
}
