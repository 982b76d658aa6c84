import CLua
import CLuaShim

/// Raw Lua state pointer as imported from C.
public typealias LuaPointer = OpaquePointer

/// Swift spellings of the Lua API macros and the stack reads used by bindings.
/// None of these raise a Lua error (only memory exhaustion could).
enum Lua {
    static var registryIndex: Int32 { whittle_registryindex() }

    static func pop(_ L: LuaPointer, _ n: Int32 = 1) { whittle_pop(L, n) }

    /// Removes the value at `idx`, shifting those above it down.
    static func remove(_ L: LuaPointer, _ idx: Int32) {
        lua_rotate(L, idx, -1)
        pop(L)
    }

    static func string(_ L: LuaPointer, _ idx: Int32) -> String? {
        guard lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER else { return nil }
        var len = 0
        guard let p = whittle_tostring(L, idx, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    static func number(_ L: LuaPointer, _ idx: Int32) -> Double? {
        guard lua_type(L, idx) == LUA_TNUMBER else { return nil }
        return whittle_tonumber(L, idx, nil)
    }

    static func isNoneOrNil(_ L: LuaPointer, _ idx: Int32) -> Bool { whittle_isnoneornil(L, idx) != 0 }

    static func typeName(_ L: LuaPointer, _ idx: Int32) -> String {
        if let name = objectTypeName(L, idx) { return name }
        return String(cString: lua_typename(L, lua_type(L, idx)))
    }

    /// The `__name` of a userdata's metatable ("whittle.Tensor" → "Tensor").
    static func objectTypeName(_ L: LuaPointer, _ idx: Int32) -> String? {
        guard lua_type(L, idx) == LUA_TUSERDATA, lua_getmetatable(L, idx) != 0 else { return nil }
        defer { pop(L) }
        lua_pushstring(L, "__name")
        lua_rawget(L, -2)
        defer { pop(L) }
        guard let name = string(L, -1) else { return nil }
        return name.hasPrefix("whittle.") ? String(name.dropFirst(8)) : name
    }

    static func push(_ L: LuaPointer, _ s: String) { lua_pushstring(L, s) }

    /// Makes a negative (top-relative) index absolute so later pushes do not move it.
    static func absolute(_ L: LuaPointer, _ idx: Int32) -> Int32 {
        idx > 0 || idx <= registryIndex ? idx : lua_gettop(L) + idx + 1
    }

    /// Sets `t[key] = top of stack` without metamethods, popping the value.
    static func setField(_ L: LuaPointer, _ table: Int32, _ key: String) {
        let t = absolute(L, table)
        lua_pushstring(L, key)
        lua_rotate(L, -2, 1)
        lua_rawset(L, t)
    }

    /// Pushes `t[key]` without metamethods; returns the value's Lua type.
    @discardableResult
    static func getField(_ L: LuaPointer, _ table: Int32, _ key: String) -> Int32 {
        let t = absolute(L, table)
        lua_pushstring(L, key)
        return lua_rawget(L, t)
    }
}
