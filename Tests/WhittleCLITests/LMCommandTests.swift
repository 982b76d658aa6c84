import Foundation
import XCTest

/// `whittle generate`, `perplexity` and `embed` on the tiny checkpoints of WhittleNNTests' fixtures.
final class LMCommandTests: XCTestCase {
    private func fixture(_ name: String, file: String = #filePath) -> String {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WhittleNNTests/Fixtures/lm").appendingPathComponent(name).path
    }

    func testEmbedPrintsOneNormalisedRowPerInput() throws {
        let r = try CLI.run(["embed", fixture("bert"), "--ids", "2,9,33,40,3", "2,11,3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Float(String($0)) } }
        XCTAssertEqual(rows.map(\.count), [32, 32])
        for row in rows { XCTAssertEqual(row.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4) }
    }

    func testGenerateWithIdsIsDeterministicAndBounded() throws {
        let a = try CLI.run(["generate", fixture("llama"), "--ids", "1,17,5", "-n", "5"])
        let b = try CLI.run(["generate", fixture("llama"), "--ids", "1,17,5", "-n", "5"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        let ids = a.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int(String($0)) }
        XCTAssertEqual(ids.count, 8)
        XCTAssertEqual(Array(ids.prefix(3)), [1, 17, 5])
        XCTAssertTrue(ids.allSatisfy { (0..<64).contains($0) })
    }

    func testLLMBenchPrintsOneRowPerThreadCountAndTest() throws {
        let r = try CLI.run(["llm-bench", fixture("llama"), "-p", "20", "-n", "4", "-t", "1,2", "-r", "2", "--csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.first, ["model", "threads", "test", "tokens_per_s", "stddev"])
        XCTAssertEqual(rows.dropFirst().map { [$0[1], $0[2]] }, [["1", "pp20"], ["1", "tg4"], ["2", "pp20"], ["2", "tg4"]])
        for row in rows.dropFirst() { XCTAssertGreaterThan(Double(row[3]) ?? 0, 0, "\(row)") }
        let table = try CLI.run(["llm-bench", fixture("llama"), "-p", "8", "-n", "0", "-r", "1"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("| llama | "), table.stdout)
        XCTAssertTrue(table.stdout.contains("| 1 | pp8 | "), table.stdout)
        let tooLong = try CLI.run(["llm-bench", fixture("llama"), "-p", "65"])
        XCTAssertNotEqual(tooLong.status, 0)
        XCTAssertTrue(tooLong.stderr.contains("-p 65 exceeds the model's context of 64"), tooLong.stderr)
        let badThreads = try CLI.run(["llm-bench", fixture("llama"), "-t", "1,x"])
        XCTAssertTrue(badThreads.stderr.contains("-t: expected thread counts"), badThreads.stderr)
        let encoder = try CLI.run(["llm-bench", fixture("bert"), "-p", "4", "-n", "0"])
        XCTAssertTrue(encoder.stderr.contains("is an encoder"), encoder.stderr)
    }

    func testErrorsExitNonZeroWithTheReason() throws {
        let tooLong = try CLI.run(["generate", fixture("llama"), "--ids", Array(repeating: "1", count: 65).joined(separator: ","), "-n", "1"])
        XCTAssertNotEqual(tooLong.status, 0)
        XCTAssertTrue(tooLong.stderr.contains("exceeds the model's context of 64"), tooLong.stderr)
        let badID = try CLI.run(["generate", fixture("llama"), "--ids", "1,99"])
        XCTAssertTrue(badID.stderr.contains("token id 99 is out of range"), badID.stderr)
        let noTokenizer = try CLI.run(["perplexity", fixture("llama"), fixture("llama/config.json")])
        XCTAssertTrue(noTokenizer.stderr.contains("has no tokenizer"), noTokenizer.stderr)
        let missing = try CLI.run(["embed", "/nonexistent", "x"])
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
    }
}
