import Foundation
import WhittleData
import WhittleFormats
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// The memory-lean GPTQ path: the f32 in-place inverse factor against the f64 reference, its
/// damping retry, the f32 Hessian accumulator, and the block-by-block driver's limits
/// (`max_memory` refuses before any weight changes; `blocks` processes only the first blocks).
final class GPTQMemoryTests: XCTestCase {
    var rng: UInt64 = 7
    func gaussian() -> Double {
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let u1 = Double(rng >> 11) / Double(1 << 53) + 1e-12
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let u2 = Double(rng >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// H = XᵀX/rows + small ridge, X with correlated columns (a realistic Hessian).
    func randomSPD(_ n: Int, rows: Int) -> [Double] {
        var x = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let common = gaussian()
            for j in 0..<n { x[r * n + j] = gaussian() + 0.5 * common }
        }
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n {
            var s = 0.0
            for r in 0..<rows { s += x[r * n + i] * x[r * n + j] }
            h[i * n + j] = s / Double(rows); h[j * n + i] = s / Double(rows)
        } }
        return h
    }

    /// Largest |a − b| relative to the largest |b|, over the upper triangle.
    func upperError(_ a: [Float], _ b: [Float], _ n: Int) -> Double {
        var err = 0.0, scale = 0.0
        for i in 0..<n { for j in i..<n {
            err = max(err, abs(Double(a[i * n + j]) - Double(b[i * n + j])))
            scale = max(scale, abs(Double(b[i * n + j])))
        } }
        return err / scale
    }

    func testFloatInPlaceFactorMatchesTheDoubleOne() throws {
        // 300: two full tiles of 128 and a partial one, so every blocked path runs.
        let n = 300
        let h = randomSPD(n, rows: 600)
        let (u64, p64) = try SPD.dampedInverseUpper(h, n, percent: 0.01)
        var u32 = h.map { Float($0) }
        let p32 = try SPD.dampedInverseUpper(inPlace: &u32, n, percent: 0.01)
        XCTAssertEqual(p32, p64)
        XCTAssertLessThan(upperError(u32, u64, n), 1e-4)
        for i in 0..<n { for j in 0..<i { XCTAssertEqual(u32[i * n + j], 0) } }
        // Uᵀ U is the damped inverse: (H + damp I) · Uᵀ U = I.
        let meanDiag = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        var worst = 0.0
        for i in stride(from: 0, to: n, by: 37) {
            // Column i of Uᵀ U, then row i of (H + damp I) times it.
            var col = [Double](repeating: 0, count: n)
            for k in 0...i { let uki = Double(u32[k * n + i]); for j in k..<n { col[j] += uki * Double(u32[k * n + j]) } }
            for r in 0..<n {
                var s = 0.0
                for k in 0..<n { s += (h[r * n + k] + (r == k ? 0.01 * meanDiag : 0)) * col[k] }
                worst = max(worst, abs(s - (r == i ? 1 : 0)))
            }
        }
        XCTAssertLessThan(worst, 1e-3)
    }

    func testDampingRetryOnAnIndefiniteHessian() throws {
        // H = I − 1.05·u uᵀ has one eigenvalue −0.05: damping 1% of the mean diagonal fails,
        // 10% succeeds; the retry must start again from the untouched H (kept in the upper half).
        let n = 200
        var u = (0..<n).map { _ in gaussian() }
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / norm }
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { h[i * n + j] = (i == j ? 1 : 0) - 1.05 * u[i] * u[j] } }
        let (u64, p64) = try SPD.dampedInverseUpper(h, n, percent: 0.01)
        var u32 = h.map { Float($0) }
        let p32 = try SPD.dampedInverseUpper(inPlace: &u32, n, percent: 0.01)
        XCTAssertEqual(p64, 0.1, accuracy: 1e-12)
        XCTAssertEqual(p32, p64)
        XCTAssertLessThan(upperError(u32, u64, n), 1e-3)
        // A matrix no damping rescues (negative definite) is an error, not a trap.
        var negative = [Float](repeating: 0, count: n * n)
        for i in 0..<n { negative[i * n + i] = -1 }
        XCTAssertThrowsError(try SPD.dampedInverseUpper(inPlace: &negative, n, percent: 0.01)) { e in
            XCTAssertTrue("\(e)".contains("not positive definite"), "\(e)")
        }
        // GPTQ on a singular (rank-deficient) Hessian retries and quantizes.
        var singular = [Float](repeating: 0, count: 64 * 64)
        for i in 0..<64 { for j in 0..<64 { singular[i * 64 + j] = Float(u[i] * u[j]) } }
        let w = (0..<(4 * 64)).map { Float($0 % 9) - 4 }
        let r = try GPTQ.quantize(w, rows: 4, cols: 64, hessian: &singular, grid: try XCTUnwrap(QuantGrids.grid(named: "q8_0")))
        XCTAssertGreaterThanOrEqual(r.damp, 0.01)
        XCTAssertTrue(r.values.allSatisfy { $0.isFinite })
    }

    func testFloatAccumulatorMatchesTheDoubleHessian() throws {
        // 300 columns: two bands of the upper triangle (256 + 44), so band edges are covered.
        let cols = 300, rows = 700
        let x = (0..<(rows * cols)).map { _ in Float(gaussian()) }
        var acc = try HessianAccumulator(cols: cols)
        x.withUnsafeBufferPointer { acc.add($0.baseAddress!, rows: 300); acc.add($0.baseAddress! + 300 * cols, rows: rows - 300) }
        var exact = [Double](repeating: 0, count: cols * cols)
        for r in 0..<rows { for i in 0..<cols { for j in 0..<cols { exact[i * cols + j] += 2 * Double(x[r * cols + i]) * Double(x[r * cols + j]) / Double(rows) } } }
        let copy = acc.hessianF32(), d = acc.hessian()
        for k in 0..<(cols * cols) {
            XCTAssertEqual(Double(copy[k]), exact[k], accuracy: 1e-4)
            XCTAssertEqual(d[k], exact[k], accuracy: 1e-4)
        }
        let taken = acc.takeHessian()
        XCTAssertEqual(taken, copy)
        for i in 0..<cols { for j in 0..<cols { XCTAssertEqual(taken[i * cols + j], taken[j * cols + i]) } }
    }

    func tokens(_ n: Int, seed: UInt64, vocab: Int) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    func testMaxMemoryRefusesBeforeAnyWeightChangesAndBlocksLimitsTheRun() throws {
        let dir = try RandomLlama.write(hidden: 64, ffn: 96, vocab: 96, layers: 2)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lm = try LanguageModelLoader.load(path: dir)
        let d = try XCTUnwrap(lm.decoder)
        let before = d.blockProjections(0).flatMap { $0.map { $0.projection.weight.value.dtype } }
        let calib = try TokenWindows(tokens: tokens(64 * 8, seed: 1, vocab: 96), ctx: 64, count: 8, seed: 3, source: "test")
        let registry = PassRegistry(BuiltinPasses.all())
        var logged: [String] = []
        let context = PassContext(log: { logged.append($0) })
        XCTAssertThrowsError(try registry.run("quantize.gptq", on: lm, options: ["data": .windows(calib), "max_memory": .string("10K")],
                                              context: context)) { e in
            XCTAssertTrue("\(e)".contains("over max_memory 10.0 kB"), "\(e)")
        }
        XCTAssertEqual(d.blockProjections(0).flatMap { $0.map { $0.projection.weight.value.dtype } }, before)
        XCTAssertThrowsError(try registry.run("quantize.gptq", on: lm, options: ["data": .windows(calib), "max_memory": .string("lots")]))
        // The planned bytes, as printed, fit a budget of their own size and not one byte less.
        let plan = CalibrationPlan(d, windows: 8, tokens: 64, blocks: 1, hessians: true, outputBytesPerWeight: 18.0 / 32)
        XCTAssertThrowsError(try DecoderCompression.gptq(d, windows: calib.windows, grid: try XCTUnwrap(QuantGrids.grid(named: "q4_0")),
                                                         options: GPTQ.Options(), limits: .init(blocks: 1, maxMemory: plan.charged - 1), log: { _ in }))
        let report = try registry.run("quantize.gptq", on: lm, options: ["data": .windows(calib), "blocks": .integer(1),
                                                                           "max_memory": .string("\(plan.charged)")], context: context)
        XCTAssertEqual(report.rows.count, 7)
        for group in d.blockProjections(0) { for (name, p) in group { XCTAssertEqual(p.weight.value.dtype, .q4_0, name) } }
        for group in d.blockProjections(1) { for (name, p) in group { XCTAssertNotEqual(p.weight.value.dtype, .q4_0, name) } }
        XCTAssertTrue(logged.contains { $0.contains("1 of 2 blocks") && $0.contains("needs about") }, "\(logged)")
        XCTAssertTrue(logged.contains { $0.contains("block 1/1 done") && $0.contains("calibration tokens/s") }, "\(logged)")
    }
}
