import Foundation
import XCTest

/// `whittle inspect`, `passes`, `bench` and `--plugin` end to end, on the built binary.
final class ToolCommandTests: XCTestCase {
    /// The repository root (the bundled model and plugins live there).
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testInspectBundledModel() throws {
        let r = try CLI.run(["inspect", root + "/Models/lenet300.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("1.weight  f32    [300, 784]  940800"), r.stdout)
        XCTAssertTrue(r.stdout.contains("whittle.version"), r.stdout)
        XCTAssertTrue(r.stdout.contains("linear   bias=true in=784 out=300"), r.stdout)
    }

    func testInspectMalformedFileFailsWithReason() throws {
        let dir = try CLI.tempDirectory()
        var bytes = Data([200, 0, 0, 0, 0, 0, 0, 0])   // header claims 200 bytes
        bytes.append(contentsOf: Array("{\"a\":".utf8))
        FileManager.default.createFile(atPath: dir + "/bad.safetensors", contents: bytes)
        let r = try CLI.run(["inspect", dir + "/bad.safetensors"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.safetensors"), r.stderr)
        let missing = try CLI.run(["inspect", dir + "/none.safetensors"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.safetensors"), missing.stderr)
    }

    func testPassesListsBuiltinsAndPlugins() throws {
        let r = try CLI.run(["passes", "--plugin", root + "/Plugins/wanda/wanda.lua", "--no-plugin-discovery"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["prune.magnitude", "quantize.ptq", "distill", "share.kmeans", "lowrank.svd"] {
            XCTAssertTrue(r.stdout.contains(name), "\(name) missing from:\n\(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("prune.wanda_lua") && r.stdout.contains("lua:"), r.stdout)
        let one = try CLI.run(["passes", "prune.magnitude", "--no-plugin-discovery"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("sparsity"), one.stdout)
        let json = try CLI.run(["passes", "--json", "--no-plugin-discovery"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))
        XCTAssertNotNil(parsed)
        let unknown = try CLI.run(["passes", "prune.magic", "--no-plugin-discovery"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown pass 'prune.magic'"), unknown.stderr)
    }

    func testBrokenPluginIsReportedAndTheRunGoesOn() throws {
        let dir = try CLI.tempDirectory()
        try "this is not a library".write(toFile: dir + "/notes.so", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--no-plugin-discovery", "--plugin", dir + "/notes.so", "-e", "print('still running')"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "still running\n")
        XCTAssertTrue(r.stderr.contains("plugin '\(dir)/notes.so': not a shared library"), r.stderr)
        let sandboxed = try CLI.run(["run", "--sandbox", "--no-plugin-discovery", "--plugin", dir + "/notes.so", "-e", "print(1)"])
        XCTAssertTrue(sandboxed.stderr.contains("native plugins are disabled (--sandbox)"), sandboxed.stderr)
    }

    func testBenchRunsAFilteredCaseAsJSON() throws {
        let r = try CLI.run(["bench", "--filter", "quantize_q8_0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        XCTAssertTrue(r.stdout.contains("quantize_q8_0"), r.stdout)
        XCTAssertNotNil(parsed)
    }
}
