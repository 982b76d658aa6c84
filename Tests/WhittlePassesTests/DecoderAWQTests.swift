import Foundation
import WhittleData
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// AWQ on small random Llamas (GQA: 4 query heads over 2 key/value heads): folding scales is
/// exact, AWQ changes the logits less than round-to-nearest on the same grid, and bad options
/// fail before any weight changes.
final class DecoderAWQTests: XCTestCase {
    let hidden = 64, ffn = 96, vocab = 96

    func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    func logits(_ lm: LanguageModel, _ seqs: [[Int]]) throws -> [[Float]] {
        try seqs.map { let t = try lm.logits($0); return Array(UnsafeBufferPointer(start: t.floats, count: t.count)) }
    }

    static func squaredDistance(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var s = 0.0
        for (x, y) in zip(a, b) { for (u, v) in zip(x, y) { let d = Double(u - v); s += d * d } }
        return s
    }

    func testFoldingScalesWithoutQuantizingKeepsTheLogits() throws {
        let lm = try LanguageModelLoader.load(path: try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: 2))
        let d = try XCTUnwrap(lm.decoder)
        let held = (0..<3).map { tokens(24, seed: 50 + UInt64($0)) }
        let before = try logits(lm, held)
        var g = Synthetic.Gauss(s: 9)
        func scales(_ n: Int) -> [Float] { (0..<n).map { _ in Float(exp(Double(g.next()))) } }
        for b in 0..<d.blockCount {
            let p = try XCTUnwrap(d.blockParts(b))
            let s0 = scales(hidden), s2 = scales(hidden), s3 = scales(ffn), s1 = scales(p.kvHeads * p.headDim)
            try ScaleFolding.divideNorm(p.attentionNorm, by: s0)
            for l in [p.q, p.k, p.v] { try ScaleFolding.multiplyColumns(l, by: s0) }
            try ScaleFolding.divideRows(p.v, by: s1)
            let tie = ScaleFolding.headTie(heads: p.heads, kvHeads: p.kvHeads, headDim: p.headDim)
            try ScaleFolding.multiplyColumns(p.o, by: tie.map { s1[$0] })
            try ScaleFolding.divideNorm(p.mlpNorm, by: s2)
            for l in [p.gate, p.up] { try ScaleFolding.multiplyColumns(l, by: s2) }
            try ScaleFolding.divideRows(p.up, by: s3)
            try ScaleFolding.multiplyColumns(p.down, by: s3)
        }
        let after = try logits(lm, held)
        for (x, y) in zip(before, after) { for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-4 * max(1, abs(u))) } }
        XCTAssertGreaterThan(Self.squaredDistance(before, after), 0, "scales were folded")
    }

    func testAWQChangesTheLogitsLessThanRoundToNearest() throws {
        let dir = try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: 2)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try LanguageModelLoader.load(path: dir), awq = try LanguageModelLoader.load(path: dir), rtn = try LanguageModelLoader.load(path: dir)
        let calib = try TokenWindows(tokens: tokens(64 * 24, seed: 1), ctx: 64, count: 24, seed: 3, source: "test")
        let registry = PassRegistry(BuiltinPasses.all())
        let report = try registry.run("quantize.awq", on: awq, options: ["data": .windows(calib), "format": .string("q4_0")])
        XCTAssertEqual(report.rows.count, 14)
        XCTAssertEqual(report.rows.first?.values.first?.1.description, "\"q4_0\"")
        let d = try XCTUnwrap(rtn.decoder), a = try XCTUnwrap(awq.decoder)
        for b in 0..<d.blockCount {
            for group in d.blockProjections(b) {
                for (_, p) in group {
                    let w = try p.weight.value.checkedF32()
                    let q = try Tensor(zeros: w.shape, dtype: .q4_0)
                    try GGMLCodec.quantize(.q4_0, w.floats, q.storage.bytes, count: w.count, rowLength: w.shape[1])
                    p.weight.value = q
                }
            }
            for group in a.blockProjections(b) { for (name, p) in group { XCTAssertEqual(p.weight.value.dtype, .q4_0, name) } }
        }
        let held = (0..<6).map { tokens(64, seed: 100 + UInt64($0)) }
        let b0 = try logits(base, held)
        let eA = Self.squaredDistance(b0, try logits(awq, held)), eR = Self.squaredDistance(b0, try logits(rtn, held))
        XCTAssertLessThan(eA, 0.9 * eR, "awq \(eA) vs rtn \(eR)")
    }

    /// quantize.awq{format="q4_1_zp"}: Q4_1 blocks whose minima are integer zero points (m = -d·z),
    /// which compressed-tensors export then holds as asymmetric int4.
    func testAWQIntoIntegerZeroQ4_1ExportsAsCompressedTensors() throws {
        let dir = try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: 1)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lm = try LanguageModelLoader.load(path: dir)
        let calib = try TokenWindows(tokens: tokens(64 * 4, seed: 1), ctx: 64, count: 4, seed: 3, source: "test")
        let report = try PassRegistry(BuiltinPasses.all()).run("quantize.awq", on: lm, options: ["data": .windows(calib), "format": .string("q4_1_zp")])
        XCTAssertEqual(report.rows.count, 7)
        for (name, p) in lm.module.parameters() where name.hasSuffix("_proj.weight") {
            XCTAssertEqual(p.value.dtype, .q4_1, name)
            let bytes = UnsafeRawPointer(p.value.storage.bytes)
            for b in 0..<(p.value.count / 32) {
                let d = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: b * 20, as: UInt16.self)))
                let m = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: b * 20 + 2, as: UInt16.self)))
                let z = d == 0 ? 0 : -m / d
                XCTAssertTrue(z == z.rounded() && z >= 0 && z <= 15 && m == -d * z, "\(name) block \(b): d \(d) m \(m)")
            }
        }
        let out = NSTemporaryDirectory() + "whittle-awq-zp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = HFExport.Options()
        o.compressedTensors = true
        try HFExport.save(lm, to: out, options: o, provenance: [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
    }

    func testBadOptionsFailBeforeAnyWeightChanges() throws {
        // ffn 80 is not a multiple of q4_0's 32-blocks: down_proj's rows cannot be quantized.
        let lm = try LanguageModelLoader.load(path: try RandomLlama.write(hidden: hidden, ffn: 80, vocab: vocab, layers: 2))
        let calib = try TokenWindows(tokens: tokens(32 * 4, seed: 1), ctx: 32, count: 4, seed: 3, source: "test")
        let registry = PassRegistry(BuiltinPasses.all())
        let before = lm.module.parameters().map { $0.parameter.value }
        func unchanged() { for (p, v) in zip(lm.module.parameters(), before) { XCTAssertTrue(p.parameter.value === v, p.name) } }
        XCTAssertThrowsError(try registry.run("quantize.awq", on: lm, options: ["data": .windows(calib)])) { e in
            XCTAssertTrue("\(e)".contains("'model.layers.0.mlp.down_proj' has rows of 80, not a multiple of q4_0's block of 32"), "\(e)")
        }
        unchanged()
        XCTAssertThrowsError(try registry.run("quantize.awq", on: lm, options: ["data": .windows(calib), "format": .string("q3_k")])) { e in
            XCTAssertTrue("\(e)".contains("format"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.awq", on: lm, options: [:])) { e in
            XCTAssertTrue("\(e)".contains("missing calibration data"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.awq", on: lm, options: ["data": .windows(calib), "max_shrink": .number(1.5)])) { e in
            XCTAssertTrue("\(e)".contains("max_shrink"), "\(e)")
        }
        XCTAssertThrowsError(try registry.run("quantize.awq", on: Model([]), options: [:])) { e in
            XCTAssertTrue("\(e)".contains("language models only"), "\(e)")
        }
        unchanged()
    }
}
