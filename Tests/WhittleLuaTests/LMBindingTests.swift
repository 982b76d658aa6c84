import Foundation
import WhittleLua
import XCTest

/// The `whittle.lm` part of the Lua contract, on the tiny checkpoints of WhittleNNTests' fixtures.
final class LMBindingTests: XCTestCase {
    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm").appendingPathComponent(name).path
    }

    private func eval(_ code: String) throws -> String {
        let lua = try LuaState()
        return try lua.run(code, name: "=test").joined(separator: "\t")
    }

    func testLoadConfigLogitsAndSummary() throws {
        let code = """
        local lm = whittle.lm.load("\(fixture("llama"))")
        local c = lm.config
        local l = lm:logits({1, 17, 5})
        local s = lm:summary()
        return c.arch, c.layers, c.hidden, c.heads, c.kv_heads, c.vocab, c.ctx, tostring(l.shape), l.dtype,
               s:find("model.layers.0.self_attn.q_proj.weight", 1, true) ~= nil, s:find("total: 21 tensors", 1, true) ~= nil
        """
        XCTAssertEqual(try eval(code), "llama\t2\t32\t4\t2\t64\t64\t(3, 64)\tf32\ttrue\ttrue")
    }

    func testGreedyGenerateFollowsTheArgmaxOfLogits() throws {
        let code = """
        local lm = whittle.lm.load("\(fixture("qwen3"))")
        local ids = {3, 9, 27}
        local out = lm:generate(ids, {max_tokens=4, temperature=0})
        -- Recompute greedily from full logits: each step's argmax is the next token.
        local seq = {3, 9, 27}
        for step = 1, 4 do
          local l = lm:logits(seq)
          local best, bi = -math.huge, -1
          for j = 1, lm.config.vocab do local v = l:get(#seq, j); if v > best then best, bi = v, j - 1 end end
          seq[#seq + 1] = bi
        end
        local a = lm:generate(ids, {max_tokens=6, temperature=0.8, top_k=5, top_p=0.9, seed=7})
        local b = lm:generate(ids, {max_tokens=6, temperature=0.8, top_k=5, top_p=0.9, seed=7})
        return table.concat(out, ","), table.concat(seq, ",", 4), table.concat(a, ",") == table.concat(b, ","), #a
        """
        let parts = try eval(code).split(separator: "\t").map(String.init)
        XCTAssertEqual(parts.count, 4)
        XCTAssertEqual(parts[0], parts[1])
        XCTAssertEqual(parts[2], "true")
        XCTAssertEqual(parts[3], "6")
    }

    func testEmbedAndPerplexity() throws {
        let code = """
        local enc = whittle.lm.load("\(fixture("bert"))")
        local e = enc:embed({{2, 9, 33, 40, 3}, {2, 11, 3}})
        local lm = whittle.lm.load("\(fixture("gemma3"))")
        local ids = {}
        for i = 1, 40 do ids[i] = (i * 7) % 64 end
        local p = whittle.lm.perplexity(lm, ids, {ctx=16, chunks=2})
        return tostring(e.shape), string.format("%.4f", e:norm() ^ 2), p.chunks, p.tokens, p.ppl > 1, p.err > 0
        """
        XCTAssertEqual(try eval(code), "(2, 32)\t2.0000\t2\t14\ttrue\ttrue")
    }

    func testTokenizerEncodesDecodesAndFeedsEmbed() throws {
        let code = """
        local enc = whittle.lm.load("\(fixture("bert"))")
        local tok = enc.tokenizer
        local ids = tok:encode("The cats, and dogs!")
        local diff = (enc:embed({"The cats, and dogs!"}) - enc:embed({ids})):abs():max()
        return table.concat(ids, ","), tok:decode(ids):sub(1, 8), tostring(tok), diff, whittle.lm.load("\(fixture("llama"))").tokenizer == nil
        """
        // The ids are HF tokenizers' (Scripts/fixtures/make_lm_fixtures.py, bert/expected.json "text_ids").
        XCTAssertEqual(try eval(code), "2,61,7,31,50,62,58,63,8,45,37,62,59,3\tthe cats\tTokenizer(64 tokens)\t0.0\ttrue")
    }

    func testBadInputIsALuaErrorWithLocation() throws {
        let code = """
        local lm = whittle.lm.load("\(fixture("llama"))")
        local enc = whittle.lm.load("\(fixture("bert"))")
        return select(2, pcall(function() return lm:logits({1, 64}) end)),
               select(2, pcall(function() return lm:logits({}) end)),
               select(2, pcall(function() local t = {} for i = 1, 65 do t[i] = 1 end return lm:logits(t) end)),
               select(2, pcall(function() return lm:generate("hello") end)),
               select(2, pcall(function() return enc:logits({1}) end)),
               select(2, pcall(function() return whittle.lm.perplexity(lm, {1, 2, 3}, {ctx=16}) end)),
               select(2, pcall(function() return whittle.lm.load("/nonexistent/dir") end)),
               select(2, pcall(function() return lm:generate({1}, {top_p=0}) end))
        """
        let parts = try eval(code).split(separator: "\t").map(String.init)
        XCTAssertEqual(parts.count, 8, "\(parts)")
        guard parts.count == 8 else { return }
        XCTAssertEqual(parts[0], "test:3: logits: 'ids': token id 64 is out of range for a vocabulary of 64")
        XCTAssertEqual(parts[1], "test:4: logits: 'ids' has no tokens")
        XCTAssertEqual(parts[2], "test:5: logits: context of 65 tokens exceeds the model's maximum of 64")
        XCTAssertTrue(parts[3].hasPrefix("test:6: generate: 'prompt': this model has no tokenizer"), parts[3])
        XCTAssertEqual(parts[4], "test:7: logits: bert is an encoder: it has no next-token logits")
        XCTAssertTrue(parts[5].hasPrefix("test:8: lm.perplexity: perplexity: the text has 3 tokens"), parts[5])
        XCTAssertTrue(parts[6].hasPrefix("test:9: lm.load: '/nonexistent/dir' does not exist"), parts[6])
        XCTAssertEqual(parts[7], "test:10: generate: 'top_p' must be in (0, 1], got 0")
    }

    func testTextWindowsCalibrateALanguageModelPass() throws {
        let text = String(repeating: "the cats and dogs ", count: 40)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-text-\(UUID().uuidString).txt").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let code = """
        local tok = whittle.lm.load("\(fixture("bert"))").tokenizer
        local t = whittle.data.text("\(path)")
        local w = t:windows(tok, {ctx=16, count=3, seed=2})
        local again = whittle.data.text(t.string):windows(tok, {ctx=16, count=3, seed=2})
        local same = table.concat(w:get(3), ",") == table.concat(again:get(3), ",")
        local half = t:slice(0, 0.5)
        local e1 = select(2, pcall(t.windows, t, tok, {ctx=16, count=1000}))
        local lm = whittle.lm.load("\(fixture("llama"))")
        -- The fixture's MLP is 48 wide: not whole 32-blocks, refused before any weight changes.
        local r = {rows = {select(2, pcall(whittle.quantize.gptq, lm, w, {format="q8_0"}))}}
        local e2 = select(2, pcall(whittle.run_pass, "quantize.gptq", lm, {format="q8_0"}))
        local kinds = {}
        for _, p in ipairs(whittle.passes()) do if p.name == "quantize.gptq" then kinds[#kinds + 1] = #p.lm_params > 0 end end
        return tostring(w), #w, w.ctx, same, #half < #t, e1, #r.rows .. (r.rows[1]:find("rows of 48", 1, true) and "" or r.rows[1]), lm:summary():find("q8_0", 1, true) ~= nil, e2, tostring(kinds[1])
        """
        let parts = try eval(code).split(separator: "\t").map(String.init)
        XCTAssertEqual(parts.count, 10, "\(parts)")
        guard parts.count == 10 else { return }
        XCTAssertTrue(parts[0].hasPrefix("TokenWindows(3 x 16 tokens from whittle-text-"), parts[0])
        XCTAssertEqual(Array(parts[1...4]), ["3", "16", "true", "true"])
        XCTAssertTrue(parts[5].contains("windows of 16 tokens, 1000 were asked for"), parts[5])
        XCTAssertEqual(parts[6], "1")
        XCTAssertEqual(parts[7], "false")
        XCTAssertTrue(parts[8].contains("missing calibration data"), parts[8])
        XCTAssertEqual(parts[9], "true")
    }
}
