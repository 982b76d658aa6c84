import Foundation
import WhittleFormats
import WhittleKernels
import WhittleNN
import WhittlePasses
import WhittleTensor
import XCTest

/// GPTQ and importance matrices on a small random Llama written as a Hugging Face directory:
/// block-by-block calibration must leave every projection in the grid's ggml type and change
/// the logits less than round-to-nearest on the same grid.
final class DecoderGPTQTests: XCTestCase {
    let hidden = 64, ffn = 96, vocab = 96, layers = 2

    /// A random-weight Llama directory of this test's sizes.
    func makeModel() throws -> String { try RandomLlama.write(hidden: hidden, ffn: ffn, vocab: vocab, layers: layers) }

    func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var s = seed
        return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Int(s >> 33) % vocab }
    }

    func logitsError(_ a: DecoderModel, _ b: DecoderModel, _ seqs: [[Int]]) throws -> Double {
        var e = 0.0
        for ids in seqs {
            let x = try a.forward(ids: ids, cache: a.makeCache()), y = try b.forward(ids: ids, cache: b.makeCache())
            for i in 0..<x.count { let d = Double(x.floats[i] - y.floats[i]); e += d * d }
        }
        return e
    }

    func testGPTQBeatsRoundToNearestAndWritesBlocks() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let gptq = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let rtn = try XCTUnwrap(try LanguageModelLoader.load(path: dir).decoder)
        let calib = try DecoderCalibration.windows(tokens(64 * 24, seed: 1), ctx: 64, count: 24, seed: 3)
        let grid = try XCTUnwrap(QuantGrids.grid(named: "q4_0"))
        let rows = try DecoderCompression.gptq(gptq, windows: calib, grid: grid, options: GPTQ.Options(), log: { _ in })
        XCTAssertEqual(rows.count, layers * 7)
        for b in 0..<rtn.blockCount {
            for group in rtn.blockProjections(b) {
                for (_, p) in group {
                    let w = try p.weight.value.checkedF32()
                    let q = try Tensor(zeros: w.shape, dtype: .q4_0)
                    try GGMLCodec.quantize(.q4_0, w.floats, q.storage.bytes, count: w.count, rowLength: w.shape[1])
                    p.weight.value = q
                }
            }
            for group in gptq.blockProjections(b) { for (name, p) in group { XCTAssertEqual(p.weight.value.dtype, .q4_0, name) } }
        }
        let held = (0..<6).map { tokens(64, seed: 100 + UInt64($0)) }
        let eG = try logitsError(base, gptq, held), eR = try logitsError(base, rtn, held)
        XCTAssertLessThan(eG, 0.85 * eR, "gptq \(eG) vs rtn \(eR)")
    }

    func testImatrixNamesAndCountsAndRefusals() throws {
        let dir = try makeModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lm = try LanguageModelLoader.load(path: dir)
        let d = try XCTUnwrap(lm.decoder)
        let windows = [tokens(16, seed: 5), tokens(16, seed: 6)]
        let im = try DecoderCompression.imatrix(d, architecture: "llama", windows: windows, log: { _ in })
        XCTAssertEqual(im.names.count, layers * 7)
        XCTAssertEqual(im.entries["blk.0.attn_q.weight"]?.counts, [32])
        XCTAssertEqual(im.entries["blk.1.ffn_down.weight"]?.columns, ffn)
        XCTAssertTrue(im.means(of: "blk.0.attn_k.weight")!.allSatisfy { $0 > 0 })
        // Too little text for the windows asked: an error before anything runs.
        XCTAssertThrowsError(try DecoderCalibration.windows(tokens(100, seed: 1), ctx: 64, count: 2, seed: 1)) { e in
            XCTAssertTrue("\(e)".contains("holds 1 windows of 64 tokens, 2 were asked for"), "\(e)")
        }
    }
}
