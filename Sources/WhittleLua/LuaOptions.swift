import CLua
import CLuaShim

/// Reads a binding's option table (`{sparsity=0.9, scope="layer"}`) field by
/// field, naming the option in every error; `finish()` rejects unknown keys
/// so that a misspelt option is an error rather than silently ignored.
public final class LuaOptions {
    private let call: LuaCall
    private let index: Int32?
    private var seen: Set<String> = []

    init(call: LuaCall, index: Int32?) {
        self.call = call
        self.index = index
    }

    private var L: LuaPointer { call.L }

    /// Pushes field `key` (nil when absent) and runs `read` with it on top, then pops it.
    private func with<T>(_ key: String, _ read: () throws -> T) rethrows -> T {
        seen.insert(key)
        guard let index else { lua_pushnil(L); defer { Lua.pop(L) }; return try read() }
        Lua.getField(L, index, key)
        defer { Lua.pop(L) }
        return try read()
    }

    /// True when the option was given (not nil).
    public func has(_ key: String) -> Bool { with(key) { !Lua.isNoneOrNil(L, -1) } }

    /// A number option within an optional closed range.
    public func number(_ key: String, default value: Double? = nil, in range: ClosedRange<Double>? = nil) throws -> Double {
        try with(key) {
            if Lua.isNoneOrNil(L, -1) {
                guard let value else { throw call.error("missing option '\(key)'") }
                return value
            }
            guard let v = Lua.number(L, -1) else { throw call.error("'\(key)' must be a number, got \(Lua.typeName(L, -1))") }
            if let range, !range.contains(v) {
                throw call.error("'\(key)' must be in [\(formatNumber(range.lowerBound)), \(formatNumber(range.upperBound))], got \(formatNumber(v))")
            }
            return v
        }
    }

    /// An integer option within an optional closed range.
    public func integer(_ key: String, default value: Int? = nil, in range: ClosedRange<Int>? = nil) throws -> Int {
        let v = try number(key, default: value.map(Double.init))
        guard v == v.rounded(), abs(v) < 9.0e15 else { throw call.error("'\(key)' must be an integer, got \(formatNumber(v))") }
        if let range, !range.contains(Int(v)) {
            throw call.error("'\(key)' must be in [\(range.lowerBound), \(range.upperBound)], got \(Int(v))")
        }
        return Int(v)
    }

    /// A string option, optionally restricted to `choices`.
    public func string(_ key: String, default value: String? = nil, choices: [String]? = nil) throws -> String {
        try with(key) {
            if Lua.isNoneOrNil(L, -1) {
                guard let value else { throw call.error("missing option '\(key)'") }
                return value
            }
            guard lua_type(L, -1) == LUA_TSTRING, let s = Lua.string(L, -1) else {
                throw call.error("'\(key)' must be a string, got \(Lua.typeName(L, -1))")
            }
            if let choices, !choices.contains(s) {
                throw call.error("'\(key)' must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(s)\"")
            }
            return s
        }
    }

    /// A boolean option.
    public func bool(_ key: String, default value: Bool? = nil) throws -> Bool {
        try with(key) {
            if Lua.isNoneOrNil(L, -1) {
                guard let value else { throw call.error("missing option '\(key)'") }
                return value
            }
            guard lua_type(L, -1) == LUA_TBOOLEAN else { throw call.error("'\(key)' must be a boolean, got \(Lua.typeName(L, -1))") }
            return lua_toboolean(L, -1) != 0
        }
    }

    /// Runs `read` with the option's value on top of the stack (index -1), for
    /// options of other types (tensors, datasets, functions, tables).
    public func value<T>(_ key: String, _ read: (LuaCall) throws -> T) throws -> T {
        try with(key) { try read(call) }
    }

    /// Throws when the table has a key no reader asked for.
    public func finish() throws {
        guard let index else { return }
        var unknown: [String] = []
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let key = lua_type(L, -2) == LUA_TSTRING ? (Lua.string(L, -2) ?? "?") : "[\(Lua.typeName(L, -2))]"
            if !seen.contains(key) { unknown.append(key) }
            Lua.pop(L)
        }
        guard unknown.isEmpty else {
            let known = seen.sorted().joined(separator: ", ")
            throw call.error("unknown option\(unknown.count > 1 ? "s" : "") \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")) (known: \(known))")
        }
    }
}
