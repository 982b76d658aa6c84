import WhittleKernels
import WhittleTensor

/// Q4_1 blocks whose minimum is an integer zero point (m = −d·z, z in 0...15, as GPTQ/AWQ's
/// `q4_1_zp` grid writes them) and compressed-tensors' asymmetric `pack-quantized` int4 (value
/// scale·(q − zero point), both signed 4-bit) are the same numbers: scale = d, the unsigned code
/// is the nibble, and the zero point is z − 8, stored + 8 (= z) and packed 8 per int32 along the
/// rows (`pack_to_int32(zero_point, 4, packed_dim=0)` in compressed_tensors' pack_quantized).
enum AsymmetricInt4 {
    /// Why a Q4_1 tensor has no integer zero points: the first block that has none.
    struct NonInteger: Error {
        let row: Int, group: Int, d: Float, m: Float
    }

    /// z of one block, or nil: z = round(−m/d) in 0...15 with f16(−d·z) bit-equal to m (±0 for
    /// z = 0); a block with d = 0 holds only m, so it needs m = ±0 (then z = 0).
    static func zero(dBits: UInt16, mBits: UInt16) -> UInt8? {
        let d = Half.float(dBits), m = Half.float(mBits)
        guard d.isFinite, m.isFinite else { return nil }
        if m == 0 { return 0 }
        guard d != 0 else { return nil }
        let x = (-m / d).rounded(.toNearestOrEven)
        guard x >= 1, x <= 15 else { return nil }
        return Half.bits(-d * x) == mBits ? UInt8(x) : nil
    }

    /// The zero point z of every block of a (rows, cols) Q4_1 tensor, row-major by (row, group).
    static func zeros(_ w: Tensor) throws -> [UInt8] {
        let rows = w.shape[0], groups = w.shape[1] / 32
        let src = UnsafeRawPointer(w.storage.bytes)
        var out = [UInt8](repeating: 0, count: rows * groups)
        for b in 0..<(rows * groups) {
            let block = src + b * 20
            let dBits = UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))
            let mBits = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            guard let z = zero(dBits: dBits, mBits: mBits) else {
                throw NonInteger(row: b / groups, group: b % groups, d: Half.float(dBits), m: Half.float(mBits))
            }
            out[b] = z
        }
        return out
    }

    /// compressed-tensors' `weight_zero_point` for asymmetric int4: (ceil(rows/8), groups) int32,
    /// row r's z (= zero point + 8) at bits 4·(r mod 8) of word (r / 8, group); padding rows are 0.
    static func packZeros(_ z: [UInt8], rows: Int, groups: Int) throws -> Tensor {
        let t = try Tensor(zeros: [(rows + 7) / 8, groups], dtype: .i32)
        let words = t.storage.bytes.assumingMemoryBound(to: UInt32.self)
        for r in 0..<rows {
            for g in 0..<groups {
                words[(r / 8) * groups + g] |= (UInt32(z[r * groups + g]) << (4 * UInt32(r % 8))).littleEndian
            }
        }
        return t
    }

    /// Q4_1 blocks from signed int4 codes (q − 8), f16 scale bits and unsigned zero points z:
    /// d = scale, m = −d·z (+0 for z = 0), nibbles q. The inverse of the export, byte for byte.
    static func blocks(codes q: UnsafePointer<Int8>, scaleBits: [UInt16], zeros z: [UInt8], rows: Int, cols: Int) throws -> Tensor {
        let out = try Tensor(zeros: [rows, cols], dtype: .q4_1)
        let dst = out.storage.bytes
        for b in 0..<(rows * cols / 32) {
            let block = dst + b * 20
            let d = Half.float(scaleBits[b])
            let m: UInt16 = z[b] == 0 ? 0 : Half.bits(-d * Float(z[b]))
            block.storeBytes(of: scaleBits[b].littleEndian, as: UInt16.self)
            block.storeBytes(of: m.littleEndian, toByteOffset: 2, as: UInt16.self)
            let codes = q + b * 32
            for j in 0..<16 {
                let lo = UInt8(Int(codes[j]) + 8) & 0xF, hi = UInt8(Int(codes[j + 16]) + 8) & 0xF
                (block + 4 + j).storeBytes(of: lo | hi << 4, as: UInt8.self)
            }
        }
        return out
    }
}
