import Foundation
import WhittleFormats
import WhittleNN
import WhittleTensor
import XCTest

/// Malformed checkpoints: each error names the file and the tensor or key at fault.
final class LMCheckpointErrorTests: XCTestCase {
    private func loadError(_ dir: String) -> String {
        do { _ = try LanguageModelLoader.load(directory: dir); return "" } catch { return "\(error)" }
    }

    func testMissingShardIsNamed() throws {
        let dir = try scratchCopy(of: "llama")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
        let e = loadError(dir)
        XCTAssertTrue(e.contains("model-00002-of-00002.safetensors") && e.contains("missing") && e.contains("holding tensor"), e)
    }

    func testShapeMismatchWithConfigNamesTensorAndFile() throws {
        let dir = try scratchCopy(of: "qwen3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["intermediate_size"] = 40 }
        let e = loadError(dir)
        XCTAssertTrue(e.contains("model.safetensors") && e.contains("mlp.gate_proj.weight") && e.contains("48x32") && e.contains("40x32"), e)
    }

    func testVocabDifferentFromEmbeddingRows() throws {
        let dir = try scratchCopy(of: "llama_bf16")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["vocab_size"] = 100 }
        let e = loadError(dir)
        XCTAssertTrue(e.contains("model.embed_tokens.weight") && e.contains("has 64 rows") && e.contains("config.json says the vocabulary has 100"), e)
    }

    func testUnknownArchitectureListsSupported() throws {
        let dir = try scratchCopy(of: "bert")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["model_type"] = "mamba" }
        let e = loadError(dir)
        XCTAssertTrue(e.contains("'mamba'") && e.contains("supported: bert, gemma3"), e)
    }

    func testMissingConfigKeyAndMissingFiles() throws {
        let dir = try scratchCopy(of: "bert")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0.removeValue(forKey: "hidden_size") }
        XCTAssertTrue(loadError(dir).contains("missing key 'hidden_size'"), loadError(dir))
        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        XCTAssertTrue(loadError(dir).contains("no model.safetensors"), loadError(dir))
        try FileManager.default.removeItem(atPath: dir + "/config.json")
        XCTAssertTrue(loadError(dir).contains("config.json: missing"), loadError(dir))
    }

    func testMissingTensorIsNamed() throws {
        let dir = try scratchCopy(of: "qwen3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try editConfig(dir) { $0["num_hidden_layers"] = 3 }
        let e = loadError(dir)
        XCTAssertTrue(e.contains("missing tensor 'model.layers.2.input_layernorm.weight'") || e.contains("missing tensor 'model.layers.2."), e)
    }

    func testBadIdsAndContextAreErrors() throws {
        let lm = try LanguageModelLoader.load(directory: lmFixture("llama"))
        XCTAssertThrowsError(try lm.logits([1, 64])) { XCTAssertTrue("\($0)".contains("token id 64 is out of range"), "\($0)") }
        XCTAssertThrowsError(try lm.logits([-1])) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        XCTAssertThrowsError(try lm.logits([])) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try lm.logits(Array(repeating: 1, count: 65))) { XCTAssertTrue("\($0)".contains("exceeds the model's maximum of 64"), "\($0)") }
        XCTAssertThrowsError(try lm.embed([[1]])) { XCTAssertTrue("\($0)".contains("encoder"), "\($0)") }
    }
}
