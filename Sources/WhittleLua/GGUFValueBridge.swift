import CLua
import CLuaShim
import WhittleFormats

/// GGUF metadata values to and from Lua: scalars become numbers, strings and booleans, arrays become
/// Lua arrays. A type signature ("u32", "str", "arr[i32]", "arr[arr[f32]]") keeps the stored type,
/// since llama.cpp checks the type of each key it reads.
enum GGUFValueBridge {
    static func push(_ L: LuaPointer, _ v: GGUFValue) {
        switch v {
        case .uint8(let x): lua_pushinteger(L, lua_Integer(x))
        case .int8(let x): lua_pushinteger(L, lua_Integer(x))
        case .uint16(let x): lua_pushinteger(L, lua_Integer(x))
        case .int16(let x): lua_pushinteger(L, lua_Integer(x))
        case .uint32(let x): lua_pushinteger(L, lua_Integer(x))
        case .int32(let x): lua_pushinteger(L, lua_Integer(x))
        case .int64(let x): lua_pushinteger(L, lua_Integer(x))
        case .uint64(let x):
            // Lua integers are signed 64-bit; larger values become floats rather than wrapping.
            if let i = lua_Integer(exactly: x) { lua_pushinteger(L, i) } else { lua_pushnumber(L, Double(x)) }
        case .float32(let x): lua_pushnumber(L, Double(x))
        case .float64(let x): lua_pushnumber(L, x)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .string(let s): Lua.push(L, s)
        case .array(let a): push(L, a)
        }
    }

    static func push(_ L: LuaPointer, _ a: GGUFArray) {
        lua_createtable(L, Int32(clamping: a.count), 0)
        for i in 0..<a.count {
            if let v = a.element(i) { push(L, v) } else { lua_pushnil(L) }
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    /// "u32", "str", "arr[str]", "arr[arr[i32]]" (nested arrays named after their first element).
    static func signature(_ v: GGUFValue) -> String {
        if case .array(let a) = v { return signature(a) }
        return v.type.description
    }

    static func signature(_ a: GGUFArray) -> String {
        if case .array(let inner) = a { return "arr[" + (inner.first.map(signature) ?? "arr[i32]") + "]" }
        return "arr[\(a.elementType)]"
    }

    /// The Lua value at `idx` as a GGUF value of `signature`, or inferred as gguf-py does
    /// (integer → i32, or i64 when it does not fit; float → f32; string; boolean; array from its first element).
    static func value(_ L: LuaPointer, _ idx: Int32, key: String, signature: String?, depth: Int = 0) throws -> GGUFValue {
        // Bounded like the reader's arrays, which also stops a table that contains itself.
        guard depth <= GGUFLimits.maxArrayDepth else {
            throw LuaBindingError("metadata '\(key)': arrays nested more than \(GGUFLimits.maxArrayDepth) deep")
        }
        let idx = Lua.absolute(L, idx)
        let sig = signature ?? infer(L, idx, depth: 0)
        guard let sig else { throw LuaBindingError("metadata '\(key)': cannot store a \(Lua.typeName(L, idx)) (or an empty table) without a type in 'types'") }
        if sig.hasPrefix("arr[") && sig.hasSuffix("]") {
            return .array(try array(L, idx, key: key, element: String(sig.dropFirst(4).dropLast()), depth: depth + 1))
        }
        guard let type = GGUFValueType.allCases.first(where: { $0.description == sig }), type != .array else {
            throw LuaBindingError("metadata '\(key)': unknown type '\(sig)' (u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 bool str arr[T])")
        }
        func bad() -> LuaBindingError { LuaBindingError("metadata '\(key)' must be \(sig), got \(describe(L, idx))") }
        switch type {
        case .string:
            guard lua_type(L, idx) == LUA_TSTRING, let s = Lua.string(L, idx) else { throw bad() }
            return .string(s)
        case .bool:
            guard lua_type(L, idx) == LUA_TBOOLEAN else { throw bad() }
            return .bool(lua_toboolean(L, idx) != 0)
        case .float32, .float64:
            guard let d = Lua.number(L, idx) else { throw bad() }
            return type == .float32 ? .float32(Float(d)) : .float64(d)
        case .uint64 where whittle_isinteger(L, idx) == 0:
            // Values past Int64.max come to Lua as floats; take them back when exact.
            guard let d = Lua.number(L, idx), let u = UInt64(exactly: d) else { throw bad() }
            return .uint64(u)
        default:
            guard let i = integer(L, idx) else { throw bad() }
            let v: GGUFValue?
            switch type {
            case .uint8: v = UInt8(exactly: i).map(GGUFValue.uint8)
            case .int8: v = Int8(exactly: i).map(GGUFValue.int8)
            case .uint16: v = UInt16(exactly: i).map(GGUFValue.uint16)
            case .int16: v = Int16(exactly: i).map(GGUFValue.int16)
            case .uint32: v = UInt32(exactly: i).map(GGUFValue.uint32)
            case .int32: v = Int32(exactly: i).map(GGUFValue.int32)
            case .uint64: v = UInt64(exactly: i).map(GGUFValue.uint64)
            default: v = .int64(Int64(i))
            }
            guard let v else { throw LuaBindingError("metadata '\(key)': \(i) does not fit in \(sig)") }
            return v
        }
    }

    private static func describe(_ L: LuaPointer, _ idx: Int32) -> String {
        if lua_type(L, idx) == LUA_TNUMBER, let d = Lua.number(L, idx) { return formatNumber(d) }
        return Lua.typeName(L, idx)
    }

    /// A Lua integer, or a float with an exact integer value.
    private static func integer(_ L: LuaPointer, _ idx: Int32) -> Int? {
        guard lua_type(L, idx) == LUA_TNUMBER else { return nil }
        if whittle_isinteger(L, idx) != 0 { return Int(whittle_tointeger(L, idx, nil)) }
        guard let d = Lua.number(L, idx), d == d.rounded(), abs(d) < 9.2e18 else { return nil }
        return Int(d)
    }

    private static func infer(_ L: LuaPointer, _ idx: Int32, depth: Int) -> String? {
        switch lua_type(L, idx) {
        case LUA_TSTRING: return "str"
        case LUA_TBOOLEAN: return "bool"
        case LUA_TNUMBER:
            guard whittle_isinteger(L, idx) != 0 else { return "f32" }
            return Int32(exactly: whittle_tointeger(L, idx, nil)) != nil ? "i32" : "i64"
        case LUA_TTABLE:
            guard lua_rawlen(L, idx) > 0, depth < GGUFLimits.maxArrayDepth else { return nil }
            lua_rawgeti(L, idx, 1)
            defer { Lua.pop(L) }
            return infer(L, -1, depth: depth + 1).map { "arr[\($0)]" }
        default: return nil
        }
    }

    private static func array(_ L: LuaPointer, _ idx: Int32, key: String, element: String, depth: Int) throws -> GGUFArray {
        guard lua_type(L, idx) == LUA_TTABLE else { throw LuaBindingError("metadata '\(key)' must be an array table, got \(Lua.typeName(L, idx))") }
        let n = Int(lua_rawlen(L, idx))
        // A sparse table's border can be astronomically large: bound it before reserving anything.
        guard UInt64(n) <= GGUFLimits.maxArrayElements else {
            throw LuaBindingError("metadata '\(key)': array of \(n) elements exceeds the limit of \(GGUFLimits.maxArrayElements)")
        }
        var items: [GGUFValue] = []
        items.reserveCapacity(min(n, 1 << 16))
        for i in 0..<n {
            lua_rawgeti(L, idx, lua_Integer(i + 1))
            defer { Lua.pop(L) }
            items.append(try value(L, -1, key: "\(key)[\(i + 1)]", signature: element, depth: depth))
        }
        func all<T>(_ f: (GGUFValue) -> T?) -> [T] { items.compactMap(f) }
        switch element {
        case "u8": return .uint8(all { if case .uint8(let x) = $0 { return x }; return nil })
        case "i8": return .int8(all { if case .int8(let x) = $0 { return x }; return nil })
        case "u16": return .uint16(all { if case .uint16(let x) = $0 { return x }; return nil })
        case "i16": return .int16(all { if case .int16(let x) = $0 { return x }; return nil })
        case "u32": return .uint32(all { if case .uint32(let x) = $0 { return x }; return nil })
        case "i32": return .int32(all { if case .int32(let x) = $0 { return x }; return nil })
        case "u64": return .uint64(all { if case .uint64(let x) = $0 { return x }; return nil })
        case "i64": return .int64(all { if case .int64(let x) = $0 { return x }; return nil })
        case "f32": return .float32(all { if case .float32(let x) = $0 { return x }; return nil })
        case "f64": return .float64(all { if case .float64(let x) = $0 { return x }; return nil })
        case "bool": return .bool(all { if case .bool(let x) = $0 { return x }; return nil })
        case "str": return .string(all { $0.stringValue })
        default: return .array(all { if case .array(let x) = $0 { return x }; return nil })
        }
    }
}
