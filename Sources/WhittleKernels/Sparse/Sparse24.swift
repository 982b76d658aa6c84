/// 2:4 semi-structured sparsity: in every aligned group of 4 values of a row at most 2 are nonzero.
/// Stores 2 values per group and a byte of positions, so weights take 9/16 of their dense bytes.
public struct Sparse24Matrix: Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns (a multiple of 4).
    public let cols: Int
    /// rows * cols/2 values: group g of row i keeps values[(i*cols/4 + g)*2 + 0...1].
    public let values: [Float]
    /// One byte per group: position of the first kept value in bits 0-1, of the second in bits 2-3.
    public let positions: [UInt8]

    /// Errors building a 2:4 matrix.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case columnsNotMultipleOf4(Int)
        case groupTooDense(row: Int, group: Int, nonzeros: Int)
        public var description: String {
            switch self {
            case let .columnsNotMultipleOf4(c): return "2:4 sparsity needs a column count divisible by 4, got \(c)"
            case let .groupTooDense(r, g, n): return "2:4 sparsity: row \(r) group \(g) has \(n) nonzeros (at most 2 allowed)"
            }
        }
    }

    /// Packs a dense matrix that is already 2:4 sparse; throws if a group holds more than 2 nonzeros.
    public init(dense: UnsafePointer<Float>, rows: Int, cols: Int) throws {
        guard cols % 4 == 0 else { throw Error.columnsNotMultipleOf4(cols) }
        self.rows = rows; self.cols = cols
        let groups = rows * cols / 4
        var vs = [Float](repeating: 0, count: groups * 2), ps = [UInt8](repeating: 0, count: groups)
        for g in 0..<groups {
            let src = dense + g * 4
            var kept = 0, pos0: UInt8 = 0, pos1: UInt8 = 1
            for l in 0..<4 where src[l] != 0 {
                guard kept < 2 else {
                    throw Error.groupTooDense(row: g / (cols / 4), group: g % (cols / 4), nonzeros: (0..<4).filter { src[$0] != 0 }.count)
                }
                vs[g * 2 + kept] = src[l]
                if kept == 0 { pos0 = UInt8(l) } else { pos1 = UInt8(l) }
                kept += 1
            }
            // An unused slot holds 0 at another position, so decoding adds nothing anywhere.
            if kept == 1 { pos1 = pos0 == 0 ? 1 : 0 }
            ps[g] = pos0 | pos1 << 2
        }
        values = vs; positions = ps
    }

    /// Writes the dense (rows x cols) matrix.
    public func densify(into out: UnsafeMutablePointer<Float>) {
        for g in 0..<rows * cols / 4 {
            for l in 0..<4 { out[g * 4 + l] = 0 }
            out[g * 4 + Int(positions[g] & 3)] += values[g * 2]
            out[g * 4 + Int(positions[g] >> 2 & 3)] += values[g * 2 + 1]
        }
    }

    /// Bytes stored (values + position bytes).
    public var byteCount: Int { values.count * 4 + positions.count }

    /// y = A·x.
    public func spmv(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let gpr = cols / 4
        values.withUnsafeBufferPointer { vb in positions.withUnsafeBufferPointer { pb in
            let vs = vb.baseAddress ?? UnsafePointer(bitPattern: 4)!, ps = pb.baseAddress ?? UnsafePointer(bitPattern: 4)!
            let tasks = rows * cols < 1 << 17 ? 1 : min(rows, KernelThreads.count * 4)
            KernelThreads.parallelFor(tasks) { t in
                for i in rows * t / tasks..<rows * (t + 1) / tasks {
                    // Four independent sums over pairs of groups: the scalar FMA latency, not the loads, bounds this loop.
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                    var g = i * gpr
                    let end = (i + 1) * gpr
                    var base = x
                    while g + 2 <= end {
                        let p = ps[g], q = ps[g + 1]
                        s0 += vs[2 * g] * base[Int(p & 3)]
                        s1 += vs[2 * g + 1] * base[Int(p >> 2 & 3)]
                        s2 += vs[2 * g + 2] * base[4 + Int(q & 3)]
                        s3 += vs[2 * g + 3] * base[4 + Int(q >> 2 & 3)]
                        g += 2; base += 8
                    }
                    if g < end {
                        let p = ps[g]
                        s0 += vs[2 * g] * base[Int(p & 3)]
                        s1 += vs[2 * g + 1] * base[Int(p >> 2 & 3)]
                    }
                    y[i] = (s0 + s1) + (s2 + s3)
                }
            }
        } }
    }
}
