import WhittleKernels

/// A block quantization grid that GPTQ/AWQ can round onto one weight at a time: each block of
/// `blockSize` consecutive weights of a row gets its parameters fitted once (from the weights
/// as they are when the block is reached), then every weight is rounded to the nearest value
/// of that block's grid, and the block is written in the format's own bytes (ggml's layouts).
public protocol QuantGrid {
    /// Format name as users write it ("q4_0").
    var name: String { get }
    /// The ggml type the blocks are stored as ("q4_1" for q4_1_zp); `name` for the plain formats.
    var storedAs: String { get }
    /// Weights per block.
    var blockSize: Int { get }
    /// Bytes per block in the stored layout.
    var blockBytes: Int { get }
    /// Fits one block's parameters to `blockSize` weights.
    func fit(_ w: UnsafePointer<Float>) -> GridParams
    /// The code and the value nearest to `v` on the grid of `p`, for element `j` of the block.
    func round(_ v: Float, _ p: GridParams, element j: Int) -> (code: Int32, value: Float)
    /// Writes a block from its parameters and codes.
    func encode(_ p: GridParams, codes: UnsafePointer<Int32>, into out: UnsafeMutableRawPointer)
}

extension QuantGrid {
    public var storedAs: String { name }
}

/// One block's fitted parameters: an f16 scale and (for the offset formats) an f16 minimum,
/// kept both as the stored bits and as the floats the grid is built from.
public struct GridParams {
    /// f16 bits of the scale d.
    public var dBits: UInt16 = 0
    /// f16 bits of the minimum m (Q4_1/Q5_1), else 0.
    public var mBits: UInt16 = 0
    /// The decoded scale.
    public var d: Float { Half.float(dBits) }
    /// The decoded minimum.
    public var m: Float { Half.float(mBits) }
}

/// The grids GPTQ/AWQ can write directly: the ggml 32-element block formats.
public enum QuantGrids {
    /// The grid for a format name, or nil (callers list `names` in their error).
    public static func grid(named name: String) -> QuantGrid? {
        switch name.lowercased() {
        case "q4_0": return SymmetricBlockGrid.q4_0
        case "q5_0": return SymmetricBlockGrid.q5_0
        case "q8_0": return SymmetricBlockGrid.q8_0
        case "q4_1": return OffsetBlockGrid.q4_1
        case "q5_1": return OffsetBlockGrid.q5_1
        case "iq4_nl": return IQ4NLGrid()
        case "q4_1_zp": return IntegerZeroGrid()
        default: return nil
        }
    }

    /// Every supported grid name.
    public static let names = ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl", "q4_1_zp"]
}

@inline(__always) func nearest(_ x: Float, _ lo: Int32, _ hi: Int32) -> Int32 {
    guard x.isFinite else { return x > 0 ? hi : lo }
    return min(hi, max(lo, Int32(x.rounded(.toNearestOrEven))))
}

/// Q4_0 / Q5_0 / Q8_0: value = d·(q − offset), d from the signed extreme as ggml fits it.
public struct SymmetricBlockGrid: QuantGrid {
    public let name: String
    public let blockSize = 32
    public let blockBytes: Int
    let bits: Int
    /// Code offset: 8 (Q4_0), 16 (Q5_0), 0 (Q8_0, whose codes are signed).
    let offset: Int32
    let qmin: Int32, qmax: Int32

    static let q4_0 = SymmetricBlockGrid(name: "q4_0", blockBytes: 18, bits: 4, offset: 8, qmin: 0, qmax: 15)
    static let q5_0 = SymmetricBlockGrid(name: "q5_0", blockBytes: 22, bits: 5, offset: 16, qmin: 0, qmax: 31)
    static let q8_0 = SymmetricBlockGrid(name: "q8_0", blockBytes: 34, bits: 8, offset: 0, qmin: -128, qmax: 127)

    public func fit(_ w: UnsafePointer<Float>) -> GridParams {
        var amax: Float = 0, maxv: Float = 0
        for j in 0..<32 where abs(w[j]) > amax { amax = abs(w[j]); maxv = w[j] }
        // ggml: Q4_0/Q5_0 map the signed extreme onto the most negative code; Q8_0 uses amax/127.
        let d = offset == 0 ? amax / 127 : maxv / -Float(offset)
        return GridParams(dBits: Half.bits(d))
    }

    public func round(_ v: Float, _ p: GridParams, element j: Int) -> (code: Int32, value: Float) {
        let d = p.d
        if d == 0 { return (offset, 0) }
        let q = nearest(v / d + Float(offset), qmin, qmax)
        return (q, d * Float(q - offset))
    }

    public func encode(_ p: GridParams, codes: UnsafePointer<Int32>, into out: UnsafeMutableRawPointer) {
        out.storeBytes(of: p.dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        switch bits {
        case 8: for j in 0..<32 { out.storeBytes(of: Int8(truncatingIfNeeded: codes[j]), toByteOffset: 2 + j, as: Int8.self) }
        case 4: packNibbles(codes, out + 2)
        default:
            var qh: UInt32 = 0
            for j in 0..<32 { qh |= UInt32((codes[j] >> 4) & 1) << UInt32(j) }
            out.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
            packNibbles(codes, out + 6)
        }
    }
}

/// Q4_1 / Q5_1: value = d·q + m, fitted from the block's minimum and maximum.
public struct OffsetBlockGrid: QuantGrid {
    public let name: String
    public let blockSize = 32
    public let blockBytes: Int
    let bits: Int

    static let q4_1 = OffsetBlockGrid(name: "q4_1", blockBytes: 20, bits: 4)
    static let q5_1 = OffsetBlockGrid(name: "q5_1", blockBytes: 24, bits: 5)

    var qmax: Int32 { (1 << Int32(bits)) - 1 }

    public func fit(_ w: UnsafePointer<Float>) -> GridParams {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0..<32 { lo = min(lo, w[j]); hi = max(hi, w[j]) }
        return GridParams(dBits: Half.bits((hi - lo) / Float(qmax)), mBits: Half.bits(lo))
    }

    public func round(_ v: Float, _ p: GridParams, element j: Int) -> (code: Int32, value: Float) {
        let d = p.d, m = p.m
        if d == 0 { return (0, m) }
        let q = nearest((v - m) / d, 0, qmax)
        return (q, d * Float(q) + m)
    }

    public func encode(_ p: GridParams, codes: UnsafePointer<Int32>, into out: UnsafeMutableRawPointer) {
        out.storeBytes(of: p.dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        out.storeBytes(of: p.mBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        if bits == 4 { packNibbles(codes, out + 4); return }
        var qh: UInt32 = 0
        for j in 0..<32 { qh |= UInt32((codes[j] >> 4) & 1) << UInt32(j) }
        out.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
        packNibbles(codes, out + 8)
    }
}

/// IQ4_NL: value = d·K[q] on ggml's fixed non-linear 16-level codebook.
public struct IQ4NLGrid: QuantGrid {
    public let name = "iq4_nl"
    public let blockSize = 32
    public let blockBytes = 18
    /// ggml's kvalues_iq4nl.
    static let levels: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    public func fit(_ w: UnsafePointer<Float>) -> GridParams {
        var amax: Float = 0, maxv: Float = 0
        for j in 0..<32 where abs(w[j]) > amax { amax = abs(w[j]); maxv = w[j] }
        return GridParams(dBits: Half.bits(maxv / -127))
    }

    public func round(_ v: Float, _ p: GridParams, element j: Int) -> (code: Int32, value: Float) {
        let d = p.d
        if d == 0 { return (8, 0) }
        var best: Int32 = 0, bestErr = Float.infinity
        for (i, l) in IQ4NLGrid.levels.enumerated() {
            let e = abs(d * l - v)
            if e < bestErr { bestErr = e; best = Int32(i) }
        }
        return (best, d * IQ4NLGrid.levels[Int(best)])
    }

    public func encode(_ p: GridParams, codes: UnsafePointer<Int32>, into out: UnsafeMutableRawPointer) {
        out.storeBytes(of: p.dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        packNibbles(codes, out + 2)
    }
}

/// ggml's nibble order: byte j holds element j (low) and element j + 16 (high).
@inline(__always) func packNibbles(_ codes: UnsafePointer<Int32>, _ out: UnsafeMutableRawPointer) {
    for j in 0..<16 {
        out.storeBytes(of: UInt8(codes[j] & 15) | UInt8(codes[j + 16] & 15) << 4, toByteOffset: j, as: UInt8.self)
    }
}
