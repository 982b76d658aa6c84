import WhittleLua
import XCTest

/// The tensor part of the Lua contract, checked against hand-computed values.
final class TensorBindingTests: XCTestCase {
    func eval(_ code: String) throws -> String {
        let lua = try LuaState()
        return try lua.run(code, name: "=test").joined(separator: "\t")
    }

    func testConstructionShapeAndAccess() throws {
        XCTAssertEqual(try eval("local t = whittle.tensor{{1,2},{3,4}}; return t:get(2,1), t.dtype, #t, t:numel()"), "3.0\tf32\t2\t4")
        XCTAssertEqual(try eval("local s = whittle.zeros{2,3}.shape; return s[1], s[2], #s"), "2\t3\t2")
        XCTAssertEqual(try eval("local t = whittle.zeros{2,2}; t:set(1,2, 5); return t:get(1,2), t:sum()"), "5.0\t5.0")
        XCTAssertEqual(try eval("return whittle.ones(2,3):sum()"), "6.0")
        XCTAssertEqual(try eval("return whittle.tensor(7):get()"), "7.0")
    }

    func testMatmulTransposeReshape() throws {
        let code = "local t = whittle.tensor{{1,2},{3,4}}; local p = t:matmul(t); return p:get(1,1), p:get(1,2), p:get(2,1), p:get(2,2)"
        XCTAssertEqual(try eval(code), "7.0\t10.0\t15.0\t22.0")
        XCTAssertEqual(try eval("local v = whittle.tensor{{1,2,3},{4,5,6}}:matmul(whittle.tensor{1,1,1}); return v:get(1), v:get(2), #v.shape"), "6.0\t15.0\t1")
        XCTAssertEqual(try eval("local t = whittle.tensor{{1,2,3},{4,5,6}}:transpose(); return t.shape[1], t:get(3,2)"), "3\t6.0")
        XCTAssertEqual(try eval("local t = whittle.arange(6):reshape{2,-1}; return t.shape[2], t:get(2,1)"), "3\t3.0")
        // 1x1 and 1xN edge shapes, and empty products.
        XCTAssertEqual(try eval("return whittle.tensor{{3}}:matmul(whittle.tensor{{4}}):get(1,1)"), "12.0")
        XCTAssertEqual(try eval("local r = whittle.ones{1,5}:matmul(whittle.ones{5,1}); return r:get(1,1)"), "5.0")
        XCTAssertEqual(try eval("local r = whittle.zeros{0,3}:matmul(whittle.zeros{3,2}); return r.shape[1], r.shape[2], r:numel()"), "0\t2\t0")
    }

    func testArithmeticAndBroadcasting() throws {
        XCTAssertEqual(try eval("local t = whittle.tensor{1,2,3}; return (t * 2 + 1):sum(), (10 - t):sum(), (t / 2):get(3), (-t):get(1)"), "15.0\t24.0\t1.5\t-1.0")
        // Row vector broadcast over a matrix: {{1,2},{3,4}} + {10,20}.
        XCTAssertEqual(try eval("local r = whittle.tensor{{1,2},{3,4}} + whittle.tensor{10,20}; return r:get(1,1), r:get(2,2)"), "11.0\t24.0")
        // Column broadcast: (2x1) * (1x3) -> 2x3 outer product.
        XCTAssertEqual(try eval("local r = whittle.tensor{{1},{2}} * whittle.tensor{{1,2,3}}; return r.shape[1], r.shape[2], r:get(2,3)"), "2\t3\t6.0")
        XCTAssertEqual(try eval("return (whittle.tensor{1,2} * whittle.tensor{3,4}):sum()"), "11.0")
    }

    func testReductions() throws {
        XCTAssertEqual(try eval("local t = whittle.tensor{{-3,4},{0,0}}; return t:sum(), t:mean(), t:max(), t:min(), t:norm(), t:sparsity(), t:abs():sum()"),
                       "1.0\t0.25\t4.0\t-3.0\t5.0\t0.5\t7.0")
        XCTAssertEqual(try eval("return whittle.zeros{0}:sum(), whittle.zeros{0}:sparsity()"), "0.0\t0.0")
    }

    func testTotableCloneAllclose() throws {
        XCTAssertEqual(try eval("local t = whittle.tensor{{1,2},{3,4}}:totable(); return t[2][1], #t, #t[1]"), "3.0\t2\t2")
        XCTAssertEqual(try eval("local a = whittle.tensor{1,2}; local b = a:clone(); b:set(1, 9); return a:get(1), b:get(1)"), "1.0\t9.0")
        XCTAssertEqual(try eval("return whittle.allclose(whittle.tensor{1,2}, whittle.tensor{1,2.000001}, {atol=1e-5}), whittle.allclose(whittle.tensor{1}, whittle.tensor{1.1})"), "true\tfalse")
    }

    func testRandomIsSeeded() throws {
        XCTAssertEqual(try eval("return whittle.allclose(whittle.randn({3,3},{seed=4}), whittle.randn({3,3},{seed=4}))"), "true")
        XCTAssertEqual(try eval("return whittle.allclose(whittle.randn({3,3},{seed=4}), whittle.randn({3,3},{seed=5}))"), "false")
        let mean = try eval("return whittle.randn({100000},{seed=1}):mean()")
        XCTAssertLessThan(abs(Double(mean)!), 0.02)
    }

    func testTostringLooksLikeNumpy() throws {
        XCTAssertEqual(try eval("return tostring(whittle.tensor{{1,2},{3,4}})"), "tensor([[1., 2.],\n        [3., 4.]], shape=(2, 2), dtype=f32)")
        XCTAssertEqual(try eval("return tostring(whittle.tensor{0.5, -1.25})"), "tensor([ 0.5000, -1.2500], shape=(2,), dtype=f32)")
        let big = try eval("return tostring(whittle.arange(2000))")
        XCTAssertTrue(big.hasPrefix("tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.], shape=(2000,)"), big)
    }

    func testRequireWhittleAndHelp() throws {
        XCTAssertEqual(try eval("return require('whittle') == whittle"), "true")
        XCTAssertTrue(try LuaState().run("return whittle.help ~= nil")[0] == "true")
        let lua = try LuaState()
        try lua.run("local f = whittle.zeros; H = nil")
        // help() prints; the text itself comes from the binding table.
        XCTAssertTrue(WhittleLibrary.completionNames.contains("whittle.zeros"))
    }
}

/// help() text comes from the binding tables and the pass registry.
final class HelpTests: XCTestCase {
    func testHelpDocumentsBindingsAndPasses() throws {
        let lua = try LuaState()
        // Capture help's printed text by replacing print for the call.
        let out = try lua.run("""
            local lines = {}
            local saved = print
            print = function(s) lines[#lines + 1] = s end
            help(whittle.zeros); help(whittle.prune.magnitude); help("quantize.ptq"); help()
            print = saved
            return lines[1], lines[2], lines[3], lines[4]
            """, name: "=test")
        XCTAssertEqual(out[0], "whittle.zeros(shape) -> Tensor\n  An f32 tensor of zeros: whittle.zeros{2,3}.")
        XCTAssertTrue(out[1].hasPrefix("whittle.prune.magnitude(model, [data,] opts)   pass, builtin"), out[1])
        XCTAssertTrue(out[1].contains("sparsity (number, required, [0, 1))"), out[1])
        // prune.magnitude runs on layer and language models: each schema lists targets once.
        XCTAssertTrue(out[1].contains("options on language models"), out[1])
        XCTAssertEqual(out[1].components(separatedBy: "    targets (").count, 3, "targets listed once per schema:\n\(out[1])")
        XCTAssertTrue(out[2].contains("observer (string, default \"minmax\", minmax|percentile|mse)"), out[2])
        XCTAssertTrue(out[3].contains("prune.magnitude") && out[3].contains("zeros"), out[3])
        XCTAssertThrowsError(try lua.run("help('nope')", name: "@h.lua")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("h.lua:1: help: no binding or namespace named 'nope'"), String(describing: error))
        }
    }

    func testLanguageModelAPIHasHelpEntries() throws {
        let lua = try LuaState()
        let out = try lua.run("""
            local lines = {}
            local saved = print
            print = function(s) lines[#lines + 1] = s end
            help(whittle.lm); help("LM"); help("Tokenizer"); help(whittle.quantize.gptq); help(whittle.data); help("Text"); help()
            print = saved
            return table.unpack(lines)
            """, name: "=test")
        XCTAssertEqual(out.count, 7)
        guard out.count == 7 else { return }
        for name in ["whittle.lm.load(", "whittle.lm.perplexity(", "whittle.lm.gptq("] { XCTAssertTrue(out[0].contains(name), "\(name) in\n\(out[0])") }
        for name in ["lm:logits(", "lm:generate(", "lm:embed(", "lm:summary(", "lm.config", "lm.tokenizer"] { XCTAssertTrue(out[1].contains(name), "\(name) in\n\(out[1])") }
        for name in [":encode(", ":decode("] { XCTAssertTrue(out[2].contains(name), "\(name) in\n\(out[2])") }
        XCTAssertTrue(out[3].contains("options on language models") && out[3].contains("act_order (bool"), out[3])
        XCTAssertTrue(out[4].contains("whittle.data.text(") && out[4].contains("whittle.data.mnist("), out[4])
        XCTAssertTrue(out[5].contains("text:windows(tokenizer"), out[5])
        XCTAssertEqual(out[6].components(separatedBy: "\nwhittle.lm:").count, 2, "one whittle.lm line in the overview:\n\(out[6])")
    }
}
