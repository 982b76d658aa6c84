import CLua
import WhittleLua
import WhittleTensor
import XCTest

/// Errors raised from Swift bindings: location, naming, and no leaks across the longjmp.
final class BindingErrorTests: XCTestCase {
    func runError(_ code: String, _ state: LuaState? = nil) throws -> String {
        let lua = try state ?? LuaState()
        do {
            try lua.run(code, name: "@recipe.lua")
            XCTFail("expected an error from: \(code)")
            return ""
        } catch let error as LuaHostError {
            return error.description
        }
    }

    func testErrorCarriesCallerLineAndBindingName() throws {
        let message = try runError("local t = whittle.zeros{2,3}\nlocal u = whittle.zeros{4,5}\nlocal function f() return t:matmul(u) end\nf()")
        XCTAssertTrue(message.hasPrefix("recipe.lua:3: matmul: inner dimensions differ (2x3 * 4x5)"), message)
        XCTAssertTrue(message.contains("stack traceback"), message)
    }

    func testWrongArgumentTypesNameTheParameter() throws {
        XCTAssertTrue(try runError("whittle.zeros('x')").contains("zeros: 'shape' must be a number, got string"))
        XCTAssertTrue(try runError("whittle.tensor{1, 'a'}").contains("tensor: values[2] must be a number, got string"))
        XCTAssertTrue(try runError("whittle.tensor{{1,2},{3}}").contains("tensor: ragged nested table: values[2] has 1 elements, expected 2"))
        XCTAssertTrue(try runError("local t = whittle.zeros{2}; return t + {}").contains("'right operand' must be a number, got table"))
        XCTAssertTrue(try runError("whittle.allclose(whittle.zeros{1}, 3)").contains("allclose: 'b' must be a Tensor, got number"))
        XCTAssertTrue(try runError("whittle.allclose(whittle.zeros{1}, whittle.zeros{1}, {atl=1})").contains("unknown option 'atl'"))
        XCTAssertTrue(try runError("whittle.threads(0)").contains("threads: 'n' must be in [1, 1024], got 0"))
    }

    func testIndexAndShapeErrors() throws {
        XCTAssertTrue(try runError("whittle.zeros{2,2}:get(3,1)").contains("get: index 3 out of range for dimension 1 of size 2"))
        XCTAssertTrue(try runError("whittle.zeros{2,2}:get(1)").contains("get: expected 2 indices for a tensor of shape 2x2, got 1"))
        XCTAssertTrue(try runError("return whittle.zeros{2,3} + whittle.zeros{4,3}").contains("+: shapes 2x3 and 4x3 cannot be broadcast"))
        XCTAssertTrue(try runError("whittle.zeros{2,3}:reshape{4,2}").contains("reshape: cannot reshape 2x3 (6 elements) into 4x2"))
        XCTAssertTrue(try runError("whittle.zeros{-1}").contains("'shape' must not be negative, got -1"))
    }

    func testSyntaxErrorNamesChunkAndLine() throws {
        let lua = try LuaState()
        XCTAssertThrowsError(try lua.run("local x = \n\n)", name: "@bad.lua")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("bad.lua:3:"), String(describing: error))
        }
    }

    /// 100,000 failing calls: every Swift object created before the error is freed,
    /// and memory stays flat (the error is raised after the Swift frame returned).
    func testFailingBindingCallsLeakNothing() throws {
        let lua = try LuaState()
        try lua.run("A = whittle.zeros{2,3}; B = whittle.zeros{4,5}")
        try lua.run("for i = 1, 1000 do pcall(A.matmul, A, B) end collectgarbage()")
        let liveBefore = Tensor.liveCount.load(ordering: .relaxed)
        let rssBefore = residentBytes()
        try lua.run("""
        local ok, n = true, 0
        for i = 1, 100000 do
          local good, err = pcall(function() return A:matmul(B) end)
          if not good then n = n + 1 end
        end
        assert(n == 100000)
        collectgarbage(); collectgarbage()
        """)
        XCTAssertEqual(Tensor.liveCount.load(ordering: .relaxed), liveBefore)
        let growth = residentBytes() - rssBefore
        XCTAssertLessThan(growth, 1 << 20, "resident memory grew by \(growth) bytes")
    }

    func testTensorUserdataIsReleasedByGC() throws {
        let lua = try LuaState()
        try lua.run("collectgarbage()")
        let before = Tensor.liveCount.load(ordering: .relaxed)
        try lua.run("T = {} for i = 1, 100 do T[i] = whittle.ones{10, 10} * 2 end collectgarbage() collectgarbage()")
        XCTAssertEqual(Tensor.liveCount.load(ordering: .relaxed), before + 100)
        try lua.run("T = nil collectgarbage() collectgarbage()")
        XCTAssertEqual(Tensor.liveCount.load(ordering: .relaxed), before)
    }

    private func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = s.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
