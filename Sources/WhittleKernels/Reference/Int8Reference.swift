/// Integer and quantized-product references: the specification of `Int8GEMM` and `QuantMatmul`.
extension Reference {
    /// out[i][j] = sum_p x[i][p] * w[j][p] in Int32 (x: m x k, w: n x k, row-major).
    public static func gemmI8(m: Int, n: Int, k: Int, x: UnsafePointer<Int8>, w: UnsafePointer<Int8>, out: UnsafeMutablePointer<Int32>) {
        for i in 0..<m {
            for j in 0..<n {
                var s: Int32 = 0
                for p in 0..<k { s += Int32(x[i * k + p]) * Int32(w[j * k + p]) }
                out[i * n + j] = s
            }
        }
    }

    /// The int8 Linear: per-row symmetric activation quantization, exact integer products,
    /// then y = Float(sum_p xq*(wq - zero)) * (sx * sw).
    public static func linearInt8(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Int8>,
                                  scales: UnsafePointer<Float>, zeros: UnsafePointer<Int8>?, y: UnsafeMutablePointer<Float>) {
        var q = [Int8](repeating: 0, count: max(k, 1))
        for i in 0..<m {
            let sx = quantizeRowInt8(x + i * k, count: k, into: &q)
            for j in 0..<n {
                var s: Int32 = 0
                let z = Int32(zeros?[j] ?? 0)
                for p in 0..<k { s += Int32(q[p]) * (Int32(w[j * k + p]) - z) }
                y[i * n + j] = Float(s) * (sx * scales[j])
            }
        }
    }

    /// y (m x n) = x (m x k) · Wᵀ for W as n rows of Q8_0 or Q4_0 blocks, with x quantized to Q8_0
    /// per block (as ggml does): y = sum over blocks of dw * dx * sum(qw * qx), summed in Double.
    public static func matmulQuant(format: QuantFormat, m: Int, n: Int, k: Int, x: UnsafePointer<Float>,
                                   weights: UnsafeRawPointer, y: UnsafeMutablePointer<Float>) throws {
        let nb = k / 32
        var xb = [UInt8](repeating: 0, count: nb * 34)
        var wq = [Float](repeating: 0, count: 32)
        for i in 0..<m {
            try quantizeQ8_0(x + i * k, count: k, into: &xb)
            for j in 0..<n {
                var acc = 0.0
                for b in 0..<nb {
                    let dx = Double(Half.float(UInt16(xb[b * 34]) | UInt16(xb[b * 34 + 1]) << 8))
                    let blk = weights + (j * nb + b) * format.blockBytes
                    let dw = Double(Half.float(UInt16(littleEndian: blk.loadUnaligned(as: UInt16.self))))
                    // Integer codes: dequantize with scale 1 to read them back.
                    try wq.withUnsafeMutableBufferPointer { wb in
                        var one = [UInt8](repeating: 0, count: format.blockBytes)
                        one.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: blk, count: format.blockBytes)) }
                        one[0] = 0x00; one[1] = 0x3C   // f16 1.0
                        if format == .q8_0 { try dequantizeQ8_0(one, count: 32, into: wb.baseAddress!) } else { try dequantizeQ4_0(one, count: 32, into: wb.baseAddress!) }
                    }
                    var s = 0
                    for l in 0..<32 { s += Int(wq[l]) * Int(Int8(bitPattern: xb[b * 34 + 2 + l])) }
                    acc += dw * dx * Double(s)
                }
                y[i * n + j] = Float(acc)
            }
        }
    }
}

/// The ggml block formats a quantized matmul can read.
public enum QuantFormat: Sendable {
    case q8_0, q4_0
    /// Bytes per 32-value block.
    public var blockBytes: Int { self == .q8_0 ? BlockQ8_0.bytes : BlockQ4_0.bytes }
}
