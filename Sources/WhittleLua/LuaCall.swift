import CLua
import CLuaShim
import WhittleTensor

/// The arguments of one binding call, with readers that name the bad
/// parameter in their errors, and pushers for the results.
public struct LuaCall {
    public let L: LuaPointer
    /// Binding name used to prefix errors ("tensor", "matmul").
    public let name: String

    init(_ L: LuaPointer, name: String) {
        self.L = L
        self.name = name
    }

    /// Number of arguments passed.
    public var count: Int32 { lua_gettop(L) }

    /// The host that owns this Lua state.
    public var host: LuaState? { LuaState.host(of: L) }

    /// An error naming this binding.
    public func error(_ message: String) -> LuaBindingError { LuaBindingError(message) }

    private func describe(_ i: Int32) -> String {
        lua_type(L, i) == LUA_TNONE ? "nothing" : Lua.typeName(L, i)
    }

    /// True when argument `i` is absent or nil.
    public func isNil(_ i: Int32) -> Bool { Lua.isNoneOrNil(L, i) }

    // MARK: scalars

    /// A number argument.
    public func number(_ i: Int32, _ param: String) throws -> Double {
        guard let v = Lua.number(L, i) else { throw error("'\(param)' must be a number, got \(describe(i))") }
        return v
    }

    /// An optional number argument.
    public func number(_ i: Int32, _ param: String, default value: Double) throws -> Double {
        isNil(i) ? value : try number(i, param)
    }

    /// An integer argument (a float with no fractional part is accepted).
    public func integer(_ i: Int32, _ param: String) throws -> Int {
        let v = try number(i, param)
        guard v == v.rounded(), abs(v) < 9.0e15 else { throw error("'\(param)' must be an integer, got \(formatNumber(v))") }
        return Int(v)
    }

    /// A string argument.
    public func string(_ i: Int32, _ param: String) throws -> String {
        guard lua_type(L, i) == LUA_TSTRING, let s = Lua.string(L, i) else {
            throw error("'\(param)' must be a string, got \(describe(i))")
        }
        return s
    }

    /// A boolean argument.
    public func bool(_ i: Int32, _ param: String) throws -> Bool {
        guard lua_type(L, i) == LUA_TBOOLEAN else { throw error("'\(param)' must be a boolean, got \(describe(i))") }
        return lua_toboolean(L, i) != 0
    }

    /// Throws unless argument `i` is a table.
    public func requireTable(_ i: Int32, _ param: String) throws {
        guard lua_type(L, i) == LUA_TTABLE else { throw error("'\(param)' must be a table, got \(describe(i))") }
    }

    /// Throws unless argument `i` is a function.
    public func requireFunction(_ i: Int32, _ param: String) throws {
        guard lua_type(L, i) == LUA_TFUNCTION else { throw error("'\(param)' must be a function, got \(describe(i))") }
    }

    // MARK: objects

    /// The Swift object in userdata `i` if its metatable is `whittle.<className>`.
    public func object<T: AnyObject>(_ i: Int32, _ type: T.Type, className: String) -> T? {
        guard let raw = luaL_testudata(L, i, "whittle." + className) else { return nil }
        guard let p = raw.load(as: UnsafeRawPointer?.self) else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? T
    }

    /// A required object argument of the given class.
    public func object<T: AnyObject>(_ i: Int32, _ param: String, _ type: T.Type, className: String) throws -> T {
        guard let o = object(i, type, className: className) else {
            throw error("'\(param)' must be a \(className), got \(describe(i))")
        }
        return o
    }

    /// A tensor argument.
    public func tensor(_ i: Int32, _ param: String) throws -> Tensor {
        try object(i, param, Tensor.self, className: "Tensor")
    }

    /// Pushes `object` as userdata of class `className` (its metatable must be registered).
    public func push(object: AnyObject, className: String) {
        LuaState.pushObject(L, object, metatable: "whittle." + className)
    }

    /// Pushes a tensor.
    public func push(_ t: Tensor) { push(object: t, className: "Tensor") }

    // MARK: tables

    /// The integers of an array table (a shape such as `{2, 3}`).
    public func integers(_ i: Int32, _ param: String) throws -> [Int] {
        try requireTable(i, param)
        let n = Int(lua_rawlen(L, i))
        var out: [Int] = []
        // rawlen is any border: a sparse table can report a huge one, so reserve only a little.
        out.reserveCapacity(min(n, 64))
        for k in 0..<n {
            lua_rawgeti(L, i, lua_Integer(k + 1))
            defer { Lua.pop(L) }
            guard let v = Lua.number(L, -1), v == v.rounded(), abs(v) < 9.0e15 else {
                throw error("'\(param)'[\(k + 1)] must be an integer, got \(Lua.string(L, -1) ?? describe(-1))")
            }
            out.append(Int(v))
        }
        return out
    }

    /// Option table at `i` (absent or nil gives an empty one); call `finish()` to reject unknown keys.
    public func options(_ i: Int32, _ param: String = "options") throws -> LuaOptions {
        if isNil(i) { return LuaOptions(call: self, index: nil) }
        try requireTable(i, param)
        return LuaOptions(call: self, index: Lua.absolute(L, i))
    }

    // MARK: results

    public func push(_ v: Double) { lua_pushnumber(L, v) }
    public func push(_ v: Int) { lua_pushinteger(L, lua_Integer(v)) }
    public func push(_ v: Bool) { lua_pushboolean(L, v ? 1 : 0) }
    public func push(_ v: String) { Lua.push(L, v) }
    public func pushNil() { lua_pushnil(L) }

    /// Pushes an array table of integers.
    public func push(integers: [Int]) {
        lua_createtable(L, Int32(integers.count), 0)
        for (k, v) in integers.enumerated() {
            lua_pushinteger(L, lua_Integer(v))
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }

    /// Pushes a shape: an array of integers that prints as "(2, 3)".
    public func push(shape: [Int]) {
        push(integers: shape)
        luaL_setmetatable(L, "whittle.Shape")
    }

    /// Pushes a table with string keys; values are numbers, strings, booleans or nested dictionaries/arrays.
    public func push(record: [(String, LuaValue)]) {
        LuaValue.table(record.map { (LuaValue.string($0.0), $0.1) }).push(L)
    }
}

/// A plain Lua value built in Swift, for results shaped like tables.
public indirect enum LuaValue {
    case `nil`, bool(Bool), number(Double), integer(Int), string(String)
    case array([LuaValue])
    case table([(LuaValue, LuaValue)])

    func push(_ L: LuaPointer) {
        switch self {
        case .nil: lua_pushnil(L)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .number(let d): lua_pushnumber(L, d)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .string(let s): Lua.push(L, s)
        case .array(let items):
            lua_createtable(L, Int32(items.count), 0)
            for (k, v) in items.enumerated() { v.push(L); lua_rawseti(L, -2, lua_Integer(k + 1)) }
        case .table(let pairs):
            lua_createtable(L, 0, Int32(pairs.count))
            for (k, v) in pairs { k.push(L); v.push(L); lua_rawset(L, -3) }
        }
    }
}

/// Formats a number the way Lua's tostring would for messages (integers without ".0").
func formatNumber(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
