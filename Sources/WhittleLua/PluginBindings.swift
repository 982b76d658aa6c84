import CLua
import CLuaShim
import Foundation
import WhittleNN
import WhittlePasses
import WhittlePluginHost

/// `whittle.register_pass` (Lua plugin passes), `whittle.load_plugin`, and the
/// PassContext class a Lua pass's apply receives as `ctx`.
enum PluginBindings {
    static let namespaces: [Namespace] = [Namespace("", doc: "plugins: Lua and native passes", functions)]
    static let classes: [LuaClass] = [contextClass]

    /// Registry key holding the path of the Lua plugin being loaded (the source of the passes it registers).
    static let loadingKey = "whittle.loading_plugin"

    static let functions: [Binding] = [
        Binding("register_pass", "whittle.register_pass{name=, doc=, params=, apply=function(model, opts, ctx) ... end} -> name",
                "Adds a pass written in Lua; it runs like a built-in one (validated options, report, pipelines, whittle.<name>).") { c in
            guard let host = c.host else { throw c.error("no host") }
            let pass = try LuaPass.make(c, host: host, source: .lua(path: sourcePath(c.L)))
            do { try host.passes.register(pass) } catch {
                pass.release()
                throw c.error(String(describing: error))
            }
            host.definePassFunction(pass.name)
            c.push(pass.name)
            return 1
        },
        Binding("load_plugin", "whittle.load_plugin(path) -> {pass names}",
                "Loads a Lua plugin (.lua) or a native one (.so/.dylib); a directory loads every plugin in it.") { c in
            guard let host = c.host else { throw c.error("no host") }
            let path = try c.string(1, "path")
            var names: [String] = []
            for file in PluginDiscovery.expand(path) { names += try host.loadPlugin(file) }
            LuaValue.array(names.map { .string($0) }).push(c.L)
            return 1
        },
    ]

    /// Where a register_pass call comes from: the plugin being loaded, else the calling chunk.
    static func sourcePath(_ L: LuaPointer) -> String {
        if Lua.getField(L, Lua.registryIndex, loadingKey) == LUA_TSTRING, let p = Lua.string(L, -1) {
            Lua.pop(L)
            return p
        }
        Lua.pop(L)
        var ar = lua_Debug()
        guard lua_getstack(L, 1, &ar) != 0, lua_getinfo(L, "S", &ar) != 0, let s = ar.source else { return "?" }
        let source = String(cString: s)
        return source.hasPrefix("@") || source.hasPrefix("=") ? String(source.dropFirst()) : "(string)"
    }

    // MARK: ctx

    static let contextClass = LuaClass("PassContext", doc: "What a Lua pass's apply(model, opts, ctx) can use besides the model.", methods: [
        Binding("targets", "ctx:targets([default_globs]) -> {names}",
                "Parameter names to act on: the user's `targets` option, else default_globs (\"*.weight\" when absent); a glob matching nothing is an error.") { c in
            let run = try openRun(c)
            let fallback: [String]
            if c.isNil(2) {
                fallback = ["*.weight"]
            } else if lua_type(c.L, 2) == LUA_TSTRING {
                fallback = [try c.string(2, "default_globs")]
            } else {
                guard case .strings(let a) = try PassBindings.passValue(c, 2, "default_globs") else {
                    throw c.error("'default_globs' must be a string or a list of strings")
                }
                fallback = a
            }
            let names: [String]
            do { names = try Targets.select(run.model, globs: run.options.strings("targets") ?? fallback, pass: run.pass).map(\.name) } catch let e as PassError {
                // Reported as the pass's own error, exactly as a built-in pass reports it.
                run.failure = e
                throw e
            }
            LuaValue.array(names.map { .string($0) }).push(c.L)
            return 1
        },
        Binding("options", "ctx:options(target) -> table", "The options with the user's `overrides` for target applied.") { c in
            let run = try openRun(c)
            PassBindings.push(.table(Targets.options(run.options, for: try c.string(2, "target")).values), c)
            return 1
        },
        Binding("report", "ctx:report(target, {key=value, ...})", "Adds values to target's report row (a nil target adds to the summary).") { c in
            let run = try openRun(c)
            let target = c.isNil(2) ? nil : try c.string(2, "target")
            try c.requireTable(3, "values")
            for (k, v) in try reportValues(c, 3, "values") { run.add(target, k, v) }
            return 0
        },
        Binding("log", "ctx:log(message)", "Writes a line for the user (stderr in the CLI), prefixed with the pass name.") { c in
            let run = try openRun(c)
            run.context.log("\(run.pass): \(try c.string(2, "message"))")
            return 0
        },
        Binding("layers", "ctx:layers() -> {{path=, type=, layer=, params={weight=\"0.weight\", ...}}, ...}",
                "The model's leaf layers in execution order, with the full names of their parameters.") { c in
            let run = try openRun(c)
            let layers = run.model.layers()
            lua_createtable(c.L, Int32(layers.count), 0)
            for (k, l) in layers.enumerated() {
                lua_createtable(c.L, 0, 4)
                c.push(l.path); Lua.setField(c.L, -2, "path")
                c.push(l.module.typeName); Lua.setField(c.L, -2, "type")
                c.push(object: l.module, className: "Layer"); Lua.setField(c.L, -2, "layer")
                LuaValue.table(l.module.localParameters.map { (.string($0.name), .string(l.path + "." + $0.name)) }).push(c.L)
                Lua.setField(c.L, -2, "params")
                lua_rawseti(c.L, -2, lua_Integer(k + 1))
            }
            return 1
        },
    ], properties: [
        Binding("pass", "ctx.pass -> string", "The name of the running pass.") { c in
            c.push(try openRun(c).pass)
            return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(ctx)", "The pass it belongs to.") { c in
            guard let run = c.object(1, LuaPassRun.self, className: "PassContext") else { throw c.error("'self' must be a PassContext") }
            c.push("PassContext(\(run.pass)\(run.open ? "" : ", finished"))")
            return 1
        },
    ])

    private static func openRun(_ c: LuaCall) throws -> LuaPassRun {
        let run = try c.object(1, "self", LuaPassRun.self, className: "PassContext")
        guard run.open else { throw c.error("the context of pass '\(run.pass)' is used after its apply returned") }
        return run
    }

    /// A table of report values (string keys; numbers, strings or booleans), in key order.
    static func reportValues(_ c: LuaCall, _ i: Int32, _ label: String) throws -> [(String, PassValue)] {
        guard case .table(let t) = try PassBindings.passValue(c, i, label) else {
            throw c.error("'\(label)' must be a table with string keys")
        }
        return try t.keys.sorted().compactMap { k in
            guard let v = t[k] else { return nil }
            switch v {
            case .number, .integer, .string, .bool: return (k, v)
            default: throw c.error("'\(label).\(k)' must be a number, string or boolean")
            }
        }
    }
}

/// The Swift side of a `ctx`: one run of a Lua pass.
final class LuaPassRun {
    let pass: String
    let model: Model
    let options: PassOptions
    let context: PassContext
    var rows: [PassReport.Row] = []
    var summary: [(String, PassValue)] = []
    var open = true
    /// A pass-level error raised by a ctx method; it replaces the Lua error it caused.
    var failure: PassError?

    init(pass: String, model: Model, options: PassOptions, context: PassContext) {
        self.pass = pass
        self.model = model
        self.options = options
        self.context = context
    }

    /// Sets `key` in `target`'s row (nil: the summary), keeping first-report order.
    func add(_ target: String?, _ key: String, _ value: PassValue) {
        guard let target else {
            if let i = summary.firstIndex(where: { $0.0 == key }) { summary[i].1 = value } else { summary.append((key, value)) }
            return
        }
        if rows.firstIndex(where: { $0.target == target }) == nil { rows.append(PassReport.Row(target: target, values: [])) }
        guard let r = rows.firstIndex(where: { $0.target == target }) else { return }
        if let i = rows[r].values.firstIndex(where: { $0.0 == key }) { rows[r].values[i].1 = value } else { rows[r].values.append((key, value)) }
    }
}
