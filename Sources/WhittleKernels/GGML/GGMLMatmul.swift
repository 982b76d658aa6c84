import CKernels

/// Products of f32 activations with a weight matrix stored in any supported ggml type
/// (f32, f16, bf16 or a block type): the one entry point transformer layers call.
public enum GGMLMatmul {
    /// Below this many multiply-adds a product runs on the calling thread. Handing chunks to the
    /// pool's spinning workers costs about a microsecond, so even a decode step's k/v projections
    /// (SmolLM2: 192 x 576, ~5 µs on one thread) are worth splitting.
    static let parallelThreshold = 1 << 16
    /// Tasks per thread of a single-row product (a decode step): a few long runs of weight rows per
    /// thread stream from memory faster than many short ones (SmolLM2 tg128 at 2 threads measured
    /// 10-20% faster with 2 per thread than with 8, and slower again with 16-row tasks).
    static let rowTasksPerThread = 2
    /// Tasks per thread of a batch (prefill): finer, so that uneven tiles still balance.
    static let batchTasksPerThread = 8
    /// Bytes of f32 weight rows one thread widens at a time when f16/bf16 batches go through the
    /// f32 GEMM. Each tile's GEMM packs all of x again, so small tiles cost as much packing as
    /// arithmetic (64 rows: a 1B model's calibration forward ran at half speed); 8 MB stays in L3.
    static let widenTileBytes = 8 << 20

    /// Weight rows per widened tile: as many as `widenTileBytes` holds (a multiple of 64, at most 512),
    /// but no more than an even share of the rows, so that every thread gets a tile.
    static func widenRows(n: Int, k: Int, threads: Int) -> Int {
        let byBytes = widenTileBytes / (4 * max(k, 1)) / 64 * 64
        let share = ((n + threads - 1) / max(threads, 1) + 63) / 64 * 64
        return max(64, min(byBytes, share, 512))
    }

    /// y (m x n) = x (m x k) · Wᵀ, W being n rows of k elements in `type`'s layout at `weights`.
    /// k must be a multiple of the type's block size. Block types quantize x once to Q8_0, Q8_1
    /// or Q8_K (ggml's activation types) and take integer block dot products at the active ISA,
    /// threaded over weight rows; every x row reuses the quantized activations.
    public static func matmul(_ type: GGMLType, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                              weights: UnsafeRawPointer, y: UnsafeMutablePointer<Float>) throws {
        guard type.isSupported else { throw KernelError.unsupportedOption("\(type.upperName) weights are not supported") }
        guard m >= 0, n >= 0, let rowBytes = type.rowBytes(k) else {
            throw KernelError.notBlockMultiple(format: type.description, length: k, block: type.blockSize)
        }
        if m == 0 || n == 0 { return }
        if k == 0 { y.update(repeating: 0, count: m * n); return }
        let isa = KernelISA.active
        let actID = ck_act_type(Int32(type.rawValue))
        guard actID >= 0, let actType = GGMLType(rawValue: UInt32(actID)), let actBytes = actType.rowBytes(k) else {
            // No dot-product kernel for this type (Q8_K, TQ*, integer types): the reference path.
            try referenceRows(type, m: m, n: n, k: k, x: x, weights: weights, rowBytes: rowBytes, y: y)
            return
        }
        switch type {
        case .f32 where m > 1:
            GEMM.sgemm(m: m, n: n, k: k, a: x, lda: k, b: weights.assumingMemoryBound(to: Float.self), ldb: k,
                       transB: true, c: y, ldc: n)
        case .f16 where m >= 4, .bf16 where m >= 4:
            widenedGEMM(bf16: type == .bf16, m: m, n: n, k: k, x: x, weights: weights, y: y, isa: isa)
        default:
            if actType == .f32 {
                blockRows(type, isa: isa, m: m, n: n, k: k, weights: weights, rowBytes: rowBytes, act: UnsafeRawPointer(x), actBytes: actBytes, y: y)
                return
            }
            let act = UnsafeMutableRawPointer.allocate(byteCount: m * actBytes, alignment: 64)
            defer { act.deallocate() }
            for i in 0..<m { quantizeActivationRow(actType, isa: isa, x + i * k, k: k, into: act + i * actBytes) }
            blockRows(type, isa: isa, m: m, n: n, k: k, weights: weights, rowBytes: rowBytes, act: UnsafeRawPointer(act), actBytes: actBytes, y: y)
        }
    }

    /// The activation block type a weight type's dot product takes (Q8_0, Q8_1, Q8_K, or f32), if it has one.
    public static func activationType(for type: GGMLType) -> GGMLType? {
        let id = ck_act_type(Int32(type.rawValue))
        return id < 0 ? nil : GGMLType(rawValue: UInt32(id))
    }

    /// One weight row in `type` dotted with one activation row already in `activationType(for: type)`,
    /// at `isa` (the kernels' building block, exposed so tests can check each level).
    public static func dot(_ type: GGMLType, isa: KernelISA, k: Int, weights: UnsafeRawPointer, activations: UnsafeRawPointer) -> Float {
        ck_vec_dot(isa.rawValue, Int32(type.rawValue), k, weights, activations)
    }

    /// `rows` weight rows (rowBytes apart) dotted with one activation row through the GEMV kernel
    /// (`ck_block_gemm`, which prepares the activations once for Q4_0/Q5_0), at `isa`, for tests.
    public static func rowDots(_ type: GGMLType, isa: KernelISA, k: Int, rows: Int, weights: UnsafeRawPointer, rowBytes: Int,
                               activations: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        ck_block_gemm(isa.rawValue, Int32(type.rawValue), k, weights, rowBytes, 0, rows, activations, 0, 1, y, 1)
    }

    /// Quantizes k floats to the activation blocks `type`'s dot product takes (ggml's reference rounding).
    public static func quantizeActivations(for type: GGMLType, _ x: UnsafePointer<Float>, k: Int, into out: UnsafeMutableRawPointer) {
        ck_quantize_act(ck_act_type(Int32(type.rawValue)), x, out, k)
    }

    /// One activation row to `actType` blocks: Q8_0 by the vectorized quantizer (the same bytes as
    /// ggml's reference rounding for finite blocks), the rest, and any block from a NaN or infinity
    /// on, by the reference.
    static func quantizeActivationRow(_ actType: GGMLType, isa: KernelISA, _ x: UnsafePointer<Float>, k: Int,
                                      into out: UnsafeMutableRawPointer) {
        var done = 0
        if actType == .q8_0 {
            done = ck_quantize_q8_0(isa.rawValue, x, out.assumingMemoryBound(to: UInt8.self), k / 32)
        }
        if done * 32 < k {
            ck_quantize_act(Int32(actType.rawValue), x + done * 32, out + done * 34, k - done * 32)  // done > 0 only for Q8_0 (34-byte blocks)
        }
    }

    /// Rows of block dot products split over threads; each task covers all m activation rows
    /// for its weight rows. Q4_0 and Q5_0 prepare the activations once and take panels of 8 weight
    /// rows (ck_offset_gemm), so their task edges are multiples of 8. Batches of Q8_0 take tiles of
    /// 2 weight rows x 2-4 activation rows (ck_block_gemm_batched), so task edges are even. Either
    /// way a batch row is bit-identical to the same row computed alone. A single Q8_0 row
    /// (generation) stays row by row: tiles of 4 weight rows x 1 measured slower once the weights
    /// stream from memory rather than cache.
    static func blockRows(_ type: GGMLType, isa: KernelISA, m: Int, n: Int, k: Int, weights: UnsafeRawPointer, rowBytes: Int,
                          act: UnsafeRawPointer, actBytes: Int, y: UnsafeMutablePointer<Float>) {
        let tasks = m * n * k < parallelThreshold ? 1 : min(n, KernelThreads.count * (m == 1 ? rowTasksPerThread : batchTasksPerThread))
        if ck_offset_supported(isa.rawValue, Int32(type.rawValue)) != 0 {
            let prepBytes = ck_offset_act_bytes(k)
            let prep = UnsafeMutableRawPointer.allocate(byteCount: max(m * prepBytes, 1), alignment: 64)
            defer { prep.deallocate() }
            ck_offset_prepare(Int32(type.rawValue), k, act, actBytes, m, prep)
            func panelEdge(_ t: Int) -> Int { t == tasks ? n : (n * t / tasks) & ~7 }
            KernelThreads.parallelFor(tasks) { t in
                _ = ck_offset_gemm(isa.rawValue, Int32(type.rawValue), k, weights, rowBytes, panelEdge(t), panelEdge(t + 1), prep, m, y, n)
            }
            return
        }
        func edge(_ t: Int) -> Int { t == tasks ? n : (n * t / tasks) & ~1 }
        KernelThreads.parallelFor(tasks) { t in
            ck_block_gemm_batched(isa.rawValue, Int32(type.rawValue), k, weights, rowBytes, edge(t), edge(t + 1), act, actBytes, m, y, n)
        }
    }

    /// f16/bf16 batches: widen a tile of weight rows at a time to f32 (F16C) and run the f32 GEMM on
    /// them. Every output is the same FMA chain whatever the tile, so the tile size changes no bits.
    static func widenedGEMM(bf16: Bool, m: Int, n: Int, k: Int, x: UnsafePointer<Float>, weights: UnsafeRawPointer,
                            y: UnsafeMutablePointer<Float>, isa: KernelISA) {
        let tileRows = widenRows(n: n, k: k, threads: KernelThreads.count)
        let tiles = (n + tileRows - 1) / tileRows
        let tasks = min(tiles, KernelThreads.count)
        let kernel = GEMMKernel(isa)
        let halves = weights.assumingMemoryBound(to: UInt16.self)
        KernelThreads.parallelFor(tasks) { t in
            withScratch(tileRows * k) { wf in
                var tile = t
                while tile < tiles {
                    let r0 = tile * tileRows, rows = min(tileRows, n - r0)
                    ck_widen(isa.rawValue, bf16 ? 1 : 0, halves + r0 * k, wf, rows * k)
                    GEMM.blocked(m: m, n: rows, k: k, a: x, lda: k, transA: false, b: wf, ldb: k, transB: true,
                                 c: y + r0, ldc: n, beta: 0, kernel: kernel)
                    tile += tasks
                }
            }
        }
    }

    /// The reference: decode each weight row to f32 and take f32 dot products with every x row.
    static func referenceRows(_ type: GGMLType, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                              weights: UnsafeRawPointer, rowBytes: Int, y: UnsafeMutablePointer<Float>) throws {
        let tasks = min(n, KernelThreads.count * 4)
        KernelThreads.parallelFor(tasks) { t in
            let lo = n * t / tasks, hi = n * (t + 1) / tasks
            let row = UnsafeMutablePointer<Float>.allocate(capacity: max(k, 1))
            defer { row.deallocate() }
            for r in lo..<hi {
                GGMLCodec.dequantize(type, weights + r * rowBytes, row, count: k)
                for i in 0..<m {
                    let xi = x + i * k
                    var s: Float = 0
                    for j in 0..<k { s += xi[j] * row[j] }
                    y[i * n + r] = s
                }
            }
        }
    }
}
