import WhittleKernels
import WhittleTensor

/// The eval-mode forward of Linear and Conv2d when their weight has an executable encoding.
enum QuantizedExecution {
    /// y (m × n) = x (m × k) · Wᵀ + b with the encoding's kernel.
    static func linear(_ e: ExecutableEncoding, x: Tensor, m: Int, input: ActivationQuantization?, bias: Tensor?, into y: Tensor) throws {
        guard m > 0 else { return }
        try e.linear(x.floats, count: m, into: y.floats, input: input)
        if let b = bias { addRowVector(y.floats, rows: m, cols: e.matrixRows, b.floats) }
    }

    /// Convolution from im2col columns (taps × batch·positions): the kernels want one row per output
    /// position, so the columns are transposed, multiplied, and scattered back to NCHW with the bias.
    static func conv(_ e: ExecutableEncoding, columns: Tensor, geometry geo: ConvGeometry, input: ActivationQuantization?,
                     bias: Tensor?, into y: Tensor) throws {
        let pos = geo.positions, bp = geo.batch * pos, taps = geo.taps, cout = e.matrixRows
        guard bp > 0 else { return }
        let rows = try Tensor(zeros: [bp, taps]), out = try Tensor(zeros: [bp, cout])
        let c = columns.floats, r = rows.floats
        for t in 0..<taps { for j in 0..<bp { r[j * taps + t] = c[t * bp + j] } }
        try e.linear(r, count: bp, into: out.floats, input: input)
        let o = out.floats, dst = y.floats, bv = bias?.floats
        for b in 0..<geo.batch {
            for ch in 0..<cout {
                let d = dst + (b * cout + ch) * pos, add = bv?[ch] ?? 0
                for p in 0..<pos { d[p] = o[(b * pos + p) * cout + ch] + add }
            }
        }
    }
}
