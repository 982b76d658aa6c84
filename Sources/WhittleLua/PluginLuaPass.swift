import CLua
import CLuaShim
import WhittleNN
import WhittlePasses
import WhittlePluginHost

/// A pass written in Lua (`whittle.register_pass`): its schema is checked like
/// a built-in's, and its apply function is called through lua_pcall only, so a
/// Lua error becomes a Swift error and never unwinds through Swift frames.
final class LuaPass: Pass {
    let name: String
    let doc: String
    let params: [PassParam]
    let source: PassSource
    /// The state holding the apply function (the state owns the registry that owns this pass).
    private weak var state: LuaState?
    /// Reference to apply in the state's registry table.
    private var ref: Int32

    private init(name: String, doc: String, params: [PassParam], source: PassSource, state: LuaState, ref: Int32) {
        self.name = name
        self.doc = doc
        self.params = params
        self.source = source
        self.state = state
        self.ref = ref
    }

    /// Reads `{name=, doc=, params=, apply=}` at argument 1 and checks every field.
    static func make(_ c: LuaCall, host: LuaState, source: PassSource) throws -> LuaPass {
        let o = try c.options(1, "spec")
        let name = try o.string("name")
        guard PassNames.isValid(name) else { throw c.error(PassNames.invalidMessage(name)) }
        let doc = try o.string("doc")
        guard !doc.isEmpty else { throw c.error("'doc' must not be empty") }
        let params = try o.has("params") ? o.value("params") { call in try parseParams(call, pass: name) } : []
        try o.value("apply") { call in try call.requireFunction(-1, "apply") }
        try o.finish()
        try checkDefaults(params, pass: name, c)
        Lua.getField(c.L, 1, "apply")
        let ref = luaL_ref(c.L, Lua.registryIndex)
        return LuaPass(name: name, doc: doc, params: params, source: source, state: host, ref: ref)
    }

    /// Drops the reference to apply (a registration that failed).
    func release() {
        guard let L = state?.L, ref != LUA_NOREF else { return }
        luaL_unref(L, Lua.registryIndex, ref)
        ref = LUA_NOREF
    }

    func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        guard let state else { throw PassError.failed(pass: name, message: "its Lua state was closed") }
        let L = state.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_checkstack(L, 8) != 0 else { throw PassError.failed(pass: name, message: "Lua stack overflow") }
        let run = LuaPassRun(pass: name, model: model, options: options, context: context)
        defer { run.open = false }
        let call = LuaCall(L, name: name)
        lua_rawgeti(L, Lua.registryIndex, lua_Integer(ref))
        call.push(object: model, className: "Model")
        PassBindings.push(.table(options.values), call)
        call.push(object: run, className: "PassContext")
        guard lua_pcallk(L, 3, 1, 0, 0, nil) == LUA_OK else {
            if let failure = run.failure { throw failure }
            throw PassError.failed(pass: name, message: Lua.string(L, -1) ?? "(error object is not a string)")
        }
        try collect(call, run)
        return PassReport(pass: name, rows: run.rows, summary: run.summary)
    }

    /// Adds what apply returned: nil, an array of rows {target=, key=value...},
    /// or {rows={...}, summary={...}}.
    private func collect(_ c: LuaCall, _ run: LuaPassRun) throws {
        let L = c.L
        let result = lua_gettop(L)
        switch lua_type(L, result) {
        case LUA_TNIL: return
        case LUA_TTABLE: break
        default: throw PassError.failed(pass: name, message: "apply must return nil or a report table, got \(Lua.typeName(L, result))")
        }
        do {
            var rowsIndex = result
            if Lua.getField(L, result, "rows") == LUA_TTABLE { rowsIndex = lua_gettop(L) } else { Lua.pop(L) }
            for k in stride(from: 1, through: Int(lua_rawlen(L, rowsIndex)), by: 1) {
                lua_rawgeti(L, rowsIndex, lua_Integer(k))
                defer { Lua.pop(L) }
                guard lua_type(L, -1) == LUA_TTABLE, Lua.getField(L, -1, "target") == LUA_TSTRING, let target = Lua.string(L, -1) else {
                    Lua.pop(L)
                    throw c.error("report row \(k) must be a table with a string 'target'")
                }
                Lua.pop(L)
                for (key, v) in try PluginBindings.reportValues(c, -1, "rows[\(k)]") where key != "target" { run.add(target, key, v) }
            }
            if Lua.getField(L, result, "summary") == LUA_TTABLE {
                for (key, v) in try PluginBindings.reportValues(c, -1, "summary") { run.add(nil, key, v) }
            }
        } catch let e as LuaBindingError {
            throw PassError.failed(pass: name, message: e.message)
        }
    }

    // MARK: schema

    private static let fields = ["name", "type", "doc", "default", "min", "max", "min_exclusive", "max_exclusive", "choices", "optional"]

    /// `params` (on top of the stack): an array of {name=, type=, ...} in display
    /// order, or a table name -> {type=, ...} (shown sorted by name).
    private static func parseParams(_ c: LuaCall, pass: String) throws -> [PassParam] {
        let L = c.L
        let t = Lua.absolute(L, -1)
        try c.requireTable(t, "params")
        var specs: [(String?, Int32)] = []
        let n = Int(lua_rawlen(L, t))
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        // Each spec takes a stack slot while they are read: bound them and make room
        // (#params of a sparse table can be 2^50; pushing past the stack corrupts memory).
        let maxParams = 256
        func reserve(_ count: Int) throws {
            guard count <= maxParams else { throw c.error("'params' declares \(count) parameters, more than \(maxParams)") }
            guard lua_checkstack(L, Int32(count + 8)) != 0 else { throw c.error("'params' is too large") }
        }
        if n > 0 {
            try reserve(n)
            for k in 1...n {
                lua_rawgeti(L, t, lua_Integer(k))
                specs.append((nil, lua_gettop(L)))
            }
        } else {
            var keys: [String] = []
            lua_pushnil(L)
            while lua_next(L, t) != 0 {
                Lua.pop(L)
                guard lua_type(L, -1) == LUA_TSTRING, let k = Lua.string(L, -1) else {
                    Lua.pop(L)
                    throw c.error("'params' must be an array of {name=, type=, doc=, ...} or a table of name = {type=, doc=, ...}")
                }
                keys.append(k)
            }
            try reserve(keys.count)
            for k in keys.sorted() {
                Lua.getField(L, t, k)
                specs.append((k, lua_gettop(L)))
            }
        }
        var out: [PassParam] = []
        for (k, (key, idx)) in specs.enumerated() {
            let label = key.map { "params.\($0)" } ?? "params[\(k + 1)]"
            guard lua_type(L, idx) == LUA_TTABLE else { throw c.error("'\(label)' must be a table, got \(Lua.typeName(L, idx))") }
            let p = try param(c, idx, key: key, label: label)
            if out.contains(where: { $0.name == p.name }) { throw c.error("'\(label)': parameter '\(p.name)' is declared twice") }
            out.append(p)
        }
        return out
    }

    private static func param(_ c: LuaCall, _ idx: Int32, key: String?, label: String) throws -> PassParam {
        let L = c.L
        let o = try c.options(idx, label)
        do {
            let name = try key ?? o.string("name")
            if key != nil, o.has("name"), try o.string("name") != name { throw c.error("'name' differs from its key") }
            guard PassNames.isValid(name), !name.contains(".") else { throw c.error("'name' must be [a-z_][a-z0-9_]*, got \"\(name)\"") }
            if OptionValidator.common.contains(where: { $0.name == name }) { throw c.error("'\(name)' is a common option every pass has; do not declare it") }
            let typeName = try o.string("type")
            guard let type = PassParamType(name: typeName) else {
                throw c.error("unknown type \"\(typeName)\" (number, integer, string, bool, strings, dataset, model, table, any)")
            }
            let doc = try o.string("doc")
            let defaultValue: PassValue? = try o.has("default") ? o.value("default") { call in try PassBindings.passValue(call, -1, "default") } : nil
            let min = try o.has("min") ? o.number("min") : nil
            let max = try o.has("max") ? o.number("max") : nil
            if (min != nil || max != nil) && type != .number && type != .integer { throw c.error("'min'/'max' need a number or integer type") }
            let choices: [String]? = try o.has("choices") ? o.value("choices") { call in
                guard case .strings(let a) = try PassBindings.passValue(call, -1, "choices") else { throw call.error("'choices' must be a list of strings") }
                return a
            } : nil
            if choices != nil && type != .string { throw c.error("'choices' need the string type") }
            let p = PassParam(name, type, default: defaultValue, min: min, max: max,
                              minExclusive: try o.bool("min_exclusive", default: false), maxExclusive: try o.bool("max_exclusive", default: false),
                              choices: choices, optional: try o.bool("optional", default: false), doc: doc)
            try o.finish()
            _ = L
            return p
        } catch let e as LuaBindingError {
            throw c.error("'\(label)': " + e.message)
        }
    }

    /// A default must satisfy its own schema, or every run without the option would fail.
    private static func checkDefaults(_ params: [PassParam], pass: String, _ c: LuaCall) throws {
        for p in params {
            guard let d = p.defaultValue else { continue }
            do { _ = try OptionValidator.validate([p.name: d], for: SchemaCheck(pass, p)) } catch {
                throw c.error("default of '\(p.name)' is invalid: \(error)")
            }
        }
    }
}

/// A one-option pass used to check a declared default against its schema.
private final class SchemaCheck: Pass {
    let name: String
    let params: [PassParam]
    var doc: String { "" }
    var source: PassSource { .builtin }
    init(_ name: String, _ param: PassParam) {
        self.name = name
        params = [param]
    }
    func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport { PassReport(pass: name) }
}
