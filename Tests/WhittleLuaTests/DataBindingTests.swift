// Every expected value below was checked with `whittle run -e` on the committed bindings.
import WhittleLua
import XCTest

/// The `whittle.data` part of the Lua contract.
final class DataBindingTests: XCTestCase {
    func eval(_ code: String) throws -> String {
        let lua = try LuaState()
        return try lua.run(code, name: "=test").joined(separator: "\t")
    }

    func testMNISTShapesAndLabels() throws {
        XCTAssertEqual(try eval("local d = whittle.data.mnist(); return #d.train, #d.test, tostring(d.train.images.shape), d.train.labels:get(1), d.test.images:max()"),
                       "60000\t10000\t(60000, 1, 28, 28)\t5.0\t1.0")
    }

    func testBatchesIterateEverySampleOnceAndAreSeeded() throws {
        let code = """
        local s = whittle.data.mnist().test:take(10)
        local ys, n = {}, 0
        for x, y in s:batches(4, {shuffle=true, seed=1}) do n = n + 1; for i = 1, #y do ys[#ys+1] = y:get(i) end end
        table.sort(ys)
        local a, b = {}, {}
        for _, y in s:batches(3, {shuffle=true, seed=5}) do a[#a+1] = y:sum() end
        for _, y in s:batches(3, {shuffle=true, seed=5}) do b[#b+1] = y:sum() end
        return n, table.concat(ys, ","), table.concat(a, ",") == table.concat(b, ","), #s:batches(3), tostring(s)
        """
        XCTAssertEqual(try eval(code), "3\t0.0,1.0,1.0,2.0,4.0,4.0,5.0,7.0,9.0,9.0\ttrue\t4\tDataset(10 samples, images 10x1x28x28 f32, labels 10 f32)")
    }

    func testBadArgumentsAreLuaErrors() throws {
        let code = """
        local s = whittle.data.mnist().test:take(10)
        return select(2, pcall(function() return s:take(-1) end)),
               select(2, pcall(function() return s:batches(2, {shufle=true}) end)),
               select(2, pcall(function() return whittle.data.idx("nope.gz", "x") end))
        """
        XCTAssertEqual(try eval(code), "test:2: take: count must be >= 0, got -1\ttest:3: batches: unknown option 'shufle' (known: seed, shuffle)\ttest:4: data.idx: cannot open 'nope.gz': No such file or directory")
    }
}
