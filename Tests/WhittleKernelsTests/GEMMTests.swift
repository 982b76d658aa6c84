import XCTest
import WhittleKernels

final class GEMMTests: XCTestCase {
    /// Runs GEMM.sgemm and Reference.sgemm on the same stored operands (with padding in the
    /// leading dimensions) and compares every element of C, padding included.
    func check(_ m: Int, _ n: Int, _ k: Int, transA: Bool, transB: Bool, beta: Float, seed: UInt64) {
        var rng = TestRNG(seed)
        let aRows = transA ? k : m, aCols = transA ? m : k
        let bRows = transB ? n : k, bCols = transB ? k : n
        let lda = aCols + 3, ldb = bCols + 1, ldc = n + 2
        let a = rng.floats(max(aRows * lda, 1)), b = rng.floats(max(bRows * ldb, 1))
        let c0 = rng.floats(max(m * ldc, 1))
        var ref = c0
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            ref.withUnsafeMutableBufferPointer { cp in
                Reference.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transA: transA,
                                b: bp.baseAddress!, ldb: ldb, transB: transB, c: cp.baseAddress!, ldc: ldc, beta: beta)
            }
        } }
        forEachISA { isa in
            var fast = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                fast.withUnsafeMutableBufferPointer { cp in
                    GEMM.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transA: transA,
                               b: bp.baseAddress!, ldb: ldb, transB: transB, c: cp.baseAddress!, ldc: ldc, beta: beta)
                }
            } }
            // Sums of k products of [-1,1) values: errors scale with sqrt(k), so compare relative to that.
            assertClose(fast, ref, rel: 1e-4, scale: Float(k).squareRoot(),
                        "sgemm \(isa) m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB) beta=\(beta)")
        }
    }

    func testEdgeShapesAllTransposes() {
        let shapes = [(0, 5, 3), (4, 0, 3), (3, 4, 0), (1, 1, 1), (1, 37, 19), (37, 1, 19), (7, 33, 5),
                      (8, 32, 1), (9, 31, 257), (17, 65, 300), (130, 20, 7), (2, 3, 513)]
        var seed: UInt64 = 1
        for (m, n, k) in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1, -0.5] {
                        check(m, n, k, transA: transA, transB: transB, beta: beta, seed: seed)
                        seed += 1
                    }
                }
            }
        }
    }

    func testRandomShapes() {
        var rng = TestRNG(99)
        for s in 0..<24 {
            check(rng.int(1...150), rng.int(1...150), rng.int(1...300), transA: s % 2 == 1, transB: s % 4 >= 2,
                  beta: s % 3 == 0 ? 0 : 0.5, seed: UInt64(100 + s))
        }
    }

    /// Crosses every block boundary (mc, nc, kc) and the multi-threaded split.
    func testLargeBlockedAndThreaded() {
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        for threads in [1, 2] {
            KernelThreads.count = threads
            check(200, 600, 530, transA: false, transB: false, beta: 0, seed: 7)
            check(520, 90, 260, transA: true, transB: true, beta: 1, seed: 8)
            check(1, 1100, 700, transA: true, transB: false, beta: 0, seed: 9)
            check(1100, 1, 700, transA: false, transB: true, beta: 0.25, seed: 10)
        }
    }

    func testZeroKScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        GEMM.sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, c: &c, ldc: 2, beta: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        GEMM.sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, c: &c, ldc: 2, beta: 0)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }
}
