import Foundation
import XCTest

/// The two commands of the hardening issue, and --max-memory, as a user runs them.
final class HardeningCLITests: XCTestCase {
    func testImpossibleTensorIsAnErrorWithExitCode1() throws {
        let r = try CLI.run(["run", "-e", "whittle.zeros{100000, 100000}"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("(command line):1: zeros: cannot allocate 40.0 GB for a 100000x100000 f32 tensor ("), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
    }

    func testMaxMemoryAndTheSandboxDefault() throws {
        let over = try CLI.run(["run", "--max-memory", "512M", "-e", "local t = whittle.zeros{1000, 1000}\nlocal u = whittle.zeros{1000, 1000, 200}"])
        XCTAssertEqual(over.status, 1)
        XCTAssertTrue(over.stderr.hasPrefix("(command line):2: zeros: cannot allocate 800.0 MB for a 1000x1000x200 f32 tensor (memory budget 512.0 MB, "), over.stderr)
        let limits = try CLI.run(["run", "--sandbox", "-e", "local l = whittle.limits(); print(l.memory == l.physical // 2)"])
        XCTAssertEqual(limits.stdout, "true\n", limits.stderr)
        let both = try CLI.run(["run", "--sandbox", "--max-memory", "8G", "-e", "print(whittle.limits().memory)"])
        XCTAssertEqual(both.stdout, "8000000000\n", both.stderr)
        let bad = try CLI.run(["run", "--max-memory", "lots", "-e", "print(1)"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--max-memory: expected a size such as 8G or 512M, got 'lots'"), bad.stderr)
    }

    func testSandboxedWriteThroughASymlinkIsRefused() throws {
        let base = try CLI.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = base + "/w", elsewhere = base + "/elsewhere"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: elsewhere)
        let r = try CLI.run(["run", "--sandbox", "-e", "io.open('link', 'w'):write('x')"], directory: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("(command line):1: sandbox: writing 'link' is outside the working directory"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere))
    }
}
