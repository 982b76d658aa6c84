import Foundation
import XCTest

/// `whittle run` end to end, on the built binary.
final class RunCommandTests: XCTestCase {
    func testMatmulFromCommandLine() throws {
        let r = try CLI.run(["run", "-e", "local t = whittle.tensor{{1,2},{3,4}}; print(t:matmul(t))"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "tensor([[ 7., 10.],\n        [15., 22.]], shape=(2, 2), dtype=f32)\n")
    }

    func testRecipeWithArgumentsAndRequireNextToIt() throws {
        let dir = try CLI.tempDirectory()
        try "return { double = function(x) return 2 * x end }".write(toFile: dir + "/helper.lua", atomically: true, encoding: .utf8)
        try """
        #!/usr/bin/env whittle
        local h = require("helper")
        print(arg[0], arg[1], arg[2], select("#", ...), h.double(tonumber(arg[2])))
        """.write(toFile: dir + "/recipe.lua", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", dir + "/recipe.lua", "--flag", "21"], directory: "/")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(dir)/recipe.lua\t--flag\t21\t2\t42\n")
    }

    func testFailingRecipeExitsOneWithFileAndLine() throws {
        let dir = try CLI.tempDirectory()
        try "local a = whittle.zeros{2,3}\n\nlocal b = a:matmul(whittle.zeros{4,5})\n".write(toFile: dir + "/bad.lua", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "bad.lua"], directory: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("bad.lua:3: matmul: inner dimensions differ (2x3 * 4x5)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stack traceback:"), r.stderr)
        let syntax = try CLI.run(["run", "-e", "local x = = 1"])
        XCTAssertEqual(syntax.status, 1)
        XCTAssertTrue(syntax.stderr.contains("(command line):1:"), syntax.stderr)
        let runtime = try CLI.run(["run", "-e", "error('boom')"])
        XCTAssertEqual(runtime.status, 1)
        XCTAssertTrue(runtime.stderr.hasPrefix("(command line):1: boom"), runtime.stderr)
    }

    func testMissingRecipeIsOneLineError() throws {
        let r = try CLI.run(["run", "/nonexistent/recipe.lua"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot open recipe '/nonexistent/recipe.lua'"), r.stderr)
    }

    func testStandardInput() throws {
        let r = try CLI.run(["run", "-", "x"], input: "print('from stdin', ...)\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "from stdin\tx\n")
    }

    func testSandboxBlocksProcessesNativeCodeAndOutsideWrites() throws {
        let dir = try CLI.tempDirectory()
        let exec = try CLI.run(["run", "--sandbox", "-e", "os.execute('touch pwned')"], directory: dir)
        XCTAssertEqual(exec.status, 1)
        XCTAssertTrue(exec.stderr.contains("sandbox: os.execute is disabled"), exec.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pwned"))
        let popen = try CLI.run(["run", "--sandbox", "-e", "io.popen('ls')"], directory: dir)
        XCTAssertTrue(popen.stderr.contains("sandbox: io.popen is disabled"), popen.stderr)
        let loadlib = try CLI.run(["run", "--sandbox", "-e", "package.loadlib('libc.so.6', 'puts')"], directory: dir)
        XCTAssertTrue(loadlib.stderr.contains("sandbox: package.loadlib is disabled"), loadlib.stderr)
        let outside = try CLI.run(["run", "--sandbox", "-e", "io.open('../escape.txt', 'w')"], directory: dir)
        XCTAssertEqual(outside.status, 1)
        XCTAssertTrue(outside.stderr.contains("sandbox: writing '../escape.txt' is outside the working directory"), outside.stderr)
        let inside = try CLI.run(["run", "--sandbox", "-e", "local f = io.open('ok.txt', 'w'); f:write('hi'); f:close(); print(io.open('ok.txt'):read('a'))"], directory: dir)
        XCTAssertEqual(inside.status, 0, inside.stderr)
        XCTAssertEqual(inside.stdout, "hi\n")
        // Without --sandbox the same call works.
        let free = try CLI.run(["run", "-e", "print(os.execute('true'))"], directory: dir)
        XCTAssertEqual(free.stdout, "true\texit\t0\n")
    }

    func testVersionAndHelp() throws {
        XCTAssertTrue(try CLI.run(["--version"]).stdout.hasPrefix("whittle "))
        for args in [["--help"], ["help"], ["run", "--help"], ["repl", "--help"], ["help", "run"]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE:"), "\(args): \(r.stdout)")
        }
    }
}
