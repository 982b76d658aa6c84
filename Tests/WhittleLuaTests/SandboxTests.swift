import Foundation
import WhittleFormats
import WhittleLua
import XCTest

/// The sandbox judges writes by where they land: symlinked files and directories,
/// `..` through a link, and links created while the recipe runs cannot lead outside.
final class SandboxTests: XCTestCase {
    private var root = "", outside = "", savedDirectory = ""

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("whittle-sandbox-\(UUID().uuidString)").path
        root = base + "/work"
        outside = base + "/elsewhere"
        for dir in [root, outside, root + "/sub"] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        savedDirectory = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(root)
    }

    override func tearDownWithError() throws {
        FileManager.default.changeCurrentDirectoryPath(savedDirectory)
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    private func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
    }

    /// The error `code` raises in a sandboxed state ("" when it runs).
    private func failure(_ lua: LuaState, _ code: String) -> String {
        do { try lua.run(code, name: "@recipe.lua"); return "" } catch { return "\(error)" }
    }

    private func outsideFiles() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: outside) }

    func testSymlinkedFileLeadingOutsideIsRefusedForEveryWriter() throws {
        try link("link", to: outside + "/f")          // dangling: the write would create it outside
        try link("existing", to: outside + "/g")
        XCTAssertTrue(FileManager.default.createFile(atPath: outside + "/g", contents: Data("old".utf8)))
        let lua = try LuaState(sandbox: true)
        for code in ["io.open('link', 'w'):write('x')", "io.open('existing', 'a')", "io.open('existing', 'r+')",
                     "io.output('link')", "whittle.nn.sequential{whittle.nn.linear(2, 2)}:save('link')",
                     "whittle.nn.sequential{whittle.nn.linear(2, 2)}:save('existing')"] {
            let message = failure(lua, code)
            XCTAssertTrue(message.hasPrefix("recipe.lua:1: ") && message.contains("sandbox: writing '") && message.contains("is outside the working directory"),
                          "\(code): \(message)")
        }
        XCTAssertEqual(try outsideFiles(), ["g"])
        XCTAssertEqual(try String(contentsOfFile: outside + "/g", encoding: .utf8), "old")
        // Reading through the link is not a write.
        XCTAssertEqual(failure(lua, "assert(io.open('existing', 'r'):read('a') == 'old')"), "")
    }

    func testSymlinkedDirectoryAndDotDotThroughALink() throws {
        try link("dir", to: outside)
        try link("subdir", to: root + "/sub")          // a link that stays inside is fine
        let lua = try LuaState(sandbox: true)
        XCTAssertTrue(failure(lua, "io.open('dir/x', 'w')").contains("sandbox: writing 'dir/x' is outside the working directory"))
        // Read as text, "dir/../x" is inside; the kernel goes to the link's parent instead.
        XCTAssertTrue(failure(lua, "io.open('dir/../x', 'w')").contains("is outside the working directory"))
        XCTAssertTrue(failure(lua, "io.open('subdir/../../x', 'w')").contains("is outside the working directory"))
        XCTAssertTrue(failure(lua, "os.rename('a', 'dir/a')").contains("sandbox: writing 'dir/a' is outside"))
        XCTAssertTrue(failure(lua, "os.remove('dir/g')").contains("sandbox: writing 'dir/g' is outside"))
        XCTAssertEqual(failure(lua, """
            local f = assert(io.open('subdir/../inside.txt', 'w')); f:write('ok'); f:close()
            assert(io.open('subdir/x', 'w')):close()
            assert(os.rename('subdir/x', 'y')); assert(os.remove('y'))
            """), "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/inside.txt"))
        XCTAssertEqual(try outsideFiles(), [])
    }

    func testLinkCreatedDuringTheRun() throws {
        let lua = try LuaState(sandbox: true)
        XCTAssertEqual(failure(lua, "local f = assert(io.open('late', 'w')); f:write('1'); f:close()"), "")
        // Something other than the recipe (a plugin, another process) swaps the file for a link.
        try FileManager.default.removeItem(atPath: root + "/late")
        try link("late", to: outside + "/late")
        XCTAssertTrue(failure(lua, "io.open('late', 'w')").contains("sandbox: writing 'late' is outside the working directory"))
        XCTAssertEqual(try outsideFiles(), [])
    }

    func testPolicyIsOneSharedCheck() throws {
        try link("dir", to: outside)
        let policy = SandboxPolicy(root: root)
        XCTAssertEqual(try policy.checkWritable("a.gguf"), policy.root + "/a.gguf")
        XCTAssertEqual(try policy.checkWritable("sub/../b"), policy.root + "/b")
        XCTAssertEqual(try policy.checkWritable("new/dir/c"), policy.root + "/new/dir/c")
        XCTAssertThrowsError(try policy.checkWritable("new/../../c"))
        XCTAssertThrowsError(try policy.checkWritable("dir/model.gguf")) {
            XCTAssertEqual("\($0)", "sandbox: writing 'dir/model.gguf' is outside the working directory")
        }
        XCTAssertThrowsError(try policy.checkWritable("/etc/passwd"))
        XCTAssertEqual(try policy.checkEntry("dir"), policy.root + "/dir", "removing the link itself stays inside")
        let lua = try LuaState(sandbox: true)
        XCTAssertThrowsError(try lua.checkWritable("dir/x"))
        XCTAssertEqual(try LuaState().checkWritable("dir/x"), "dir/x", "no sandbox, no check")
    }
}
