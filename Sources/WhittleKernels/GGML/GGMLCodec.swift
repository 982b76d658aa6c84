/// Row codecs for the ggml block types: the scalar reference quantizers and dequantizers,
/// bit-exact with ggml's `ggml-quants.c` and gguf-py.
///
/// Quantize follows `ggml_quantize_chunk`: without an importance matrix the bytes are gguf-py's for
/// F16, BF16, Q4_0...Q8_0, TQ1_0 and TQ2_0 (identical to ggml's reference) and ggml's
/// `quantize_<type>(…, NULL)` for the K-quants and IQ4 (Q8_K: `quantize_row_q8_K_ref`); with one,
/// ggml's `quantize_<type>(…, imatrix)`, which weighs each column's error (Q8_0, Q8_K, TQ*, F16 and
/// BF16 ignore it, as ggml does).
public enum GGMLCodec {
    /// Decodes `count` elements (a multiple of the type's block size) from ggml blocks at `src`.
    /// Unsupported types decode to NaN (callers refuse them earlier, by name).
    public static func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = count / type.blockSize
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: for i in 0..<count { dst[i] = src.f16(2 * i) }
        case .bf16: for i in 0..<count { dst[i] = BFloat16.float(src.u16(2 * i)) }
        case .q4_0: for b in 0..<blocks { Quantize.dequantizeQ4_0Block(src + 18 * b, dst + 32 * b) }
        case .q8_0: for b in 0..<blocks { Quantize.dequantizeQ8_0Block(src + 34 * b, dst + 32 * b) }
        case .q4_1: Quants32.dequantizeQ4_1(src, dst, blocks: blocks)
        case .q5_0: Quants32.dequantizeQ5(src, dst, blocks: blocks, affine: false)
        case .q5_1: Quants32.dequantizeQ5(src, dst, blocks: blocks, affine: true)
        case .q2_K: KDequant.q2_K(src, dst, blocks: blocks)
        case .q3_K: KDequant.q3_K(src, dst, blocks: blocks)
        case .q4_K: KDequant.q45_K(src, dst, blocks: blocks, bits: 4)
        case .q5_K: KDequant.q45_K(src, dst, blocks: blocks, bits: 5)
        case .q6_K: KDequant.q6_K(src, dst, blocks: blocks)
        case .q8_K: KDequant.q8_K(src, dst, blocks: blocks)
        case .iq4_nl: IQ4Quants.dequantizeNL(src, dst, blocks: blocks)
        case .iq4_xs: IQ4Quants.dequantizeXS(src, dst, blocks: blocks)
        case .tq1_0: TernaryQuants.dequantizeTQ1_0(src, dst, blocks: blocks)
        case .tq2_0: TernaryQuants.dequantizeTQ2_0(src, dst, blocks: blocks)
        default: dst.update(repeating: .nan, count: count)
        }
    }

    /// True when `type`'s quantizer reads an importance matrix (ggml's quant_weights).
    public static func usesImportance(_ type: GGMLType) -> Bool {
        switch type {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs: return true
        default: return false
        }
    }

    /// True for the types `quantize` can write.
    public static func canQuantize(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
             .iq4_nl, .iq4_xs, .tq1_0, .tq2_0: return true
        default: return false
        }
    }

    /// Encodes `count` floats (rows of `rowLength`, default one row) into `type`'s blocks at `dst`
    /// (`type.rowBytes(rowLength)` bytes per row). `importance`, when given, holds `rowLength` weights
    /// (an imatrix column vector) shared by every row.
    public static func quantize(_ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int,
                                rowLength: Int? = nil, importance: UnsafePointer<Float>? = nil) throws {
        guard canQuantize(type) else { throw KernelError.unsupportedOption("quantizing to \(type.upperName) is not supported") }
        let n = rowLength ?? count
        guard n > 0 || count == 0 else { throw KernelError.unsupportedOption("\(type.description): row length must be positive") }
        if count == 0 { return }
        guard count % n == 0 else {
            throw KernelError.unsupportedOption("\(type.description): \(count) elements are not whole rows of \(n)")
        }
        guard let rowBytes = type.rowBytes(n) else {
            throw KernelError.notBlockMultiple(format: type.description, length: n, block: type.blockSize)
        }
        let rows = count / n
        let qw = usesImportance(type) ? importance : nil
        if type.blockSize > 1 {
            // ggml's block searches assume finite input (its results on NaN or infinity are meaningless).
            for i in 0..<count where !src[i].isFinite {
                throw KernelError.unsupportedOption("\(type.description): element \(i) is \(src[i]); block types need finite values")
            }
        }
        if let qw {
            for i in 0..<n where !qw[i].isFinite {
                throw KernelError.unsupportedOption("\(type.description): importance weight \(i) is \(qw[i]), not a finite number")
            }
        }
        if qw == nil {
            // Without weights every quantizer is block-local: split the whole run into chunks of blocks.
            let blocks = count / type.blockSize
            let perTask = max(1, 65536 / type.blockSize)
            let tasks = (blocks + perTask - 1) / perTask
            KernelThreads.parallelFor(tasks) { t in
                let lo = t * perTask, hi = min(blocks, lo + perTask)
                let elements = (hi - lo) * type.blockSize
                quantizeRun(type, src + lo * type.blockSize, dst + lo * type.blockBytes, elements, nil)
            }
        } else {
            KernelThreads.parallelFor(rows) { r in
                quantizeRun(type, src + r * n, dst + r * rowBytes, n, qw)
            }
        }
    }

    /// One run of `n` elements: a whole row when `qw` is given, else any whole number of blocks.
    static func quantizeRun(_ type: GGMLType, _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int,
                            _ qw: UnsafePointer<Float>?) {
        let blocks = n / type.blockSize
        switch type {
        case .f32: y.copyMemory(from: x, byteCount: 4 * n)
        case .f16: for i in 0..<n { y.storeU16(Half.bits(x[i]), at: 2 * i) }
        case .bf16: for i in 0..<n { y.storeU16(BFloat16.bits(x[i]), at: 2 * i) }
        case .q8_0: for b in 0..<blocks { Quantize.q8_0Block(x + 32 * b, y + 34 * b) }
        case .q4_0:
            if let qw { Quants32.symmetricRow(x, y, n, qw, fiveBit: false) } else {
                for b in 0..<blocks { Quantize.q4_0Block(x + 32 * b, y + 18 * b) }
            }
        case .q5_0:
            if let qw { Quants32.symmetricRow(x, y, n, qw, fiveBit: true) } else {
                let q = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
                defer { q.deallocate() }
                for b in 0..<blocks { Quants32.q5_0Block(x + 32 * b, y + 22 * b, q) }
            }
        case .q4_1:
            if let qw { Quants32.affineRow(x, y, n, qw, fiveBit: false) } else {
                for b in 0..<blocks { Quants32.q4_1Block(x + 32 * b, y + 20 * b) }
            }
        case .q5_1:
            if let qw { Quants32.affineRow(x, y, n, qw, fiveBit: true) } else {
                let q = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
                defer { q.deallocate() }
                for b in 0..<blocks { Quants32.q5_1Block(x + 32 * b, y + 24 * b, q) }
            }
        case .q2_K: KQuants.q2_K(x, y, n, qw, KQuants.Scratch())
        case .q3_K: KQuants.q3_K(x, y, n, qw, KQuants.Scratch())
        case .q4_K: KQuants.q45_K(x, y, n, qw, KQuants.Scratch(), bits: 4)
        case .q5_K: KQuants.q45_K(x, y, n, qw, KQuants.Scratch(), bits: 5)
        case .q6_K: KQuants.q6_K(x, y, n, qw, KQuants.Scratch())
        case .q8_K: KQuants.q8_K(x, y, n)
        case .iq4_nl: IQ4Quants.nlRow(x, y, n, qw, IQ4Quants.Scratch())
        case .iq4_xs: IQ4Quants.xsRow(x, y, n, qw, IQ4Quants.Scratch())
        case .tq1_0: TernaryQuants.tq1_0(x, y, blocks: blocks)
        case .tq2_0: TernaryQuants.tq2_0(x, y, blocks: blocks)
        default: break
        }
    }
}
