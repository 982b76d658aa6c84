import Foundation
import WhittleLua
import WhittleTensor
import XCTest

/// `whittle.limits` and the memory budget as a recipe meets it.
final class LimitsTests: XCTestCase {
    private var savedLimit: Int?
    override func setUp() { savedLimit = MemoryBudget.limit }
    override func tearDown() { MemoryBudget.limit = savedLimit }

    private func failure(_ lua: LuaState, _ code: String) -> String {
        do { try lua.run(code, name: "@recipe.lua"); return "" } catch { return "\(error)" }
    }

    func testLimitsSetReadAndRefuse() throws {
        let lua = try LuaState()
        XCTAssertEqual(try lua.run("local l = whittle.limits{memory = '2G'}; return l.memory, l.physical > 0, l.used >= 0"),
                       ["2000000000", "true", "true"])
        XCTAssertEqual(MemoryBudget.limit, 2_000_000_000)
        XCTAssertEqual(try lua.run("return whittle.limits{memory = false}.memory"), ["nil"])
        XCTAssertNil(MemoryBudget.limit)
        XCTAssertTrue(failure(lua, "whittle.limits{memory = 'lots'}").contains("limits: 'memory' must be a size such as \"512M\" or \"8G\", got \"lots\""))
        XCTAssertTrue(failure(lua, "whittle.limits{memory = 0/0}").contains("'memory' must be a positive size in bytes"))
        XCTAssertTrue(failure(lua, "whittle.limits{mem = 1}").contains("unknown option 'mem'"))

        let sandboxed = try LuaState(sandbox: true)
        MemoryBudget.limit = 1_000_000_000
        XCTAssertEqual(failure(sandboxed, "whittle.limits{memory = '500M'}"), "")
        XCTAssertTrue(failure(sandboxed, "whittle.limits{memory = '8G'}").contains("'memory' cannot be raised under --sandbox"))
        XCTAssertTrue(failure(sandboxed, "whittle.limits{memory = false}").contains("cannot be raised"))
        XCTAssertEqual(MemoryBudget.limit, 500_000_000)
    }

    func testOverBudgetTensorsAndTablesAreLuaErrors() throws {
        let lua = try LuaState()
        _ = try lua.run("whittle.limits{memory = \(MemoryBudget.used + 50_000_000)}")
        XCTAssertTrue(failure(lua, "local x = 1\nlocal t = whittle.zeros{10000, 10000}").hasPrefix(
            "recipe.lua:2: zeros: cannot allocate 400.0 MB for a 10000x10000 f32 tensor (memory budget"))
        XCTAssertTrue(failure(lua, "whittle.ones{1000, 1000}:clone():clone():clone():reshape{-1}:clone():clone():clone():clone():clone():clone():clone():clone():clone()")
                        .contains("clone: cannot allocate 4.0 MB"), "clones are charged until the budget is used up")
        _ = try lua.run("collectgarbage(); collectgarbage()")
        // Lua's own heap counts as well: a huge table is an error, not the OOM killer.
        XCTAssertTrue(failure(lua, "local t = {}; for i = 1, 1e8 do t[i] = i end").hasPrefix("not enough memory for Lua values (memory budget"))
        XCTAssertEqual(try lua.run("return #whittle.zeros{100}"), ["100"], "the state is usable afterwards")
    }
}
