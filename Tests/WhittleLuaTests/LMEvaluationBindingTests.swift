import Foundation
import WhittleLua
import XCTest

/// `whittle.lm.compare` and the `quantize.mix` pass from Lua, on the tiny checkpoints of WhittleNNTests' fixtures.
final class LMEvaluationBindingTests: XCTestCase {
    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm").appendingPathComponent(name).path
    }

    private func eval(_ code: String) throws -> [String] {
        try LuaState().run(code, name: "=test")
    }

    func testCompareOfAModelWithItselfAgreesCompletely() throws {
        let code = """
        local a = whittle.lm.load("\(fixture("llama"))")
        local b = whittle.lm.load("\(fixture("llama"))")
        local ids = {}
        for i = 1, 70 do ids[i] = (i * 7) % 60 + 1 end
        local r = whittle.lm.compare(a, b, ids, {ctx=16, chunks=3, print=false})
        local p = whittle.lm.perplexity(b, ids, {ctx=16, chunks=3})
        -- Not exactly 0: the base's log-probabilities are kept in 16 bits, as llama.cpp keeps them.
        return r.chunks, r.tokens, r.top1, math.abs(r.kld) < 1e-4, math.abs(r.ppl - p.ppl) < 1e-6 * p.ppl,
               math.abs(r.ppl_base - r.ppl) < 1e-3 * r.ppl, r.kld_max >= r.kld_p99, r.rms_dp < 0.01
        """
        XCTAssertEqual(try eval(code), ["3", "21", "100.0", "true", "true", "true", "true", "true"])
    }

    func testCompareRefusesBadInputWithAClearMessage() throws {
        let code = """
        local a = whittle.lm.load("\(fixture("llama"))")
        local short = select(2, pcall(whittle.lm.compare, a, a, {1, 2, 3, 4, 5}, {ctx=16}))
        local big = select(2, pcall(whittle.lm.compare, a, a, {1, 2, 3}, {ctx=100000}))
        local enc = select(2, pcall(whittle.lm.compare, a, whittle.lm.load("\(fixture("bert"))"), {1, 2, 3}))
        local opt = select(2, pcall(whittle.lm.compare, a, a, {1, 2, 3}, {ctxx=16}))
        return short, big, enc, opt
        """
        let r = try eval(code)
        XCTAssertEqual(r.count, 4)
        guard r.count == 4 else { return }
        XCTAssertTrue(r[0].contains("5 tokens; a context of 16 needs at least 32"), r[0])
        XCTAssertTrue(r[1].contains("'ctx'"), r[1])
        XCTAssertTrue(r[2].contains("encoder"), r[2])
        XCTAssertTrue(r[3].contains("ctxx"), r[3])
    }

    func testMixPassIsListedAndRefusesRowsNoCandidateFits() throws {
        let text = String(repeating: "the cats and dogs ", count: 40)
        let code = """
        local lm = whittle.lm.load("\(fixture("llama"))")
        local ids = {}
        for i = 1, 64 do ids[i] = (i * 5) % 60 + 1 end
        local info
        for _, p in ipairs(whittle.passes()) do if p.name == "quantize.mix" then info = p end end
        -- The fixture's MLP is 48 wide: no 32- or 256-block type fits its down_proj rows.
        local windows = whittle.data.text("\(text)"):windows(whittle.lm.load("\(fixture("bert"))").tokenizer, {ctx=8, count=2})
        local e = select(2, pcall(whittle.run_pass, "quantize.mix", lm, {data=windows, bpw=4.5}))
        local e2 = select(2, pcall(whittle.run_pass, "quantize.mix", lm, {data=windows, bpw=0.5}))
        local e3 = select(2, pcall(whittle.run_pass, "quantize.mix", lm, {data=windows, candidates={"q4_0", "q7_0"}}))
        return info ~= nil, info and #info.lm_params > 0, e, e2, e3, lm:summary():find("q4_0", 1, true) == nil
        """
        let r = try eval(code)
        XCTAssertEqual(r.count, 6, "\(r)")
        guard r.count == 6 else { return }
        XCTAssertEqual(Array(r[0...1]), ["true", "true"])
        XCTAssertTrue(r[2].contains("no candidate type fits") && r[2].contains("down_proj"), r[2])
        XCTAssertTrue(r[3].contains("bpw"), r[3])
        XCTAssertTrue(r[4].contains("q7_0"), r[4])
        XCTAssertEqual(r[5], "true")
    }
}
