import Foundation
import XCTest

/// `whittle quantize --method gptq --calib FILE` on a tiny random Llama GGUF that carries
/// SmolLM2's tokenizer (made by a `whittle run` script from the cached model's metadata):
/// the projections land in TYPE's blocks through the registered pass, the other tensors follow
/// llama-quantize's rules, and the refusals are exit code 1 with the reason.
final class QuantizeMethodTests: XCTestCase {
    var smol: String {
        let cache = ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? (NSHomeDirectory() + "/.cache/whittle")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    var root: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path }

    static let maker = """
    local w = whittle
    local g = w.gguf.open(arg[1])
    local md = {}
    for k, v in pairs(g.metadata) do md[k] = v end
    local h, f, L = 64, 128, 2
    md["general.name"] = "tiny-random-llama"
    md["llama.block_count"], md["llama.embedding_length"], md["llama.feed_forward_length"] = L, h, f
    md["llama.attention.head_count"], md["llama.attention.head_count_kv"], md["llama.rope.dimension_count"] = 4, 2, 16
    md["llama.context_length"] = 256
    local V = #md["tokenizer.ggml.tokens"]
    local t = {["token_embd.weight"] = w.randn({V, h}, {seed = 1}) * 0.1, ["output_norm.weight"] = w.ones{h}}
    local s = 2
    local function r(o, i) s = s + 1; return w.randn({o, i}, {seed = s}) * (1 / math.sqrt(i)) end
    for b = 0, L - 1 do
      local p = "blk." .. b .. "."
      t[p .. "attn_norm.weight"], t[p .. "ffn_norm.weight"] = w.ones{h}, w.ones{h}
      t[p .. "attn_q.weight"], t[p .. "attn_k.weight"], t[p .. "attn_v.weight"] = r(h, h), r(h // 2, h), r(h // 2, h)
      t[p .. "attn_output.weight"], t[p .. "ffn_gate.weight"], t[p .. "ffn_up.weight"], t[p .. "ffn_down.weight"] = r(h, h), r(f, h), r(f, h), r(h, f)
    end
    w.gguf.write(arg[2], {metadata = md, tensors = t, base = g})
    """

    /// A temporary directory holding tiny.gguf (F32) and calib.txt.
    func makeTiny() throws -> String {
        let dir = try CLI.tempDirectory()
        try Self.maker.write(toFile: dir + "/make.lua", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", dir + "/make.lua", smol, dir + "/tiny.gguf"], directory: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: root + "/Data/text/austen_persuasion.txt", encoding: .utf8)
        try String(text.prefix(12_000)).write(toFile: dir + "/calib.txt", atomically: true, encoding: .utf8)
        return dir
    }

    func testGPTQWritesTheProjectionsInTheTypesBlocks() throws {
        guard FileManager.default.fileExists(atPath: smol) else { return XCTFail("run Scripts/models/fetch.sh: \(smol) is missing") }
        let dir = try makeTiny()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["quantize", dir + "/tiny.gguf", dir + "/gptq.gguf", "Q4_0", "--method", "gptq", "--calib", dir + "/calib.txt",
                             "--calib-windows", "4", "--calib-ctx", "64", "--method-option", "act_order=true"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("quantize.gptq: 4 windows of 64 tokens"), r.stderr)
        XCTAssertTrue(r.stderr.contains("blk.1.ffn_down.weight [128 x 64] F32 -> Q4_0"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "(gptq)").count - 1, 14, r.stderr)
        // The embeddings get llama-quantize's type for Q4_0 (Q6_K, here its fallback), not GPTQ.
        XCTAssertTrue(r.stdout.contains("fallback: token_embd.weight: row length 64 is not a multiple of 256"), r.stdout)
        // The same tensors by round to nearest differ from GPTQ's; both files run.
        let rtn = try CLI.run(["quantize", dir + "/tiny.gguf", dir + "/rtn.gguf", "Q4_0"])
        XCTAssertEqual(rtn.status, 0, rtn.stderr)
        let compare = """
        local a, b = whittle.gguf.open(arg[1]), whittle.gguf.open(arg[2])
        local x, y = a.tensors["blk.0.attn_q.weight"], b.tensors["blk.0.attn_q.weight"]
        print(x.dtype, y.dtype, (x:dequantize() - y:dequantize()):abs():max() > 0,
              (a.tensors["token_embd.weight"]:dequantize() - b.tensors["token_embd.weight"]:dequantize()):abs():max())
        print(a.metadata["whittle.recipe"])
        """
        try compare.write(toFile: dir + "/compare.lua", atomically: true, encoding: .utf8)
        let c = try CLI.run(["run", dir + "/compare.lua", dir + "/gptq.gguf", dir + "/rtn.gguf"])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.hasPrefix("q4_0\tq4_0\ttrue\t0.0\n"), c.stdout)
        XCTAssertTrue(c.stdout.contains("--method gptq"), c.stdout)
        let ppl = try CLI.run(["perplexity", dir + "/gptq.gguf", dir + "/calib.txt", "--ctx", "64", "--chunks", "2"])
        XCTAssertEqual(ppl.status, 0, ppl.stderr)
        XCTAssertTrue(ppl.stdout.contains("Final estimate: PPL = "), ppl.stdout)
    }

    func testMethodRefusalsExitNonZeroWithTheReason() throws {
        guard FileManager.default.fileExists(atPath: smol) else { return XCTFail("run Scripts/models/fetch.sh: \(smol) is missing") }
        let dir = try makeTiny()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiny = dir + "/tiny.gguf", calib = dir + "/calib.txt"
        let cases: [([String], String)] = [
            (["quantize", tiny, dir + "/a.gguf", "Q4_0", "--method", "gptq"], "--method gptq needs calibration text: --calib FILE"),
            (["quantize", tiny, dir + "/b.gguf", "Q4_0", "--method", "foo", "--calib", calib], "this build registers no language-model pass 'quantize.foo'"),
            (["quantize", tiny, dir + "/c.gguf", "Q4_K_M", "--method", "gptq", "--calib", calib], "choose TYPE among Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, got Q4_K_M"),
            (["quantize", tiny, dir + "/d.gguf", "Q4_0", "--method", "gptq", "--calib", calib, "--calib-windows", "500", "--calib-ctx", "64"],
             "were asked for (lower --calib-windows or --calib-ctx)"),
            (["quantize", tiny, dir + "/e.gguf", "Q4_0", "--calib", calib], "--calib and --method-option need a calibrated --method"),
            (["quantize", tiny, dir + "/f.gguf", "Q4_0", "--method", "gptq", "--calib", calib, "--calib-windows", "2", "--calib-ctx", "32",
              "--method-option", "block_size=33"], "'block_size' must be a multiple of 32"),
            (["quantize", smol, dir + "/g.gguf", "Q4_0", "--method", "gptq", "--calib", calib], "is already Q8_0; pass --allow-requantize"),
            (["quantize", dir, dir + "/h.gguf", "Q4_0"], "missing (a Hugging Face checkpoint needs config.json)"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        for name in ["a", "b", "c", "d", "e", "f", "g", "h"] { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/\(name).gguf"), name) }
    }
}
