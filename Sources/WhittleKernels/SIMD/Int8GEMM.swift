import CKernels

/// Int8 weights for an (n x k) matrix (n output channels), packed once for the VNNI kernel:
/// panels of 32 channels, each k-group of 4 stored as 32 x 4 bytes, plus per-channel sums and scales.
public final class PackedInt8Weights: @unchecked Sendable {
    /// Output channels (rows of the original matrix).
    public let n: Int
    /// Inputs per channel.
    public let k: Int
    /// k rounded up to a multiple of 4, in groups of 4.
    public let kq: Int
    /// Panels of 32 channels.
    public let panels: Int
    /// Per-channel f32 scales.
    public let scales: [Float]
    /// Per-channel zero points (all 0 for symmetric weights).
    public let zeros: [Int32]
    /// Sum of each channel's int8 values (zero-padded to whole panels), for the +128 activation offset.
    let columnSums: [Int32]
    let packed: UnsafeMutableRawPointer

    /// Packs row-major int8 values (n x k) with one scale (and optional zero point) per row.
    public init(values: UnsafePointer<Int8>, n: Int, k: Int, scales: UnsafePointer<Float>, zeros: UnsafePointer<Int8>?) {
        self.n = n; self.k = k
        kq = (k + 3) / 4
        panels = (n + 31) / 32
        self.scales = Array(UnsafeBufferPointer(start: scales, count: n))
        self.zeros = (0..<n).map { Int32(zeros?[$0] ?? 0) }
        let bytes = max(panels * kq * 128, 64)
        packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        packed.initializeMemory(as: Int8.self, repeating: 0, count: bytes)
        let dst = packed.assumingMemoryBound(to: Int8.self)
        var sums = [Int32](repeating: 0, count: panels * 32)
        for j in 0..<n {
            let panel = j / 32, col = j % 32
            var s: Int32 = 0
            for p in 0..<k {
                let v = values[j * k + p]
                dst[panel * kq * 128 + (p / 4) * 128 + col * 4 + p % 4] = v
                s += Int32(v)
            }
            sums[j] = s
        }
        columnSums = sums
    }

    deinit { packed.deallocate() }

    /// Bytes of weight data the kernel streams (values, scales and zero points).
    public var weightBytes: Int { n * k + n * 4 }
}

/// Int8 matrix products with i32 accumulation (AVX-512 VNNI `vpdpbusd`, AVX2 `vpmaddubsw`, or scalar).
public enum Int8GEMM {
    /// out[i][j] = sum_p x[i][p] * w[j][p] exactly, for int8 activations x (m x k, row stride ldx).
    public static func matmulI32(m: Int, x: UnsafePointer<Int8>, ldx: Int, weights w: PackedInt8Weights,
                                 out: UnsafeMutablePointer<Int32>) {
        if m == 0 || w.n == 0 { return }
        // Every level is exact on the whole int8 range (the AVX2 GEMM multiplies in 16 bits; its
        // GEMV checks for -128, the one value its 8-bit path cannot take).
        withOffsetRows(m: m, x: x, ldx: ldx, weights: w) { a, lda in
            run(m: m, a: a, lda: lda, w: w, out: out, isa: KernelISA.active)
        }
    }

    /// The 256-bit vpdpbusd kernel run directly (one thread), for tests: `evex` false is the AVX-VNNI
    /// code the AVX2 level takes on such CPUs, true the same code in EVEX form (AVX-512 VNNI + VL).
    /// Returns false, leaving `out` alone, when this CPU lacks that variant.
    public static func matmulI32VNNI256(evex: Bool, m: Int, x: UnsafePointer<Int8>, ldx: Int, weights w: PackedInt8Weights,
                                        out: UnsafeMutablePointer<Int32>) -> Bool {
        if m == 0 || w.n == 0 { return true }
        var ran = false
        withOffsetRows(m: m, x: x, ldx: ldx, weights: w) { a, lda in
            w.columnSums.withUnsafeBufferPointer { cs in
                ran = ck_i8_gemm_vnni256(evex ? 1 : 0, m, w.n, w.kq, a, lda, UnsafePointer(w.packed.assumingMemoryBound(to: Int8.self)),
                                         cs.baseAddress!, 0, w.panels, out, w.n) != 0
            }
        }
        return ran
    }

    /// The activations as the kernels take them: u8 = i8 + 128 (the top bit flipped), rows padded to
    /// kq * 4 bytes with 128, which stands for 0.
    static func withOffsetRows(m: Int, x: UnsafePointer<Int8>, ldx: Int, weights w: PackedInt8Weights,
                               _ body: (UnsafePointer<UInt8>, Int) -> Void) {
        let lda = w.kq * 4
        withBytes(m * lda) { a in
            a.initialize(repeating: 128, count: m * lda)
            for i in 0..<m {
                for p in 0..<w.k { a[i * lda + p] = UInt8(bitPattern: x[i * ldx + p]) ^ 0x80 }
            }
            body(a, lda)
        }
    }

    /// The int8 Linear: y (m x n) = x (m x k, f32) · Wᵀ with x quantized per row on the fly
    /// (symmetric, scale max|row|/127); y[i][j] = Float(acc) * (sx[i] * sw[j]).
    public static func linear(m: Int, x: UnsafePointer<Float>, weights w: PackedInt8Weights, y: UnsafeMutablePointer<Float>) {
        if m == 0 || w.n == 0 { return }
        let lda = w.kq * 4, n = w.n, k = w.k
        withBytes(m * lda) { a in
            let sx = UnsafeMutablePointer<Float>.allocate(capacity: m), rowSums = UnsafeMutablePointer<Int32>.allocate(capacity: m)
            defer { sx.deallocate(); rowSums.deallocate() }
            for i in 0..<m {
                let row = a + i * lda
                (row + k).initialize(repeating: 128, count: lda - k)
                (sx[i], rowSums[i]) = quantizeRowOffset(x + i * k, count: k, into: row)
            }
            // The i32 sums land in y's own bytes and are turned into floats in place, panel by panel,
            // while they are still in cache.
            let raw = UnsafeMutableRawPointer(y)
            w.zeros.withUnsafeBufferPointer { zs in w.scales.withUnsafeBufferPointer { ss in
                let zs = zs.baseAddress!, ss = ss.baseAddress!
                run(m: m, a: a, lda: lda, w: w, out: raw.assumingMemoryBound(to: Int32.self), isa: KernelISA.active) { j0, j1 in
                    for i in 0..<m {
                        let rs = rowSums[i], s = sx[i]
                        var j = j0
                        while j + 16 <= j1 {
                            let acc = raw.loadUnaligned(fromByteOffset: (i * n + j) * 4, as: SIMD16<Int32>.self)
                            let zv = UnsafeRawPointer(zs + j).loadUnaligned(as: SIMD16<Int32>.self)
                            let exact = acc &- zv &* rs
                            let out = toFloat(exact) * (SIMD16<Float>(repeating: s) * load16(ss + j))
                            raw.storeBytes(of: out, toByteOffset: (i * n + j) * 4, as: SIMD16<Float>.self)
                            j += 16
                        }
                        while j < j1 {
                            let acc = raw.load(fromByteOffset: (i * n + j) * 4, as: Int32.self)
                            let exact = acc - zs[j] * rs
                            raw.storeBytes(of: Float(exact) * (s * ss[j]), toByteOffset: (i * n + j) * 4, as: Float.self)
                            j += 1
                        }
                    }
                }
            } }
        }
    }

    /// Quantizes one row symmetrically and stores q + 128 as bytes; returns the scale and sum(q).
    static func quantizeRowOffset(_ x: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<UInt8>) -> (Float, Int32) {
        var mv = SIMD16<Int32>()
        var j = 0
        while j + 16 <= count { mv = laneMax(mv, absBits(load16(x + j))); j += 16 }
        var amax = Float(bitPattern: UInt32(mv.max()))
        while j < count { amax = max(amax, abs(x[j])); j += 1 }
        let scale = amax / 127
        let inv: Float = scale == 0 ? 0 : 1 / scale
        let iv = SIMD16<Float>(repeating: inv), offset = SIMD16<Int32>(repeating: 128)
        var sums = SIMD16<Int32>()
        j = 0
        while j + 16 <= count {
            let q = roundAwayToInt(load16(x + j) * iv)
            sums &+= q
            storeBytes(q &+ offset, u + j)
            j += 16
        }
        var total = sums.wrappedSum()
        while j < count {
            let q = Int32((x[j] * inv).rounded(.toNearestOrAwayFromZero))
            total += q
            u[j] = UInt8(truncatingIfNeeded: q + 128)
            j += 1
        }
        return (scale, total)
    }

    /// Splits the panels over threads; each call covers all m rows for its panels, then runs
    /// `finish(firstColumn, endColumn)` on the columns it produced.
    static func run(m: Int, a: UnsafePointer<UInt8>, lda: Int, w: PackedInt8Weights, out: UnsafeMutablePointer<Int32>,
                    isa: KernelISA, finish: ((Int, Int) -> Void)? = nil) {
        let work = m * w.n * w.kq * 4
        // One task per thread would leave a thread idle at the end; four each balance the load. A single
        // thread takes one task: each call packs its rows of A again.
        let threads = KernelThreads.count
        let tasks = work < 1 << 20 || threads == 1 ? 1 : min(w.panels, threads * 4)
        let panelBase = UnsafePointer(w.packed.assumingMemoryBound(to: Int8.self))
        w.columnSums.withUnsafeBufferPointer { cs in
            let cs = cs.baseAddress!
            KernelThreads.parallelFor(tasks) { t in
                let lo = w.panels * t / tasks, hi = w.panels * (t + 1) / tasks
                if lo < hi {
                    ck_i8_gemm(isa.rawValue, m, w.n, w.kq, a, lda, panelBase, cs, lo, hi, out, w.n)
                    finish?(lo * 32, min(w.n, hi * 32))
                }
            }
        }
    }

    static func withBytes(_ count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
        defer { p.deallocate() }
        body(p)
    }
}

/// True when the int8 kernels run `vpdpbusd` at the active ISA level: AVX-512 VNNI, or AVX-VNNI at the AVX2 level.
public var hasVNNI: Bool { KernelISA.active == .avx512 || (KernelISA.active == .avx2 && KernelISA.features.avxvnni) }
