import Foundation
import WhittleLua
import XCTest

/// lm:save and the provenance every Lua save writes: the recipe text, the passes with their
/// options and the source's hash, under the sandbox's write rules.
final class LMExportBindingTests: XCTestCase {
    private var dir: String!
    private var saved: String!

    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm").appendingPathComponent(name).path
    }

    override func setUp() {
        saved = FileManager.default.currentDirectoryPath
        dir = NSTemporaryDirectory() + "whittle-lmsave-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.changeCurrentDirectoryPath(dir)
    }

    override func tearDown() {
        FileManager.default.changeCurrentDirectoryPath(saved)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs `code` as a recipe (recorded as `whittle run` does) in a sandboxed state.
    private func recipe(_ code: String) throws -> String {
        let lua = try LuaState(sandbox: true)
        lua.recordRecipe(code)
        return try lua.run(code, name: "@recipe.lua").joined(separator: "\t")
    }

    func testSaveGGUFAndDirectoryWithTheRecipeAndLoadBack() throws {
        let code = """
        local w = whittle
        local lm = w.lm.load("\(fixture("qwen3"))")
        lm:save("out.gguf")
        lm:save("out/")
        local g = w.gguf.open("out.gguf")
        local a, b = lm:logits({1, 2, 3}), w.lm.load("out.gguf"):logits({1, 2, 3})
        local c = w.lm.load("out/"):logits({1, 2, 3})
        return g.metadata["whittle.recipe"]:find("lm:save(\\"out.gguf\\")", 1, true) ~= nil,
               g.metadata["whittle.source"]:find("sha256", 1, true) ~= nil, g.metadata["whittle.version"] ~= nil,
               w.allclose(a, b, {atol=1e-5}), w.allclose(a, c, {atol=0})
        """
        XCTAssertEqual(try recipe(code), "true\ttrue\ttrue\ttrue\ttrue")
        let header = try String(contentsOfFile: dir + "/out/model.safetensors", encoding: .isoLatin1)
        XCTAssertTrue(header.contains("whittle.recipe") && header.contains("whittle.source"))
    }

    func testBadRequestsAreLuaErrorsNamingTheProblem() throws {
        let lm = "local lm = whittle.lm.load(\"\(fixture("qwen3"))\")\n"
        func failure(_ code: String) -> String {
            do { _ = try recipe(lm + code); return "" } catch { return String(describing: error) }
        }
        XCTAssertTrue(failure("lm:save('/tmp/outside-\(UUID().uuidString).gguf')").contains("is outside the working directory"))
        XCTAssertTrue(failure("lm:save('x/', {format='compressed-tensors'})").contains("no projection weight is Q4_0, Q8_0 or W8A8"))
        XCTAssertTrue(failure("lm:save('x.gguf', {format='hf'})").contains("writes a directory"))
        XCTAssertTrue(failure("lm:save('x/', {format='onnx'})").contains("format"))
        XCTAssertTrue(failure("lm:save('x.gguf', {dequantize='f16'})").contains("dequantize"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "nothing written")
    }

    func testModelSaveRecordsPassesAndRecipe() throws {
        let code = """
        local w = whittle
        local m = w.nn.sequential{ w.nn.linear(8, 4), w.nn.relu(), w.nn.linear(4, 2) }
        w.run_pass("prune.magnitude", m, {sparsity = 0.5})
        m:save("m.safetensors")
        local m2 = w.load("m.safetensors")
        m2:save("m2.safetensors")
        return "ok"
        """
        XCTAssertEqual(try recipe(code), "ok")
        let header = try String(contentsOfFile: dir + "/m.safetensors", encoding: .isoLatin1)
        XCTAssertTrue(header.contains(#"\"pass\":\"prune.magnitude\""#) && header.contains(#"\"sparsity\":0.5"#), header.prefix(2000).description)
        XCTAssertTrue(header.contains("w.run_pass(\\\"prune.magnitude\\\""))
        // A model loaded from a file names it, with its hash, when saved again.
        let again = try String(contentsOfFile: dir + "/m2.safetensors", encoding: .isoLatin1)
        XCTAssertTrue(again.contains("whittle.source") && again.contains("m.safetensors") && again.contains("sha256"))
    }
}
