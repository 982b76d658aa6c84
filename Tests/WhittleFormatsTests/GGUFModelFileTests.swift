import Foundation
import WhittleFormats
import WhittleKernels
import WhittleTensor
import XCTest

/// Real llama.cpp-written models from the test-model cache (Scripts/test.sh runs Scripts/models/fetch.sh first).
final class GGUFModelFileTests: XCTestCase {
    private func model(_ name: String) throws -> String {
        let cache = ProcessInfo.processInfo.environment["WHITTLE_CACHE"] ?? (NSHomeDirectory() + "/.cache/whittle")
        let path = cache + "/models/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw GGUFError.invalidWrite("test model \(path) is missing: run Scripts/models/fetch.sh")
        }
        return path
    }

    func testSmolLM2ReadsAndRewritesByteIdentically() throws {
        let path = try model("SmolLM2-135M-Instruct.Q4_1.gguf")
        let f = try GGUFFile.open(path)
        XCTAssertEqual(f.string("general.architecture"), "llama")
        XCTAssertEqual(f.int("llama.embedding_length"), 576)
        XCTAssertEqual(f.stringArray("tokenizer.ggml.tokens")?.count, 49152)
        let embd = try XCTUnwrap(f.info(named: "token_embd.weight"))
        XCTAssertEqual(embd.shape, [49152, 576])
        XCTAssertEqual(try f.tensor(named: "token_embd.weight").shape, [49152, 576])
        XCTAssertEqual(f.tensorInfos.count, 272)
        try assertRewriteIdentical(f, path)
    }

    func testGemma3ReadsAndRewritesByteIdentically() throws {
        let path = try model("gemma-3-270m-q4_k_m.gguf")
        let f = try GGUFFile.open(path)
        XCTAssertEqual(f.string("general.architecture"), "gemma3")
        XCTAssertTrue(Set(f.tensorInfos.map(\.type)).isSuperset(of: [.q4_K, .f32]))
        for info in f.tensorInfos where info.dtype != nil { _ = try f.tensor(named: info.name) }
        try assertRewriteIdentical(f, path)
    }

    private func assertRewriteIdentical(_ f: GGUFFile, _ path: String, line: UInt = #line) throws {
        let out = try makeTempDir(self) + "/rewrite.gguf"
        try GGUFWriter.write(f, to: out)
        let a = try MappedFile(path: path), b = try MappedFile(path: out)
        XCTAssertEqual(a.count, b.count, line: line)
        XCTAssertTrue(a.buffer.elementsEqual(b.buffer), "rewrite differs", line: line)
    }
}
