import Foundation
import WhittleLua
import WhittlePluginHost
import XCTest

/// Lua plugin passes (`whittle.register_pass`), plugin loading from Lua and
/// Swift, its errors, the sandbox, and the example Lua plugin on LeNet-300-100.
final class PluginTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var dir = ""

    override func setUpWithError() throws {
        // Short paths: Lua shortens long chunk names in error positions ("...path").
        let base = FileManager.default.fileExists(atPath: "/tmp") ? "/tmp" : FileManager.default.temporaryDirectory.path
        dir = base + "/wlp-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func run(_ lua: LuaState, _ code: String) throws -> [String] { try lua.run(code, name: "@recipe.lua") }

    private func error(_ lua: LuaState, _ code: String) -> String {
        do {
            _ = try lua.run(code, name: "@recipe.lua")
            XCTFail("expected an error from: \(code)")
            return ""
        } catch let e as LuaHostError {
            // The first line: the message without the traceback.
            // The first line (no traceback), from the pass or binding name on: the
            // location prefix depends on whether a wrapper or run_pass raised it.
            let line = String(e.description.split(separator: "\n").first ?? "")
            return line
        } catch {
            return "\(error)"
        }
    }

    /// A pass's error: the message ends with `expected` (its location prefix depends on whether the
    /// `whittle.<name>` wrapper or `run_pass` raised it).
    private func assertPassError(_ lua: LuaState, _ code: String, _ expected: String, line: UInt = #line) {
        let message = error(lua, code)
        XCTAssertTrue(message.hasSuffix(": " + expected), "\(message)\n does not end with\n\(expected)", line: line)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static let scalePass = """
        whittle.register_pass{
          name = "demo.scale", doc = "Scales the targets.",
          params = {
            factor = {type = "number", default = 2, min = 0, max_exclusive = true, max = 10, doc = "multiplier"},
            note = {type = "string", choices = {"a", "b"}, optional = true, doc = "a choice"},
          },
          apply = function(model, opts, ctx)
            for _, name in ipairs(ctx:targets("*.weight")) do
              local f = ctx:options(name).factor
              local t = model:param(name)
              local before = t:sum()
              for i = 1, t.shape[1] do for j = 1, t.shape[2] do t:set(i, j, t:get(i, j) * f) end end
              ctx:report(name, {factor = f, ratio = t:sum() / before})
            end
            ctx:log("scaled")
            return {summary = {note = opts.note or "none"}}
          end,
        }
        m = whittle.nn.sequential{whittle.nn.linear(3, 2, {seed = 1}), whittle.nn.relu(), whittle.nn.linear(2, 2, {seed = 2})}
        """

    func testLuaPassRunsLikeABuiltin() throws {
        let lua = try LuaState()
        var lines: [String] = []
        lua.passContext = .init(log: { lines.append($0) })
        _ = try run(lua, Self.scalePass)
        // The wrapper, run_pass and a pipeline all validate and report the same way.
        XCTAssertEqual(try run(lua, "local r = whittle.demo.scale(m, {factor = 3, overrides = {['2.*'] = {factor = 0.5}}}); return #r.rows, r.rows[1].target, r.rows[1].factor, r.rows[2].factor, r.rows[1].ratio, r.summary.note"),
                       ["2", "0.weight", "3.0", "0.5", "3.0", "none"])
        XCTAssertEqual(lines, ["demo.scale: scaled"])
        XCTAssertEqual(try run(lua, "local r = whittle.run_pass('demo.scale', m, {targets = '0.weight', note = 'b'}); return #r.rows, r.rows[1].factor, r.summary.note"),
                       ["1", "2", "b"])
        XCTAssertEqual(try run(lua, "local rs = whittle.pipeline{{'demo.scale', {factor = 1}}, {'demo.scale', {targets = {'2.weight'}}}}:run(m); return #rs, rs[2].rows[1].target"),
                       ["2", "2.weight"])
        assertPassError(lua, "whittle.demo.scale(m, {factor = 10})", "demo.scale: 'factor' must be in [0, 10), got 10")
        assertPassError(lua, "whittle.demo.scale(m, {note = 'c'})", "demo.scale: 'note' must be one of \"a\", \"b\", got \"c\"")
        assertPassError(lua, "whittle.demo.scale(m, {facter = 1})",
                       "demo.scale: unknown option 'facter' (known: factor, note, targets, overrides)")
        assertPassError(lua, "whittle.demo.scale(m, {targets = 'fc*'})",
                       "demo.scale: target 'fc*' matches no parameter (parameters: 0.weight, 0.bias, 2.weight, 2.bias)")
        XCTAssertEqual(try run(lua, "for _, p in ipairs(whittle.passes()) do if p.name == 'demo.scale' then return p.source, p.doc, #p.params end end"),
                       ["lua:recipe.lua", "Scales the targets.", "2"])
        XCTAssertEqual(lua.passes.all.last?.source.description, "lua:recipe.lua")
    }

    func testLuaApplyErrorRestoresTheModel() throws {
        let lua = try LuaState()
        _ = try run(lua, """
            whittle.register_pass{name = "demo.broken", doc = "Zeroes a weight, then fails.", apply = function(model, opts, ctx)
              model:param("0.weight"):set(1, 1, 0)
              error("gave up")
            end}
            m = whittle.nn.sequential{whittle.nn.linear(3, 2, {seed = 1})}
            before = m:param("0.weight"):get(1, 1)
            """)
        assertPassError(lua, "whittle.demo.broken(m, {})", "demo.broken: recipe.lua:3: gave up")
        XCTAssertEqual(try run(lua, "return m:param('0.weight'):get(1, 1) == before, before ~= 0"), ["true", "true"])
        // A context kept past its run is refused, and a bad return value is an error.
        _ = try run(lua, """
            whittle.register_pass{name = "demo.keep", doc = "Keeps ctx.", apply = function(model, opts, ctx) kept = ctx end}
            whittle.register_pass{name = "demo.badreturn", doc = "Returns a number.", apply = function() return 3 end}
            whittle.demo.keep(m, {})
            """)
        XCTAssertEqual(error(lua, "kept:targets()"), "recipe.lua:1: targets: the context of pass 'demo.keep' is used after its apply returned")
        assertPassError(lua, "whittle.demo.badreturn(m)", "demo.badreturn: apply must return nil or a report table, got number")
    }

    func testRegisterPassErrors() throws {
        let lua = try LuaState()
        let ok = "doc = 'd', apply = function() end"
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'Bad', \(ok)}"),
                       "recipe.lua:1: register_pass: invalid pass name 'Bad' (use dotted lower-case words: [a-z_][a-z0-9_]* separated by '.')")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', apply = function() end}"), "recipe.lua:1: register_pass: missing option 'doc'")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', doc = 'd'}"), "recipe.lua:1: register_pass: 'apply' must be a function, got nil")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', \(ok), params = {k = {type = 'float', doc = 'k'}}}"),
                       "recipe.lua:1: register_pass: 'params.k': unknown type \"float\" (number, integer, string, bool, strings, dataset, model, table, any)")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', \(ok), params = {k = {type = 'number', default = 5, max = 1, doc = 'k'}}}"),
                       "recipe.lua:1: register_pass: default of 'k' is invalid: x.y: 'k' must be in [-inf, 1], got 5")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', \(ok), params = {{name = 'k', type = 'number'}}}"),
                       "recipe.lua:1: register_pass: 'params[1]': missing option 'doc'")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', \(ok), params = {k = {type = 'number', doc = 'k', dflt = 1}}}"),
                       "recipe.lua:1: register_pass: 'params.k': unknown option 'dflt' (known: choices, default, doc, max, max_exclusive, min, min_exclusive, name, optional, type)")
        _ = try run(lua, "whittle.register_pass{name = 'x.y', \(ok)}")
        XCTAssertEqual(error(lua, "whittle.register_pass{name = 'x.y', \(ok)}"),
                       "recipe.lua:1: register_pass: a pass named 'x.y' is already registered (lua:recipe.lua)")
    }

    func testLuaPluginLoadErrors() throws {
        let lua = try LuaState()
        XCTAssertThrowsError(try lua.loadPlugin(dir + "/absent.lua")) { XCTAssertEqual("\($0)", "plugin '\(self.dir)/absent.lua': no such file") }
        let syntax = try write("syntax.lua", "whittle.register_pass{\n")
        XCTAssertThrowsError(try lua.loadPlugin(syntax)) {
            XCTAssertEqual("\($0)", "plugin '\(syntax)': \(syntax):2: unexpected symbol near <eof>")
        }
        // A plugin that fails half-way leaves nothing behind: its first pass is unregistered and its wrapper removed.
        let halfway = try write("halfway.lua", """
            whittle.register_pass{name = "half.one", doc = "first", apply = function() end}
            local x = nil
            x.field = 1
            """)
        XCTAssertThrowsError(try lua.loadPlugin(halfway)) {
            XCTAssertEqual("\($0)", "plugin '\(halfway)': \(halfway):3: attempt to index a nil value (local 'x')")
        }
        XCTAssertFalse(lua.passes.all.contains { $0.name == "half.one" })
        XCTAssertEqual(try run(lua, "return whittle.half == nil or whittle.half.one == nil"), ["true"])
        // Duplicate names across plugins.
        let first = try write("first.lua", "whittle.register_pass{name = \"dup.pass\", doc = \"first\", apply = function() end}")
        let second = try write("second.lua", "whittle.register_pass{name = \"dup.pass\", doc = \"second\", apply = function() end}")
        XCTAssertEqual(try lua.loadPlugin(first), ["dup.pass"])
        XCTAssertThrowsError(try lua.loadPlugin(second)) {
            XCTAssertEqual("\($0)", "plugin '\(second)': \(second):1: register_pass: a pass named 'dup.pass' is already registered (lua:\(first))")
        }
        // Loading the same file again is a no-op, and the state still works.
        XCTAssertEqual(try lua.loadPlugin(first), ["dup.pass"])
        XCTAssertEqual(try run(lua, "return whittle.load_plugin('\(first)')[1]"), ["dup.pass"])
        XCTAssertEqual(error(lua, "whittle.load_plugin('\(dir)/nope.so')"), "recipe.lua:1: load_plugin: plugin '\(dir)/nope.so': no such file")
        // loadPlugins collects every failure and keeps the rest.
        let errors = lua.loadPlugins([dir])
        XCTAssertEqual(errors.map(\.path).sorted(), [halfway, second, syntax].sorted())
    }

    func testSandboxRefusesNativePluginsButRunsLuaOnes() throws {
        let lua = try LuaState(sandbox: true)
        let native = try compileClip()
        XCTAssertThrowsError(try lua.loadPlugin(native)) {
            XCTAssertEqual("\($0)", "plugin '\(native)': native plugins are disabled (--sandbox)")
        }
        XCTAssertEqual(error(lua, "whittle.load_plugin('\(native)')"),
                       "recipe.lua:1: load_plugin: plugin '\(native)': native plugins are disabled (--sandbox)")
        XCTAssertFalse(lua.passes.all.contains { $0.name == "clip.outliers" })
        let plugin = try write("ok.lua", "whittle.register_pass{name = \"sandboxed.ok\", doc = \"fine\", apply = function() end}")
        XCTAssertEqual(try lua.loadPlugin(plugin), ["sandboxed.ok"])
    }

    func testNativePluginFromLuaInAPipelineWithALuaPass() throws {
        let lua = try LuaState()
        let native = try compileClip()
        _ = try run(lua, Self.scalePass)
        XCTAssertEqual(try run(lua, "return whittle.load_plugin('\(native)')[1]"), ["clip.outliers"])
        XCTAssertEqual(try run(lua, """
            local rs = whittle.pipeline{{"demo.scale", {factor = 3}}, {"clip.outliers", {k = 1}}}:run(m)
            local w = m:param("0.weight")
            local mean, n = w:mean(), w:numel()
            local sd = math.sqrt(((w - mean) * (w - mean)):sum() / n)
            for _, p in ipairs(whittle.passes()) do if p.name == "clip.outliers" then src = p.source end end
            return rs[2].rows[1].target, rs[2].rows[1].clipped > 0, src, type(whittle.clip.outliers)
            """), ["0.weight", "true", "native:\(native)", "function"])
    }

    /// The example Lua plugin: per output row, the zeroed weights are exactly the
    /// lowest |W_ij| * ||X_j|| (norms recomputed here elementwise, not by matmul).
    func testWandaPluginOnLeNet() throws {
        let lua = try LuaState()
        let plugin = Self.root.appendingPathComponent("Plugins/wanda/wanda.lua").path
        XCTAssertEqual(try lua.loadPlugin(plugin), ["prune.wanda_lua"])
        let model = Self.root.appendingPathComponent("Models/lenet300.safetensors").path
        let out = try run(lua, """
            local m = whittle.load("\(model)")
            local data = whittle.data.mnist()
            local calib = data.train:take(64)
            local W0 = m:param("1.weight"):totable()
            local r = whittle.prune.wanda_lua(m, calib, {sparsity = 0.5, samples = 64, targets = {"1.weight", "3.weight"}})
            -- Independent input norms of layer 1: the flattened images, column by column.
            local x = calib.images:reshape{64, 784}:totable()
            local norms = {}
            for j = 1, 784 do local s = 0; for i = 1, 64 do s = s + x[i][j] * x[i][j] end; norms[j] = math.sqrt(s) end
            local W = m:param("1.weight")
            local mismatches = 0
            for i = 1, 300, 37 do
              local maxPruned, minKept, zeros = -1, math.huge, 0
              for j = 1, 784 do
                local s = math.abs(W0[i][j]) * norms[j]
                if W:get(i, j) == 0 then zeros = zeros + 1; maxPruned = math.max(maxPruned, s) else minKept = math.min(minKept, s) end
              end
              if zeros ~= 392 or maxPruned > minKept * (1 + 1e-5) then mismatches = mismatches + 1 end
            end
            local acc = whittle.evaluate(m, data.test:take(1000)).accuracy
            return mismatches, #r.rows, r.rows[1].sparsity, r.rows[2].target, r.rows[2].removed_per_row, r.summary.pruned, acc
            """)
        XCTAssertEqual(Array(out.prefix(6)), ["0", "2", "0.5", "3.weight", "150", "132600"])
        let accuracy = try XCTUnwrap(Double(out[6]))
        XCTAssertGreaterThan(accuracy, 0.95, "LeNet-300-100 at 50% Wanda sparsity on two layers")
        // Wanda only scores linear weights.
        assertPassError(lua, "local m = whittle.load('\(model)'); whittle.prune.wanda_lua(m, whittle.data.mnist().test:take(8), {targets = '1.bias'})",
                       "prune.wanda_lua: 1.bias is not the weight of a linear layer (Wanda scores linear weights)")
    }

    /// Builds Plugins/clip with the system C compiler into the temporary directory.
    private func compileClip() throws -> String {
        let output = dir + "/libwhittle_clip.so"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-shared", "-fPIC", "-O1", "-I", Self.root.appendingPathComponent("Sources/WhittlePluginABI/include").path,
                       "-o", output, Self.root.appendingPathComponent("Plugins/clip/clip_outliers.c").path, "-lm"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "cc failed")
        return output
    }
}
