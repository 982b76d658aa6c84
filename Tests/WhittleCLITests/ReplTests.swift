import Foundation
import XCTest

/// The REPL for real, in a terminal: tmux runs it, send-keys types, capture-pane reads the screen.
final class ReplTests: XCTestCase {
    var socket = ""
    var home = ""

    override func setUpWithError() throws {
        socket = "whittle-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        home = try CLI.tempDirectory()
    }

    override func tearDown() {
        _ = try? tmux(["kill-server"])
    }

    /// Runs tmux on this test's socket and returns its standard output.
    /// posix_spawn + waitpid rather than Foundation's Process: the tmux server that
    /// new-session starts inherits Process's exit-monitoring descriptor, so
    /// Process.waitUntilExit would never return.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let argv = (["tmux", "-L", socket] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "tmux", &actions, nil, argv, environ)
        guard rc == 0 else { throw NSError(domain: "tmux", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot start tmux (is it installed? Scripts/setup.sh installs it)"]) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "repl"]) }

    /// Waits until the screen satisfies `condition` (up to 20 s).
    func waitFor(_ what: String, _ condition: (String) -> Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return }
            usleep(100_000)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)")
    }

    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", "repl", "-l", text])
        try tmux(["send-keys", "-t", "repl", "Enter"])
    }

    func testSessionInTerminal() throws {
        let command = "env HOME=\(home) TERM=xterm \(CLI.executable) repl; echo REPL-EXITED-$?; sleep 30"
        try tmux(["new-session", "-d", "-s", "repl", "-x", "120", "-y", "50", command])
        try waitFor("banner") { $0.contains("Ctrl-D exits") }

        // An expression prints its value without '=' or 'return'.
        try type("1 + 2")
        try waitFor("3") { $0.contains("> 1 + 2\n3") }
        try type("whittle.tensor{{1,2},{3,4}}:matmul(whittle.tensor{{1,0},{0,1}}):sum()")
        try waitFor("10.0") { $0.contains("\n10.0") }

        // A multi-line function definition continues with the '>>' prompt.
        try type("function sq(x)")
        try waitFor("continuation prompt") { $0.contains("\n>>") }  // capture-pane trims the trailing space
        try type("  return x * x")
        try type("end")
        try type("sq(12)")
        try waitFor("144") { $0.contains("\n144") }

        // An error is printed and the session goes on.
        try type("whittle.zeros{2,3}:matmul(whittle.zeros{4,5})")
        try waitFor("error") { $0.contains("matmul: inner dimensions differ (2x3 * 4x5)") }
        try type("sq(3)")
        try waitFor("still alive") { $0.contains("\n9") }

        // Tab completes whittle names.
        try tmux(["send-keys", "-t", "repl", "-l", "whittle.allc"])
        try tmux(["send-keys", "-t", "repl", "Tab"])
        try waitFor("completion") { $0.contains("whittle.allclose") }
        try tmux(["send-keys", "-t", "repl", "C-u"])

        // Ctrl-D exits with status 0.
        try tmux(["send-keys", "-t", "repl", "C-d"])
        try waitFor("exit") { $0.contains("REPL-EXITED-0") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: home + "/.whittle_history"))
    }

    func testPipedInputEvaluatesLikeLuaI() throws {
        let r = try CLI.run(["repl"], input: "x = 6\nx * 7\nfunction f(a)\n  return a + 1\nend\nf(1)\nerror('oops')\n{a=1, 'b'}\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "42\n2\n{\"b\", a=1}\n\n")
        XCTAssertTrue(r.stderr.contains("stdin:1: oops"), r.stderr)
    }
}
