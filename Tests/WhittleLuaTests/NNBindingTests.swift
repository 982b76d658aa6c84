import Foundation
import WhittleLua
import XCTest

/// The models part of the Lua contract: whittle.nn.*, Model methods, load/train/evaluate.
final class NNBindingTests: XCTestCase {
    func eval(_ code: String) throws -> String {
        let lua = try LuaState()
        return try lua.run(code, name: "=test").joined(separator: "\t")
    }

    func error(_ code: String) -> String {
        do { _ = try eval(code); return "no error" } catch { return "\(error)" }
    }

    let mlp = "local w = whittle; local m = w.nn.sequential{ w.nn.flatten(), w.nn.linear(4, 3, {seed=1}), w.nn.relu(), w.nn.linear(3, 2, {seed=2, name='out'}) }; "

    func testBuildForwardAndParameterNames() throws {
        XCTAssertEqual(try eval(mlp + "local y = m:forward(w.ones{5, 1, 2, 2}); return y.shape[1], y.shape[2], #m"), "5\t2\t4")
        XCTAssertEqual(try eval(mlp + "local n = {}; for k in pairs(m:parameters()) do n[#n+1] = k end; table.sort(n); return table.concat(n, ',')"),
                       "1.bias,1.weight,out.bias,out.weight")
        // linear is y = x W^T + b: check one output by hand.
        let byHand = mlp + """
        local x = w.tensor{{1, 2, 3, 4}}
        local W, b = m:param('1.weight'), m:param('1.bias')
        local l = m:layers()[2]
        local y = l:forward(x)
        local s = b:get(2)
        for j = 1, 4 do s = s + W:get(2, j) * x:get(1, j) end
        return math.abs(y:get(1, 2) - s) < 1e-5, l.type
        """
        XCTAssertEqual(try eval(byHand), "true\tlinear")
    }

    func testParametersShareStorageAndCloneIsDeep() throws {
        XCTAssertEqual(try eval(mlp + "m:parameters()['1.weight']:set(1, 1, 42); return m:param('1.weight'):get(1, 1)"), "42.0")
        XCTAssertEqual(try eval(mlp + "local c = m:clone(); c:param('1.weight'):set(1, 1, 7); return m:param('1.weight'):get(1, 1) ~= 7, c:param('1.weight'):get(1, 1)"),
                       "true\t7.0")
    }

    func testSummaryAndTostring() throws {
        XCTAssertEqual(try eval(mlp + "local s = m:summary(); return s.params, s.bytes, #s.layers, s.layers[2].params, s.layers[2].dtype"), "23\t92\t4\t15\tf32")
        XCTAssertTrue(try eval(mlp + "return tostring(m)").contains("(out): linear(3 -> 2)"))
        XCTAssertTrue(try eval("return tostring(whittle.nn.conv2d(1, 2, 3, {stride=2, padding=1}))").contains("stride 2, padding 1"))
    }

    func testSaveLoadRoundTrip() throws {
        let path = NSTemporaryDirectory() + "whittle-nnb-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let code = """
        local w = whittle
        local m = w.nn.sequential{ w.nn.conv2d(1, 2, 3, {padding=1, seed=1}), w.nn.maxpool2d(2), w.nn.tanh(), w.nn.flatten(), w.nn.dropout(0.3), w.nn.linear(8, 3, {seed=2}), w.nn.softmax() }
        m:save('\(path)', {metadata={recipe='test'}})
        local back = w.load('\(path)')
        local x = w.randn({2, 1, 4, 4}, {seed=3})
        return w.allclose(m:forward(x), back:forward(x)), back.metadata.recipe, #back
        """
        XCTAssertEqual(try eval(code), "true\ttest\t7")
    }

    func testTrainAndEvaluateOnADataset() throws {
        let code = """
        local w = whittle
        local d = w.data.mnist().train:take(1000)
        local m = w.nn.sequential{ w.nn.flatten(), w.nn.linear(784, 32, {seed=1}), w.nn.relu(), w.nn.linear(32, 10, {seed=2}) }
        local before = w.evaluate(m, d)
        local r = w.train(m, d, {epochs=4, lr=0.1, momentum=0.9, batch=50, seed=1, verbose=false})
        local after = w.evaluate(m, d, {batch=128})
        return before.accuracy < 0.3, after.accuracy > 0.85, after.loss < before.loss, #r.losses, after.count,
               after.errors == after.count - math.floor(after.accuracy * after.count + 0.5)
        """
        XCTAssertEqual(try eval(code), "true\ttrue\ttrue\t4\t1000\ttrue")
    }

    func testBadArgumentsAreLuaErrors() {
        XCTAssertTrue(error("whittle.nn.linear(0, 3)").contains("nn.linear: 'in' must be in"))
        XCTAssertTrue(error("whittle.nn.conv2d(1, 2, 3, {strid=2})").contains("unknown option 'strid'"))
        XCTAssertTrue(error("whittle.nn.dropout(1.5)").contains("nn.dropout: 'p' must be in [0, 1)"))
        XCTAssertTrue(error("whittle.nn.sequential{ 3 }").contains("'layers'[1] must be a Layer or a Model"))
        XCTAssertTrue(error(mlp + "m:forward(whittle.zeros{2, 5})").contains("linear 1: expected last dimension 4, got 5"))
        XCTAssertTrue(error(mlp + "m:param('nope')").contains("no parameter 'nope'"))
        XCTAssertTrue(error(mlp + "whittle.train(m, 3)").contains("'data' must be a Dataset"))
        XCTAssertTrue(error("whittle.load('/nonexistent/model.safetensors')").contains("load:"))
    }
}
