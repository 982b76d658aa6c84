import Foundation
import WhittleData
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// The pruning passes on a small random Llama, through the registry as recipes run them:
/// exact sparsity per tensor, per row and per N:M group, Wanda's scores, SparseGPT's lower
/// error than magnitude pruning, the storage types, and failed runs leaving weights as they were.
final class LanguageModelPruningTests: XCTestCase {
    let hidden = 64, ffn = 96, vocab = 96, layers = 2
    let registry = PassRegistry(BuiltinPasses.all())
    var dir = ""

    override func setUpWithError() throws {
        dir = try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: layers)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func load() throws -> LanguageModel { try LanguageModelLoader.load(path: dir) }

    func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    func windows(count: Int = 16) throws -> TokenWindows {
        try TokenWindows(tokens: tokens(32 * count, seed: 1), ctx: 32, count: count, seed: 3, source: "test")
    }

    func projections(_ lm: LanguageModel) throws -> [(name: String, projection: Projection)] {
        LanguageModelPruning.projections(try XCTUnwrap(lm.decoder))
    }

    func values(_ t: Tensor) throws -> [Float] {
        let f = try t.checkedF32()
        return Array(UnsafeBufferPointer(start: f.floats, count: f.count))
    }

    /// Squared logits difference over held-out sequences.
    func logitsError(_ a: LanguageModel, _ b: LanguageModel) throws -> Double {
        var e = 0.0
        for s in 0..<6 {
            let ids = tokens(32, seed: 100 + UInt64(s))
            let x = try a.logits(ids), y = try b.logits(ids)
            for i in 0..<x.count { let d = Double(x.floats[i] - y.floats[i]); e += d * d }
        }
        return e
    }

    func testMagnitudeIsLayerWiseAndExact() throws {
        let base = try load(), lm = try load()
        let report = try registry.run("prune.magnitude", on: lm, options: ["sparsity": .number(0.5)])
        XCTAssertEqual(report.rows.count, layers * 7)
        for ((name, p), (_, p0)) in zip(try projections(lm), try projections(base)) {
            let w = try values(p.weight.value), w0 = try values(p0.weight.value)
            XCTAssertEqual(p.weight.value.dtype, .f32, name)
            XCTAssertEqual(w.filter { $0 == 0 }.count, w.count / 2, name)
            // The zeroed entries are the smallest |w| of the whole tensor, the others unchanged.
            var maxPruned: Float = 0, minKept = Float.infinity
            for i in 0..<w.count {
                if w[i] == 0 { maxPruned = max(maxPruned, abs(w0[i])) } else { minKept = min(minKept, abs(w0[i])); XCTAssertEqual(w[i], w0[i]) }
            }
            XCTAssertLessThanOrEqual(maxPruned, minKept, name)
        }
        // Embeddings and the head are not pruned.
        XCTAssertEqual(try values(try XCTUnwrap(lm.module.parameter(named: "lm_head.weight")).value).filter { $0 == 0 }.count, 0)
    }

    func testMagnitudeNMPattern() throws {
        let lm = try load()
        _ = try registry.run("prune.nm", on: lm, options: ["n": .integer(2), "m": .integer(4)])
        for (name, p) in try projections(lm) {
            XCTAssertTrue(NMPruner.satisfies(p.weight.value, n: 2, m: 4), name)
            XCTAssertEqual(try values(p.weight.value).filter { $0 == 0 }.count, p.weight.value.count / 2, name)
        }
    }

    /// Block 0's q/k/v see RMSNorm(embeddings) (norm weights are 1): recompute Wanda's column
    /// norms from that, and check every row dropped exactly its lowest |W|·||X_j||.
    func testWandaPrunesEachRowByActivationScore() throws {
        let base = try load(), lm = try load()
        let calib = try windows()
        let report = try registry.run("prune.wanda", on: lm, options: ["sparsity": .number(0.5), "data": .windows(calib)])
        XCTAssertEqual(report.rows.count, layers * 7)
        let d = try XCTUnwrap(base.decoder)
        var norms = [Double](repeating: 0, count: hidden)
        for ids in calib.windows {
            let e = try d.embedTokens.lookup(ids)
            for t in 0..<ids.count {
                let row = (0..<hidden).map { Double(e.floats[t * hidden + $0]) }
                let rms = (row.reduce(0) { $0 + $1 * $1 } / Double(hidden) + 1e-5).squareRoot()
                for j in 0..<hidden { norms[j] += (row[j] / rms) * (row[j] / rms) }
            }
        }
        let q0 = try values(try XCTUnwrap(base.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")).value)
        let q = try values(try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.q_proj.weight")).value)
        for r in 0..<hidden {
            var maxPruned = -1.0, minKept = Double.infinity, zeros = 0
            for j in 0..<hidden {
                let s = Double(abs(q0[r * hidden + j])) * norms[j].squareRoot()
                if q[r * hidden + j] == 0 { zeros += 1; maxPruned = max(maxPruned, s) } else { minKept = min(minKept, s) }
            }
            XCTAssertEqual(zeros, hidden / 2, "row \(r)")
            XCTAssertLessThanOrEqual(maxPruned, minKept * (1 + 1e-4), "row \(r)")
        }
        // Every row of every projection loses exactly half its weights.
        for (name, p) in try projections(lm) {
            let w = try values(p.weight.value), cols = p.inFeatures
            for r in 0..<p.outFeatures { XCTAssertEqual(w[r * cols..<(r + 1) * cols].filter { $0 == 0 }.count, cols / 2, "\(name) row \(r)") }
        }
        // 2:4.
        let nm = try load()
        _ = try registry.run("prune.wanda", on: nm, options: ["n": .integer(2), "m": .integer(4), "data": .windows(calib)])
        for (name, p) in try projections(nm) { XCTAssertTrue(NMPruner.satisfies(p.weight.value, n: 2, m: 4), name) }
    }

    func testSparseGPTBeatsMagnitudeAtTheSameSparsity() throws {
        let base = try load(), sgpt = try load(), mag = try load()
        let calib = try windows(count: 24)
        let report = try registry.run("prune.sparsegpt", on: sgpt, options: ["sparsity": .number(0.5), "data": .windows(calib)])
        XCTAssertEqual(report.rows.count, layers * 7)
        _ = try registry.run("prune.magnitude", on: mag, options: ["sparsity": .number(0.5)])
        for (name, p) in try projections(sgpt) {
            // One lazy batch covers these rows (<= 128 columns): exactly half of each tensor.
            XCTAssertEqual(try values(p.weight.value).filter { $0 == 0 }.count, p.weight.value.count / 2, name)
        }
        let eS = try logitsError(base, sgpt), eM = try logitsError(base, mag)
        XCTAssertLessThan(eS, 0.8 * eM, "sparsegpt \(eS) vs magnitude \(eM)")

        let sgpt24 = try load(), mag24 = try load()
        _ = try registry.run("prune.sparsegpt", on: sgpt24, options: ["n": .integer(2), "m": .integer(4), "data": .windows(calib)])
        _ = try registry.run("prune.nm", on: mag24, options: [:])
        for (name, p) in try projections(sgpt24) { XCTAssertTrue(NMPruner.satisfies(p.weight.value, n: 2, m: 4), name) }
        let eS24 = try logitsError(base, sgpt24), eM24 = try logitsError(base, mag24)
        XCTAssertLessThan(eS24, 0.9 * eM24, "2:4 sparsegpt \(eS24) vs magnitude \(eM24)")
    }

    func testStorageTypes() throws {
        let lm = try load()
        // A block-quantized weight is pruned from its dequantized values and stored as f32.
        let q = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.mlp.up_proj.weight"))
        let w = try q.value.checkedF32()
        let q8 = try Tensor(zeros: w.shape, dtype: .q8_0)
        try GGMLCodec.quantize(.q8_0, w.floats, q8.storage.bytes, count: w.count, rowLength: w.shape[1])
        q.value = q8
        _ = try registry.run("prune.magnitude", on: lm, options: ["sparsity": .number(0.25)])
        XCTAssertEqual(q.value.dtype, .f32)
        XCTAssertEqual(try values(q.value).filter { $0 == 0 }.count, q.value.count / 4)
        let half = try load()
        _ = try registry.run("prune.wanda", on: half, options: ["sparsity": .number(0.5), "data": .windows(try windows()), "format": .string("f16")])
        for (name, p) in try projections(half) {
            XCTAssertEqual(p.weight.value.dtype, .f16, name)
            XCTAssertEqual(try values(p.weight.value).filter { $0 == 0 }.count, p.weight.value.count / 2, name)
        }
        XCTAssertGreaterThan(try logitsError(try load(), half), 0)
    }

    /// A NaN in block 0's o_proj passes through block 0 (whose weights are by then pruned) and
    /// makes block 1's Hessians fail Cholesky: the registry must put every tensor back.
    func testFailuresLeaveTheWeightsAsTheyWere() throws {
        let lm = try load()
        let o = try XCTUnwrap(lm.module.parameter(named: "model.layers.0.self_attn.o_proj.weight"))
        var w = try values(o.value)
        w[5] = .nan
        o.value = try Tensor(shape: o.value.shape, values: w)
        let before = lm.module.parameters().map { ($0.name, $0.parameter.value) }
        XCTAssertThrowsError(try registry.run("prune.sparsegpt", on: lm, options: ["data": .windows(try windows())])) { e in
            XCTAssertTrue("\(e)".contains("not positive definite"), "\(e)")
        }
        for ((name, t), (_, now)) in zip(before, lm.module.parameters().map { ($0.name, $0.parameter.value) }) {
            XCTAssertTrue(t === now, "\(name) was not restored")
        }
        // Bad options are refused before anything runs.
        let clean = try load()
        let snapshot = clean.module.parameters().map(\.parameter.value)
        for (pass, opts, message) in [
            ("prune.wanda", ["n": PassValue.integer(2), "m": .integer(5), "data": .windows(try windows())], "'model.layers.0.self_attn.q_proj' has rows of 64, not a multiple of m=5"),
            ("prune.sparsegpt", ["n": .integer(2)], "give both 'n' and 'm'"),
            ("prune.sparsegpt", ["sparsity": .number(0.5)], "missing calibration data"),
            ("prune.wanda", ["n": .integer(4), "m": .integer(4), "data": .windows(try windows())], "'n' (4) must be less than 'm' (4)"),
            ("prune.magnitude", ["sparsity": .number(0.5), "format": .string("q4_0")], "format"),
        ] {
            XCTAssertThrowsError(try registry.run(pass, on: clean, options: opts)) { e in
                XCTAssertTrue("\(e)".contains(message), "\(pass): \(e)")
            }
        }
        XCTAssertTrue(zip(snapshot, clean.module.parameters().map(\.parameter.value)).allSatisfy { $0 === $1 })
        XCTAssertThrowsError(try registry.run("prune.wanda", on: Model([]), options: [:])) { e in
            XCTAssertTrue("\(e)".contains("language models only"), "\(e)")
        }
    }
}
