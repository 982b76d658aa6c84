import CLua
import CLuaShim
import WhittleData
import WhittleNN
import WhittlePasses

/// `whittle.passes`, `whittle.run_pass`, and the Lua <-> PassValue conversions
/// shared by every pass front end (built-in wrappers, pipelines, Lua plugins).
enum PassBindings {
    static let functions: [Binding] = [
        Binding("passes", "whittle.passes() -> {{name=, doc=, source=, params=}, ...}", "Every registered pass (built-in, Lua and native plugins).") { c in
            guard let host = c.host else { throw c.error("no host") }
            LuaValue.array(host.passes.all.map(describe)).push(c.L)
            return 1
        },
        Binding("run_pass", "whittle.run_pass(name, model_or_lm, opts) -> report", "Validates opts against the pass's schema, runs it on a layer model or a language model (w.lm.load; calibration windows as opts.data), returns its report; a failed pass leaves the model as it was.") { c in
            guard let host = c.host else { throw c.error("no host") }
            let name = try c.string(1, "name")
            let raw = try c.isNil(3) ? [:] : tableOptions(c, 3, "opts")
            let report: PassReport
            if let lm = c.object(2, LanguageModel.self, className: "LM") {
                report = try host.passes.run(name, on: lm, options: raw, context: host.passContext)
            } else {
                let model = try c.object(2, "model", Model.self, className: "Model")
                report = try host.passes.run(name, on: model, options: raw, context: host.passContext)
            }
            push(report, c)
            return 1
        },
    ]

    /// A pass as a Lua table for `whittle.passes()`.
    static func describe(_ p: Pass) -> LuaValue {
        var fields: [(LuaValue, LuaValue)] = [
            (.string("name"), .string(p.name)), (.string("doc"), .string(p.doc)), (.string("source"), .string(p.source.description)),
            (.string("params"), describe(params: p.params)),
        ]
        if let lmPass = p as? LanguageModelPass {
            fields.append((.string("lm_params"), describe(params: lmPass.languageModelParams)))
        }
        return .table(fields)
    }

    /// A parameter schema as a Lua array of {name=, type=, doc=, required=, default=, range=, choices=}.
    static func describe(params: [PassParam]) -> LuaValue {
        .array(params.map { q in
            var fields: [(LuaValue, LuaValue)] = [(.string("name"), .string(q.name)), (.string("type"), .string(q.type.rawValue)),
                                                  (.string("doc"), .string(q.doc)), (.string("required"), .bool(q.required))]
            if let d = q.defaultValue { fields.append((.string("default"), .string(d.description))) }
            if let r = q.rangeText { fields.append((.string("range"), .string(r))) }
            if let ch = q.choices { fields.append((.string("choices"), .array(ch.map { .string($0) }))) }
            return .table(fields)
        })
    }

    /// Reads the option table at `i` into pass values (keys must be strings).
    static func tableOptions(_ c: LuaCall, _ i: Int32, _ param: String) throws -> [String: PassValue] {
        try c.requireTable(i, param)
        guard case .table(let t) = try passValue(c, i, param) else { return [:] }
        return t
    }

    /// Converts the Lua value at `i`: numbers, strings, booleans, arrays of strings,
    /// string-keyed tables (recursively), models and datasets.
    static func passValue(_ c: LuaCall, _ i: Int32, _ label: String, depth: Int = 0) throws -> PassValue {
        let L = c.L
        let idx = Lua.absolute(L, i)
        switch lua_type(L, idx) {
        case LUA_TNUMBER:
            if whittle_isinteger(L, idx) != 0 { return .integer(Int(whittle_tointeger(L, idx, nil))) }
            return .number(Lua.number(L, idx) ?? 0)
        case LUA_TSTRING: return .string(Lua.string(L, idx) ?? "")
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, idx) != 0)
        case LUA_TUSERDATA:
            if let m = c.object(idx, Model.self, className: "Model") { return .model(m) }
            if let d = c.object(idx, Dataset.self, className: "Dataset") { return .dataset(d) }
            if let w = c.object(idx, TokenWindows.self, className: "TokenWindows") { return .windows(w) }
            throw c.error("'\(label)' cannot be a \(Lua.typeName(L, idx))")
        case LUA_TTABLE:
            guard depth < 8 else { throw c.error("'\(label)' is nested too deeply") }
            guard lua_checkstack(L, 4) != 0 else { throw c.error("'\(label)' is nested too deeply") }
            let n = Int(lua_rawlen(L, idx))
            if n > 0 {
                var strings: [String] = []
                for k in 1...n {
                    lua_rawgeti(L, idx, lua_Integer(k))
                    defer { Lua.pop(L) }
                    guard lua_type(L, -1) == LUA_TSTRING, let s = Lua.string(L, -1) else {
                        throw c.error("'\(label)'[\(k)] must be a string, got \(Lua.typeName(L, -1))")
                    }
                    strings.append(s)
                }
                return .strings(strings)
            }
            var out: [String: PassValue] = [:]
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                guard lua_type(L, -2) == LUA_TSTRING, let key = Lua.string(L, -2) else {
                    Lua.pop(L, 2)
                    throw c.error("'\(label)' keys must be strings")
                }
                do { out[key] = try passValue(c, -1, depth == 0 ? key : "\(label).\(key)", depth: depth + 1) } catch {
                    Lua.pop(L, 2)
                    throw error
                }
                Lua.pop(L)
            }
            return .table(out)
        default:
            throw c.error("'\(label)' cannot be a \(Lua.typeName(L, idx))")
        }
    }

    /// Pushes a pass value (models and datasets as their userdata).
    static func push(_ v: PassValue, _ c: LuaCall) {
        switch v {
        case .number(let d): c.push(d)
        case .integer(let i): c.push(i)
        case .string(let s): c.push(s)
        case .bool(let b): c.push(b)
        case .strings(let a): LuaValue.array(a.map { .string($0) }).push(c.L)
        case .dataset(let d): c.push(object: d, className: "Dataset")
        case .windows(let w): c.push(object: w, className: "TokenWindows")
        case .model(let m): c.push(object: m, className: "Model")
        case .table(let t):
            lua_createtable(c.L, 0, Int32(t.count))
            for (k, x) in t { push(x, c); Lua.setField(c.L, -2, k) }
        case .opaque: c.pushNil()
        }
    }

    /// Pushes a report: {pass=, rows={{target=, ...}}, summary={...}} that prints as a table.
    static func push(_ r: PassReport, _ c: LuaCall) {
        let L = c.L
        lua_createtable(L, 0, 4)
        c.push(r.pass); Lua.setField(L, -2, "pass")
        lua_createtable(L, Int32(r.rows.count), 0)
        for (k, row) in r.rows.enumerated() {
            lua_createtable(L, 0, Int32(row.values.count + 1))
            c.push(row.target); Lua.setField(L, -2, "target")
            for (key, v) in row.values { push(v, c); Lua.setField(L, -2, key) }
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        Lua.setField(L, -2, "rows")
        lua_createtable(L, 0, Int32(r.summary.count))
        for (key, v) in r.summary { push(v, c); Lua.setField(L, -2, key) }
        Lua.setField(L, -2, "summary")
        c.push(r.description); Lua.setField(L, -2, "text")
        luaL_setmetatable(L, "whittle.Report")
    }
}
