import Foundation
import WhittleKernels

/// GPTQ (Frantar et al. 2022): quantizes a weight matrix column by column, spreading each
/// column's rounding error over the columns not yet quantized through the inverse Hessian of
/// the layer's inputs, in lazy batches of `blockSize` columns (the reference's algorithm).
public struct GPTQ {
    /// Options, as the reference implementation names them.
    public struct Options {
        /// Columns per lazy update batch (the reference's `blocksize`, 128).
        public var blockSize = 128
        /// Damping as a fraction of the mean Hessian diagonal (`percdamp`, 0.01).
        public var damp = 0.01
        /// Process columns in descending Hessian-diagonal order (`act_order`). The grid's
        /// blocks are then fitted once up front ("static groups"), so they stay contiguous.
        public var actOrder = false
        public init() {}
    }

    /// What one run produced.
    public struct Result {
        /// The quantized weights in the grid's stored layout: rows x (cols / blockSize) blocks.
        public var blocks: [UInt8]
        /// The same weights decoded (rows x cols, f32).
        public var values: [Float]
        /// Σ (w − q)² / [H⁻¹]_jj² / 2, the reference's reported loss.
        public var loss: Double
        /// The damping fraction that made the Hessian positive definite.
        public var damp: Double
    }

    /// Quantizes `w` (rows x cols, row-major; rows are output channels) onto `grid` given the
    /// Hessian `h` (cols x cols) of the layer's inputs (f64; converted to f32 for the work).
    public static func quantize(_ w: [Float], rows: Int, cols: Int, hessian h: [Double], grid: QuantGrid,
                                options: Options = Options()) throws -> Result {
        var hf = h.map { Float($0) }
        return try quantize(w, rows: rows, cols: cols, hessian: &hf, grid: grid, options: options)
    }

    /// As `quantize(_:rows:cols:hessian:grid:options:)` with an f32 Hessian that is used as the
    /// work buffer: on return `h` holds the inverse factor, not H. One cols² buffer in all.
    public static func quantize(_ w: [Float], rows: Int, cols: Int, hessian h: inout [Float], grid: QuantGrid,
                                options: Options = Options()) throws -> Result {
        let g = grid.blockSize
        guard cols > 0, rows > 0, cols % g == 0 else {
            throw CalibrationError.invalid("gptq: \(grid.name) needs rows whose length is a multiple of \(g), got \(cols)")
        }
        guard w.count == rows * cols, h.count == cols * cols else { throw CalibrationError.invalid("gptq: weight/hessian sizes disagree") }
        guard options.blockSize > 0, options.blockSize % g == 0 else {
            throw CalibrationError.invalid("gptq: block size \(options.blockSize) must be a positive multiple of \(g)")
        }
        var w = w
        // Dead inputs (never active in calibration): zero weight, unit Hessian diagonal.
        for j in 0..<cols where h[j * cols + j] == 0 {
            h[j * cols + j] = 1
            for r in 0..<rows { w[r * cols + j] = 0 }
        }
        // Column order: identity, or by descending Hessian diagonal.
        var perm = Array(0..<cols)
        var wp: [Float]
        if options.actOrder {
            perm.sort { h[$0 * cols + $0] > h[$1 * cols + $1] }
            // Work in the processing order: W[:, perm], H[perm][:, perm] (H permuted in place).
            wp = [Float](repeating: 0, count: rows * cols)
            for r in 0..<rows { for j in 0..<cols { wp[r * cols + j] = w[r * cols + perm[j]] } }
            h.withUnsafeMutableBufferPointer { SPD.permuteSymmetric($0.baseAddress!, cols, perm) }
        } else {
            wp = w
            w = []
        }
        let damp = try h.withUnsafeMutableBufferPointer { try SPD.dampedInverseUpperInPlace($0.baseAddress!, cols, percent: options.damp) }
        let u = h

        let blocksPerRow = cols / g
        var params = [GridParams](repeating: GridParams(), count: rows * blocksPerRow)
        var fitted = [Bool](repeating: false, count: blocksPerRow)
        if options.actOrder {
            // Static groups: every block fitted on the original weights.
            w.withUnsafeBufferPointer { wb in
                for r in 0..<rows { for b in 0..<blocksPerRow { params[r * blocksPerRow + b] = grid.fit(wb.baseAddress! + r * cols + b * g) } }
            }
            fitted = [Bool](repeating: true, count: blocksPerRow)
        }
        var codes = [Int32](repeating: 0, count: rows * cols)   // in original column order
        var q = [Float](repeating: 0, count: rows * cols)       // in original column order
        var loss = 0.0
        var err = [Float](repeating: 0, count: rows * options.blockSize)
        var scratch = [Float](repeating: 0, count: g)
        var i1 = 0
        while i1 < cols {
            let i2 = min(i1 + options.blockSize, cols), count = i2 - i1
            for i in 0..<count {
                let col = i1 + i, orig = perm[col], block = orig / g
                if !fitted[block] {
                    // Sequential order: the block's columns are col..<col+g, with all updates so far.
                    for r in 0..<rows {
                        for t in 0..<g { scratch[t] = wp[r * cols + col + t] }
                        params[r * blocksPerRow + block] = scratch.withUnsafeBufferPointer { grid.fit($0.baseAddress!) }
                    }
                    fitted[block] = true
                }
                let d = u[col * cols + col]
                for r in 0..<rows {
                    let v = wp[r * cols + col]
                    let (c, qv) = grid.round(v, params[r * blocksPerRow + block], element: orig % g)
                    codes[r * cols + orig] = c; q[r * cols + orig] = qv
                    let e = (v - qv) / d
                    loss += Double((v - qv) * (v - qv)) / Double(d * d) / 2
                    err[r * options.blockSize + i] = e
                    // Spread within the batch: W[r, col+1..<i2] -= e · U[col, col+1..<i2].
                    if e != 0 {
                        let urow = col * cols, wrow = r * cols
                        for j in (col + 1)..<i2 { wp[wrow + j] -= e * u[urow + j] }
                    }
                }
            }
            // Lazy update of the remaining columns: W[:, i2:] -= Err · U[i1:i2, i2:], by the GEMM.
            if i2 < cols {
                lazyUpdate(&wp, err: &err, u: u, rows: rows, cols: cols, i1: i1, i2: i2, stride: options.blockSize)
            }
            i1 = i2
        }
        var blocks = [UInt8](repeating: 0, count: rows * blocksPerRow * grid.blockBytes)
        blocks.withUnsafeMutableBytes { out in
            codes.withUnsafeBufferPointer { cb in
                for r in 0..<rows {
                    for b in 0..<blocksPerRow {
                        grid.encode(params[r * blocksPerRow + b], codes: cb.baseAddress! + r * cols + b * g,
                                    into: out.baseAddress! + (r * blocksPerRow + b) * grid.blockBytes)
                    }
                }
            }
        }
        return Result(blocks: blocks, values: q, loss: loss, damp: damp)
    }

    /// W[:, i2:] -= Err[:, 0..<i2-i1] · U[i1..<i2, i2:] (Err is rows x stride, row-major).
    static func lazyUpdate(_ w: inout [Float], err: inout [Float], u: [Float], rows: Int, cols: Int, i1: Int, i2: Int, stride: Int) {
        let count = i2 - i1
        for k in 0..<err.count { err[k] = -err[k] }
        err.withUnsafeBufferPointer { e in
            u.withUnsafeBufferPointer { ub in
                w.withUnsafeMutableBufferPointer { wb in
                    GEMM.sgemm(m: rows, n: cols - i2, k: count, a: e.baseAddress!, lda: stride,
                               b: ub.baseAddress! + i1 * cols + i2, ldb: cols, c: wb.baseAddress! + i2, ldc: cols, beta: 1)
                }
            }
        }
    }
}
