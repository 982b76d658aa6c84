import WhittleKernels

/// Geometry of a 2-D convolution or pooling window over an NCHW batch.
struct ConvGeometry {
    var batch, channels, height, width, kernel, stride, padding: Int
    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Output positions per image.
    var positions: Int { outHeight * outWidth }
    /// Rows of the column matrix (one per channel and kernel tap).
    var taps: Int { channels * kernel * kernel }
}

/// im2col with the batch folded into the columns: col is taps × (batch·positions),
/// so one GEMM W(cout×taps)·col gives every image's output at once.
enum Im2col {
    static func pack(_ x: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding, oh = g.outHeight, ow = g.outWidth
        let pos = g.positions, bp = g.batch * pos, hw = g.height * g.width
        let rows = g.taps, chunks = min(rows, KernelThreads.count * 4)
        KernelThreads.parallelFor(chunks) { chunk in
            for r in (rows * chunk / chunks)..<(rows * (chunk + 1) / chunks) {
                let c = r / (k * k), ki = (r / k) % k, kj = r % k
                let (lo, hi) = validRange(offset: kj - p, stride: s, count: ow, limit: g.width)
                for b in 0..<g.batch {
                    let src = x + (b * g.channels + c) * hw
                    let dst = col + r * bp + b * pos
                    for oy in 0..<oh {
                        let iy = oy * s - p + ki
                        let d = dst + oy * ow
                        guard iy >= 0 && iy < g.height else { d.update(repeating: 0, count: ow); continue }
                        let srow = src + iy * g.width + kj - p
                        for ox in 0..<lo { d[ox] = 0 }
                        if s == 1 {
                            if hi > lo { copyFloats(d + lo, srow + lo, hi - lo) }
                        } else {
                            for ox in lo..<max(lo, hi) { d[ox] = srow[ox * s] }
                        }
                        for ox in max(lo, hi)..<ow { d[ox] = 0 }
                    }
                }
            }
        }
    }

    /// Adds the column-matrix gradient back onto the input gradient (which starts zeroed).
    /// Parallel over input channels (each owns its taps' rows and its gradient planes), sweeping
    /// each column row in order so that memory is read sequentially.
    static func unpack(_ col: UnsafePointer<Float>, _ g: ConvGeometry, into x: UnsafeMutablePointer<Float>) {
        let k = g.kernel, s = g.stride, p = g.padding, oh = g.outHeight, ow = g.outWidth
        let pos = g.positions, bp = g.batch * pos, hw = g.height * g.width
        let chunks = min(g.channels, KernelThreads.count * 4)
        KernelThreads.parallelFor(chunks) { chunk in
            for c in (g.channels * chunk / chunks)..<(g.channels * (chunk + 1) / chunks) {
                for r in (c * k * k)..<((c + 1) * k * k) {
                    let ki = (r / k) % k, kj = r % k
                    let (lo, hi) = validRange(offset: kj - p, stride: s, count: ow, limit: g.width)
                    for b in 0..<g.batch {
                        let dst = x + (b * g.channels + c) * hw
                        let src = col + r * bp + b * pos
                        for oy in 0..<oh {
                            let iy = oy * s - p + ki
                            guard iy >= 0 && iy < g.height else { continue }
                            let drow = dst + iy * g.width + kj - p
                            let srow = src + oy * ow
                            if s == 1 {
                                for ox in lo..<max(lo, hi) { drow[ox] += srow[ox] }
                            } else {
                                for ox in lo..<max(lo, hi) { drow[ox * s] += srow[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The output columns ox in [lo, hi) whose input column ox·stride + offset lies in [0, limit).
    @inline(__always) static func validRange(offset: Int, stride: Int, count: Int, limit: Int) -> (Int, Int) {
        var lo = 0
        if offset < 0 { lo = (-offset + stride - 1) / stride }
        var hi = count
        // largest ox with ox*stride + offset <= limit - 1
        let last = limit - 1 - offset
        hi = last < 0 ? 0 : min(count, last / stride + 1)
        return (min(lo, count), hi)
    }
}

/// Copies n floats without a memmove call: conv rows are a few elements long, so the
/// call overhead of memmove dominated im2col.
@inline(__always) func copyFloats(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(of: UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { d[i] = s[i]; i += 1 }
}
