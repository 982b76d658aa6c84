import Foundation
import XCTest

/// `whittle run` records the recipe in what it saves, and `whittle inspect` shows the provenance
/// of GGUF files, safetensors files and Hugging Face directories.
final class ExportCLITests: XCTestCase {
    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm").appendingPathComponent(name).path
    }

    func testRecipeSavesAndInspectShowsProvenanceForFilesAndDirectories() throws {
        let dir = try CLI.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = """
        local lm = whittle.lm.load("\(fixture("qwen2"))")
        lm:save("q.gguf")
        lm:save("q-hf/")
        local m = whittle.nn.sequential{ whittle.nn.linear(4, 2) }
        whittle.run_pass("prune.magnitude", m, {sparsity = 0.5})
        m:save("m.safetensors")
        """
        try recipe.write(toFile: dir + "/export.lua", atomically: true, encoding: .utf8)
        let run = try CLI.run(["run", "export.lua"], directory: dir)
        XCTAssertEqual(run.status, 0, run.stderr)

        let gguf = try CLI.run(["inspect", "q.gguf"], directory: dir)
        XCTAssertEqual(gguf.status, 0, gguf.stderr)
        XCTAssertTrue(gguf.stdout.contains("provenance:") && gguf.stdout.contains("source: qwen2")
                      && gguf.stdout.contains("| lm:save(\"q.gguf\")"), gguf.stdout)

        let hf = try CLI.run(["inspect", "q-hf"], directory: dir)
        XCTAssertEqual(hf.status, 0, hf.stderr)
        XCTAssertTrue(hf.stdout.contains("Hugging Face model directory") && hf.stdout.contains("model_type: qwen2")
                      && hf.stdout.contains("model.layers.0.self_attn.q_proj.weight") && hf.stdout.contains("sha256"), hf.stdout)

        let st = try CLI.run(["inspect", "m.safetensors"], directory: dir)
        XCTAssertEqual(st.status, 0, st.stderr)
        XCTAssertTrue(st.stdout.contains("1. prune.magnitude") && st.stdout.contains("sparsity=0.5"), st.stdout)

        let bad = try CLI.run(["inspect", dir], directory: dir)
        XCTAssertNotEqual(bad.status, 0, "a directory without config.json is an error")
        XCTAssertTrue(bad.stderr.contains("config.json"), bad.stderr)
    }

    func testQuantizeTakesAHuggingFaceDirectory() throws {
        let dir = try CLI.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let q = try CLI.run(["quantize", fixture("qwen2"), dir + "/q8.gguf", "Q8_0"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stderr.contains("is a Hugging Face directory: converting it to GGUF first"), q.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["q8.gguf"], "the intermediate GGUF is removed")
        let check = try CLI.run(["run", "-e", """
            local a = whittle.lm.load("\(fixture("qwen2"))"):logits({1, 5, 9, 20})
            local b = whittle.lm.load("\(dir)/q8.gguf")
            print(b:summary():find("q8_0", 1, true) ~= nil, (a - b:logits({1, 5, 9, 20})):abs():max() < 0.05 * a:abs():max())
            """])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "true\ttrue")
    }
}
