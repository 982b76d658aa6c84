import WhittleLua
import XCTest

/// `whittle.quantize.tensor` with the ggml block types: dtype, size, round trip, imatrix and fallback.
final class GGMLQuantizeBindingTests: XCTestCase {
    func eval(_ code: String) throws -> String {
        let lua = try LuaState()
        return try lua.run(code, name: "=test").joined(separator: "\t")
    }

    func testEveryGGMLTypeGivesABlockTensor() throws {
        let code = """
        local t = whittle.randn{4, 512}
        local out = {}
        for _, f in ipairs{"f16","bf16","q4_0","q4_1","q5_0","q5_1","q8_0","q2_K","q3_K","q4_K","q5_K","q6_K","q8_K","iq4_nl","iq4_xs","tq1_0","tq2_0"} do
          local q = whittle.quantize.tensor(t, {format=f, ggml=true})
          local d = q:dequantize()
          local err = (d - t):norm() / t:norm()
          out[#out+1] = q.dtype .. ":" .. (err < 0.9 and "ok" or tostring(err)) .. ":" .. d.shape[2]
        end
        return table.concat(out, " ")
        """
        XCTAssertEqual(try eval(code), "f16:ok:512 bf16:ok:512 q4_0:ok:512 q4_1:ok:512 q5_0:ok:512 q5_1:ok:512 q8_0:ok:512 q2_K:ok:512 "
                       + "q3_K:ok:512 q4_K:ok:512 q5_K:ok:512 q6_K:ok:512 q8_K:ok:512 iq4_nl:ok:512 iq4_xs:ok:512 tq1_0:ok:512 tq2_0:ok:512")
    }

    func testImatrixChangesTheBytesAndIsChecked() throws {
        let code = """
        local t = whittle.randn{2, 256}
        local w = whittle.rand{256}
        local a = whittle.quantize.tensor(t, {format="q4_K"}):dequantize()
        local b = whittle.quantize.tensor(t, {format="Q4_K", imatrix=w}):dequantize()
        local tbl = {}
        for i = 1, 256 do tbl[i] = w:get(i) end
        local c = whittle.quantize.tensor(t, {format="q4_k", imatrix=tbl}):dequantize()
        return (a - b):norm() > 0, (b - c):norm() == 0
        """
        XCTAssertEqual(try eval(code), "true\ttrue")
        XCTAssertThrowsError(try eval("whittle.quantize.tensor(whittle.randn{2,256}, {format='q4_K', imatrix=whittle.ones{128}})")) {
            XCTAssertTrue("\($0)".contains("128 weights"), "\($0)")
        }
    }

    func testShapeFallbackIsAnErrorOrLlamaCppsChoice() throws {
        XCTAssertThrowsError(try eval("whittle.quantize.tensor(whittle.randn{2,576}, {format='q4_K'})")) {
            XCTAssertTrue("\($0)".contains("Q5_0"), "\($0)")
        }
        XCTAssertEqual(try eval("return whittle.quantize.tensor(whittle.randn{2,576}, {format='q4_K', fallback=true}).dtype"), "q5_0")
        XCTAssertEqual(try eval("return whittle.quantize.tensor(whittle.randn{2,576}, {format='q6_K', fallback=true}).dtype"), "q8_0")
        XCTAssertThrowsError(try eval("whittle.quantize.tensor(whittle.randn{2,64}, {format='iq2_xs'})"))
        XCTAssertThrowsError(try eval("whittle.quantize.tensor(whittle.tensor{{0/0, 1}}, {format='q4_0', ggml=true})"))
    }

    func testLegacyFormatsStillGiveQTensors() throws {
        XCTAssertEqual(try eval("return whittle.quantize.tensor(whittle.randn{2,64}, {format='q4_0'}).dtype"), "q4_0")
        XCTAssertEqual(try eval("return whittle.quantize.tensor(whittle.randn{2,64}, {format='q8_0'}):nbytes()"), "136")
        XCTAssertEqual(try eval("return whittle.quantize.tensor(whittle.randn{2,64}, {format='q8_0', ggml=true}):numel()"), "128")
    }
}
