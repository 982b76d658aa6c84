import XCTest
import WhittleKernels

final class SparseTests: XCTestCase {
    func sparseMatrix(_ rng: inout TestRNG, rows: Int, cols: Int, density: Double) -> [Float] {
        (0..<rows * cols).map { _ in Double(rng.next() % 1000) / 1000 < density ? rng.float() : 0 }
    }

    func testCSRSpMVAndSpMMMatchDense() {
        var rng = TestRNG(31)
        for (rows, cols, density) in [(1, 1, 1.0), (7, 13, 0.3), (64, 100, 0.1), (300, 257, 0.05), (5, 9, 0.0)] {
            let a = sparseMatrix(&rng, rows: rows, cols: cols, density: density)
            let csr = CSRMatrix(dense: a, rows: rows, cols: cols)
            XCTAssertEqual(csr.nonzeros, a.filter { $0 != 0 }.count)
            let x = rng.floats(cols)
            var y = [Float](repeating: .nan, count: rows), ref = [Float](repeating: 0, count: rows)
            Sparse.spmv(csr, x: x, y: &y)
            Reference.sgemm(m: rows, n: 1, k: cols, a: a, lda: cols, b: x, ldb: 1, c: &ref, ldc: 1)
            assertClose(y, ref, rel: 1e-5, "spmv \(rows)x\(cols)")
            for n in [1, 5, 16, 37] {
                let b = rng.floats(cols * n)
                var c = [Float](repeating: .nan, count: rows * n), cref = [Float](repeating: 0, count: rows * n)
                Sparse.spmm(csr, b: b, ldb: n, n: n, c: &c, ldc: n)
                Reference.sgemm(m: rows, n: n, k: cols, a: a, lda: cols, b: b, ldb: n, c: &cref, ldc: n)
                assertClose(c, cref, rel: 1e-5, "spmm \(rows)x\(cols) n=\(n)")
            }
        }
    }

    func testTwoFourRoundTripAndSpMV() throws {
        var rng = TestRNG(32)
        let rows = 33, cols = 52   // 13 groups per row: the paired loop and its odd tail
        var a = rng.floats(rows * cols)
        // Keep the two largest magnitudes of every group of 4; some groups keep fewer.
        for g in 0..<rows * cols / 4 {
            let order = (0..<4).sorted { abs(a[g * 4 + $0]) > abs(a[g * 4 + $1]) }
            for l in order[2...] { a[g * 4 + l] = 0 }
            if g % 5 == 0 { a[g * 4 + order[1]] = 0 }
            if g % 11 == 0 { for l in 0..<4 { a[g * 4 + l] = 0 } }
        }
        let s = try Sparse24Matrix(dense: a, rows: rows, cols: cols)
        XCTAssertEqual(s.byteCount, rows * cols / 2 * 4 + rows * cols / 4)
        var back = [Float](repeating: .nan, count: a.count)
        s.densify(into: &back)
        XCTAssertEqual(back, a)
        let x = rng.floats(cols)
        var y = [Float](repeating: .nan, count: rows), ref = [Float](repeating: 0, count: rows)
        s.spmv(x: x, y: &y)
        Reference.sgemm(m: rows, n: 1, k: cols, a: a, lda: cols, b: x, ldb: 1, c: &ref, ldc: 1)
        assertClose(y, ref, rel: 1e-5, "2:4 spmv")
    }

    func testTwoFourRejectsDenseGroupsAndBadWidth() {
        let dense: [Float] = [1, 2, 3, 0, 0, 0, 0, 0]
        XCTAssertThrowsError(try Sparse24Matrix(dense: dense, rows: 1, cols: 8)) {
            XCTAssertEqual($0 as? Sparse24Matrix.Error, .groupTooDense(row: 0, group: 0, nonzeros: 3))
        }
        XCTAssertThrowsError(try Sparse24Matrix(dense: dense, rows: 2, cols: 3))
    }
}

final class ConvPoolTests: XCTestCase {
    /// Direct convolution: the definition the im2col path must reproduce.
    func directConv(_ x: [Float], batch: Int, _ g: ConvGeometry, _ w: [Float], cout: Int, _ bias: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: batch * cout * g.outH * g.outW)
        for b in 0..<batch { for o in 0..<cout { for oy in 0..<g.outH { for ox in 0..<g.outW {
            var s = bias[o]
            for c in 0..<g.channels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
                let iy = oy * g.stride + ky - g.padding, ix = ox * g.stride + kx - g.padding
                if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                    s += x[((b * g.channels + c) * g.height + iy) * g.width + ix] * w[((o * g.channels + c) * g.kernelH + ky) * g.kernelW + kx]
                }
            } } }
            out[((b * cout + o) * g.outH + oy) * g.outW + ox] = s
        } } } }
        return out
    }

    func testConvForwardMatchesDirect() {
        var rng = TestRNG(41)
        let cases = [ConvGeometry(channels: 1, height: 28, width: 28, kernelH: 5, kernelW: 5, stride: 1, padding: 2),
                     ConvGeometry(channels: 6, height: 14, width: 14, kernelH: 5, kernelW: 5),
                     ConvGeometry(channels: 3, height: 9, width: 7, kernelH: 3, kernelW: 2, stride: 2, padding: 1),
                     ConvGeometry(channels: 2, height: 1, width: 1, kernelH: 1, kernelW: 1)]
        for (i, g) in cases.enumerated() {
            let batch = 2, cout = 4 + i
            let x = rng.floats(batch * g.channels * g.height * g.width), w = rng.floats(cout * g.patchSize), bias = rng.floats(cout)
            var out = [Float](repeating: .nan, count: batch * cout * g.outH * g.outW)
            Conv2D.forward(input: x, batch: batch, g, weight: w, outChannels: cout, bias: bias, output: &out)
            assertClose(out, directConv(x, batch: batch, g, w, cout: cout, bias), rel: 1e-4, scale: Float(g.patchSize).squareRoot(), "conv case \(i)")
        }
    }

    /// im2col against its definition, bit for bit: padding wider than the kernel, strides 1-3,
    /// kernels as large as the padded image, 1x1 images and windows that never touch the image.
    func testIm2colMatchesDefinition() {
        var rng = TestRNG(43)
        let cases = [ConvGeometry(channels: 3, height: 7, width: 9, kernelH: 3, kernelW: 3, stride: 1, padding: 1),
                     ConvGeometry(channels: 2, height: 5, width: 4, kernelH: 2, kernelW: 3, stride: 2, padding: 3),
                     ConvGeometry(channels: 1, height: 6, width: 11, kernelH: 5, kernelW: 1, stride: 3, padding: 0),
                     ConvGeometry(channels: 2, height: 1, width: 1, kernelH: 3, kernelW: 3, stride: 1, padding: 2),
                     ConvGeometry(channels: 1, height: 4, width: 4, kernelH: 6, kernelW: 6, stride: 1, padding: 1)]
        for (i, g) in cases.enumerated() {
            let x = rng.floats(g.channels * g.height * g.width)
            var col = [Float](repeating: .nan, count: g.patchSize * g.outH * g.outW)
            Conv2D.im2col(x, g, into: &col)
            var expected = [Float](repeating: 0, count: col.count)
            for c in 0..<g.channels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
                for oy in 0..<g.outH { for ox in 0..<g.outW {
                    let iy = oy * g.stride + ky - g.padding, ix = ox * g.stride + kx - g.padding
                    let r = (c * g.kernelH + ky) * g.kernelW + kx
                    if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                        expected[(r * g.outH + oy) * g.outW + ox] = x[(c * g.height + iy) * g.width + ix]
                    }
                } }
            } } }
            XCTAssertEqual(col, expected, "im2col case \(i)")
        }
    }

    /// The 3x3x64-channel shape of the conv benchmark at every ISA level.
    func testConvForwardMatchesDirectAtEveryISA() {
        var rng = TestRNG(44)
        let g = ConvGeometry(channels: 16, height: 13, width: 11, kernelH: 3, kernelW: 3, stride: 1, padding: 1)
        let cout = 19
        let x = rng.floats(g.channels * g.height * g.width), w = rng.floats(cout * g.patchSize), bias = rng.floats(cout)
        let expected = directConv(x, batch: 1, g, w, cout: cout, bias)
        forEachISA { isa in
            var out = [Float](repeating: .nan, count: cout * g.outH * g.outW)
            Conv2D.forward(input: x, batch: 1, g, weight: w, outChannels: cout, bias: bias, output: &out)
            assertClose(out, expected, rel: 1e-4, scale: Float(g.patchSize).squareRoot(), "conv at \(isa)")
        }
    }

    /// forward packs the GEMM's panels straight from the padded image; it must give the bits of
    /// im2col + GEMM.sgemm (same k blocks, same micro-kernel): strides 1-2, padding, more than one
    /// k block (patch > 256), more than one column block (> 384 positions), output channels that are
    /// not a multiple of the tile, with and without bias, 1 and 2 threads, at every ISA level.
    func testConvForwardEqualsIm2colGEMMBits() {
        var rng = TestRNG(45)
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        let cases: [(ConvGeometry, Int, Bool)] = [
            (ConvGeometry(channels: 40, height: 23, width: 21, kernelH: 3, kernelW: 3, stride: 1, padding: 1), 13, true),
            (ConvGeometry(channels: 3, height: 17, width: 30, kernelH: 5, kernelW: 3, stride: 2, padding: 2), 7, false),
            (ConvGeometry(channels: 64, height: 9, width: 9, kernelH: 3, kernelW: 3, stride: 1, padding: 0), 64, true),
            (ConvGeometry(channels: 1, height: 5, width: 3, kernelH: 1, kernelW: 1, stride: 1, padding: 0), 2, false),
        ]
        for threads in [1, 2] {
            KernelThreads.count = threads
            for (i, (g, cout, hasBias)) in cases.enumerated() {
                let batch = 2, spatial = g.outH * g.outW
                let x = rng.floats(batch * g.channels * g.height * g.width), w = rng.floats(cout * g.patchSize), bias = rng.floats(cout)
                forEachISA { isa in
                    var out = [Float](repeating: .nan, count: batch * cout * spatial)
                    bias.withUnsafeBufferPointer { bp in
                        Conv2D.forward(input: x, batch: batch, g, weight: w, outChannels: cout, bias: hasBias ? bp.baseAddress : nil, output: &out)
                    }
                    var expected = [Float](repeating: 0, count: batch * cout * spatial)
                    var col = [Float](repeating: 0, count: g.patchSize * spatial)
                    for b in 0..<batch {
                        x.withUnsafeBufferPointer { xp in Conv2D.im2col(xp.baseAddress! + b * g.channels * g.height * g.width, g, into: &col) }
                        expected.withUnsafeMutableBufferPointer { ep in
                            let o = ep.baseAddress! + b * cout * spatial
                            if hasBias { for c in 0..<cout { for s in 0..<spatial { o[c * spatial + s] = bias[c] } } }
                            GEMM.sgemm(m: cout, n: spatial, k: g.patchSize, a: w, lda: g.patchSize, b: col, ldb: spatial,
                                       c: o, ldc: spatial, beta: hasBias ? 1 : 0)
                        }
                    }
                    XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "case \(i) at \(isa), \(threads) threads")
                }
            }
        }
    }

    /// col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>.
    func testCol2imIsAdjointOfIm2col() {
        var rng = TestRNG(42)
        let g = ConvGeometry(channels: 2, height: 6, width: 5, kernelH: 3, kernelW: 3, stride: 2, padding: 1)
        let x = rng.floats(g.channels * g.height * g.width), c = rng.floats(g.patchSize * g.outH * g.outW)
        var col = [Float](repeating: 0, count: c.count), img = [Float](repeating: 0, count: x.count)
        Conv2D.im2col(x, g, into: &col)
        Conv2D.col2im(c, g, into: &img)
        let lhs = zip(col, c).reduce(0.0) { $0 + Double($1.0 * $1.1) }, rhs = zip(x, img).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
    }

    func testMaxPoolForwardAndBackward() {
        let g = ConvGeometry(channels: 1, height: 4, width: 5, kernelH: 2, kernelW: 2, stride: 2)
        let x: [Float] = [1, 2, 3, 4, 5,
                          6, -1, 8, 0, 9,
                          -5, -6, -7, -8, 1,
                          -9, -2, -3, -4, 2]
        var y = [Float](repeating: 0, count: 4), arg = [Int32](repeating: -7, count: 4)
        Pool.maxpool2d(x, planes: 1, g, output: &y, argmax: &arg)
        XCTAssertEqual(g.outH, 2); XCTAssertEqual(g.outW, 2)
        XCTAssertEqual(y, [6, 8, -2, -3])
        XCTAssertEqual(arg, [5, 7, 16, 17])
        var gx = [Float](repeating: 0, count: x.count)
        Pool.maxpool2dBackward(gradOutput: [1, 2, 3, 4], argmax: arg, planes: 1, g, gradInput: &gx)
        var expected = [Float](repeating: 0, count: x.count)
        expected[5] = 1; expected[7] = 2; expected[16] = 3; expected[17] = 4
        XCTAssertEqual(gx, expected)
    }
}
