import CLua
import CLuaShim
import Foundation
import WhittleFormats
import WhittlePasses
import WhittleTensor

/// Errors of the Lua host.
public enum LuaHostError: Error, CustomStringConvertible {
    /// A chunk failed to compile; the message has the chunk name and line.
    case syntax(String)
    /// A chunk raised an error; the message includes the Lua traceback.
    case runtime(String)
    case cannotCreateState

    public var description: String {
        switch self {
        case .syntax(let m), .runtime(let m): return m
        case .cannotCreateState: return "cannot create a Lua state (out of memory)"
        }
    }
}

/// Owns one `lua_State` with the `whittle` library installed. Not thread-safe:
/// use a state from one thread at a time.
public final class LuaState {
    /// The raw state, for bindings and tests.
    public let L: LuaPointer
    /// Whether the sandbox (no processes, no native code, no writes outside the working directory) is on.
    public let sandboxed: Bool
    /// Where sandboxed writes may go (the working directory at creation); nil without the sandbox.
    public let sandboxPolicy: SandboxPolicy?
    /// Every pass this state can run: built-ins plus plugins it loaded.
    public let passes = PassRegistry(BuiltinPasses.all())
    /// Logging for passes (stderr by default).
    public var passContext = PassContext(log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
    /// The code this state ran as a recipe (the script, `-e` chunks, REPL entries), stored in saved files.
    public private(set) var recipeChunks: [String] = []
    /// Generator for random functions called without a seed; `whittle.seed(n)` resets it.
    public var generator = SeededGenerator(seed: 0)

    /// Creates a state with the standard libraries and `whittle`.
    public init(sandbox: Bool = false) throws {
        guard let L = lua_newstate(budgetedLuaAllocator, nil) else { throw LuaHostError.cannotCreateState }
        self.L = L
        sandboxed = sandbox
        sandboxPolicy = sandbox ? SandboxPolicy(root: FileManager.default.currentDirectoryPath) : nil
        whittle_set_dispatcher(dispatch)
        guard whittle_open_libs(L) == LUA_OK else { lua_close(L); throw LuaHostError.cannotCreateState }
        // The registry maps this state back to its Swift owner (unretained: the owner outlives the state).
        lua_pushlightuserdata(L, Unmanaged.passUnretained(self).toOpaque())
        Lua.setField(L, Lua.registryIndex, LuaState.hostKey)
        try Library.install(in: self)
    }

    deinit { lua_close(L) }

    static let hostKey = "whittle.host"

    /// The `LuaState` that owns `L`.
    static func host(of L: LuaPointer) -> LuaState? {
        Lua.getField(L, Lua.registryIndex, hostKey)
        defer { Lua.pop(L) }
        guard let p = lua_touserdata(L, -1) else { return nil }
        return Unmanaged<LuaState>.fromOpaque(p).takeUnretainedValue()
    }

    // MARK: running code

    /// Compiles `code` as chunk `name` ("@path" for files, "=stdin" style otherwise) and leaves the function on the stack.
    public func load(_ code: String, name: String) throws {
        let status = code.utf8CString.withUnsafeBufferPointer { buf in
            whittle_load(L, buf.baseAddress, buf.count - 1, name)
        }
        guard status == LUA_OK else {
            let message = Lua.string(L, -1) ?? "syntax error"
            Lua.pop(L)
            throw LuaHostError.syntax(message)
        }
    }

    /// Calls the function below `nargs` arguments with a traceback handler; returns the number of results left on the stack.
    @discardableResult
    public func call(nargs: Int32 = 0, nresults: Int32 = LUA_MULTRET) throws -> Int32 {
        let base = lua_gettop(L) - nargs - 1
        let status = whittle_pcall_traceback(L, nargs, nresults)
        guard status == LUA_OK else {
            var message = Lua.string(L, -1) ?? "(error object is not a string)"
            if status == LUA_ERRMEM {  // raised without a message handler, so say what ran out
                let limit = MemoryBudget.limit.map { "memory budget \(formatBytes($0)), " } ?? ""
                message = "not enough memory for Lua values (\(limit)\(formatBytes(MemoryBudget.used)) in use; raise it with --max-memory or whittle.limits{memory=...})"
            }
            lua_settop(L, base)
            throw LuaHostError.runtime(message)
        }
        return lua_gettop(L) - base
    }

    /// Notes `code` as part of the recipe that saved files record (`whittle.recipe`).
    public func recordRecipe(_ code: String) { recipeChunks.append(code) }

    /// The recipe text so far, or nil when nothing was recorded.
    public var recipeText: String? { recipeChunks.isEmpty ? nil : recipeChunks.joined(separator: "\n") }

    /// Runs `code` and returns its results converted with `tostring`.
    @discardableResult
    public func run(_ code: String, name: String = "=(whittle)") throws -> [String] {
        let top = lua_gettop(L)
        try load(code, name: name)
        let n = try call()
        defer { lua_settop(L, top) }
        return (0..<n).map { describe(top + 1 + $0) }
    }

    /// `tostring(value at idx)`, via Lua so that `__tostring` metamethods apply.
    public func describe(_ idx: Int32) -> String {
        let i = Lua.absolute(L, idx)
        lua_getglobal(L, "tostring")
        lua_pushvalue(L, i)
        guard whittle_pcall_traceback(L, 1, 1) == LUA_OK else {
            defer { Lua.pop(L) }
            return "(tostring failed: \(Lua.string(L, -1) ?? "?"))"
        }
        defer { Lua.pop(L) }
        return Lua.string(L, -1) ?? "?"
    }

    /// Pushes a string (for passing arguments to a loaded chunk).
    public func pushString(_ s: String) { Lua.push(L, s) }

    /// Sets the global `arg` table as the `lua` interpreter does: arg[0] = script, arg[1...] = arguments.
    public func setScriptArguments(script: String, _ args: [String]) {
        lua_createtable(L, Int32(args.count), 1)
        Lua.push(L, script)
        lua_rawseti(L, -2, 0)
        for (i, a) in args.enumerated() {
            Lua.push(L, a)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setglobal(L, "arg")
    }

    /// Prepends `dir/?.lua;dir/?/init.lua` to `package.path` so `require` finds modules next to a recipe.
    public func addModuleDirectory(_ dir: String) {
        lua_getglobal(L, "package")
        defer { Lua.pop(L) }
        guard lua_type(L, -1) == LUA_TTABLE else { return }
        Lua.getField(L, -1, "path")
        let old = Lua.string(L, -1) ?? ""
        Lua.pop(L)
        Lua.push(L, "\(dir)/?.lua;\(dir)/?/init.lua;" + old)
        Lua.setField(L, -2, "path")
    }

    /// Current stack height.
    public var top: Int32 { lua_gettop(L) }

    /// Truncates the stack to `n` values.
    public func setTop(_ n: Int32) { lua_settop(L, n) }

    /// Pops `n` values.
    public func discard(_ n: Int32) { Lua.pop(L, n) }

    /// `whittle.pretty(value at idx)`: tables shown by content, other values by `tostring`.
    public func pretty(_ idx: Int32) -> String {
        let i = Lua.absolute(L, idx)
        lua_getglobal(L, "whittle")
        Lua.getField(L, -1, "pretty")
        Lua.remove(L, -2)
        guard lua_type(L, -1) == LUA_TFUNCTION else { Lua.pop(L); return describe(i) }
        lua_pushvalue(L, i)
        defer { Lua.pop(L) }
        guard whittle_pcall_traceback(L, 1, 1) == LUA_OK else { return describe(i) }
        return Lua.string(L, -1) ?? describe(i)
    }

    /// Completions of a dotted/colon name ("whittle.nn.li", "t:ma") from the live tables, by raw access.
    public func names(completing text: String) -> [String] {
        let separators = text.indices.filter { text[$0] == "." || text[$0] == ":" }
        let head = separators.last.map { String(text[...$0]) } ?? ""
        let stem = separators.last.map { String(text[text.index(after: $0)...]) } ?? text
        let path = head.isEmpty ? [] : head.dropLast().split(whereSeparator: { $0 == "." || $0 == ":" }).map(String.init)
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, Lua.registryIndex, lua_Integer(LUA_RIDX_GLOBALS))
        for part in path {
            if lua_type(L, -1) == LUA_TUSERDATA || lua_type(L, -1) == LUA_TSTRING {
                // Methods of an object or string live in its metatable's __index table.
                guard lua_getmetatable(L, -1) != 0 else { return [] }
                Lua.getField(L, -1, "__index")
            }
            guard lua_type(L, -1) == LUA_TTABLE else { return [] }
            Lua.getField(L, -1, part)
        }
        if lua_type(L, -1) == LUA_TUSERDATA || lua_type(L, -1) == LUA_TSTRING {
            guard lua_getmetatable(L, -1) != 0 else { return [] }
            Lua.getField(L, -1, "__index")
        }
        guard lua_type(L, -1) == LUA_TTABLE else { return [] }
        var out: [String] = []
        let t = lua_gettop(L)
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let key = Lua.string(L, -2), key.hasPrefix(stem), !key.hasPrefix("_") {
                out.append(head + key)
            }
            Lua.pop(L)
        }
        return out
    }

    // MARK: userdata

    /// Pushes a retained Swift object as userdata with metatable `metatable` (released by `__gc`).
    static func pushObject(_ L: LuaPointer, _ object: AnyObject, metatable: String) {
        guard let raw = lua_newuserdatauv(L, MemoryLayout<UnsafeRawPointer?>.size, 0) else { lua_pushnil(L); return }
        raw.storeBytes(of: UnsafeRawPointer(Unmanaged.passRetained(object).toOpaque()), as: UnsafeRawPointer?.self)
        luaL_setmetatable(L, metatable)
    }

    // MARK: sandbox

    /// The path a write to `path` should open: unchanged without the sandbox; with it, the
    /// real path after `SandboxPolicy.checkWritable`, which throws when that is outside.
    /// Every binding that writes a file calls this (GGUF, HF and other exporters too).
    @discardableResult
    public func checkWritable(_ path: String) throws -> String {
        guard let sandboxPolicy else { return path }
        return try sandboxPolicy.checkWritable(path)
    }

    /// For remove and rename, which act on the directory entry and do not follow a final link.
    @discardableResult
    public func checkEntry(_ path: String) throws -> String {
        guard let sandboxPolicy else { return path }
        return try sandboxPolicy.checkEntry(path)
    }
}

/// Lua's allocator: the Lua heap counts against the memory budget, so a recipe that
/// builds huge tables gets Lua's "not enough memory" error instead of the OOM killer.
let budgetedLuaAllocator: lua_Alloc = { _, pointer, oldSize, newSize in
    let old = pointer == nil ? 0 : oldSize  // without a block, oldSize encodes the object type
    if newSize == 0 {
        free(pointer)
        MemoryBudget.release(bytes: old)
        return nil
    }
    let growth = newSize - old
    if growth > 0 {
        do { try MemoryBudget.charge(bytes: growth, what: "Lua values") } catch { return nil }
    }
    guard let grown = realloc(pointer, newSize) else {
        if growth > 0 { MemoryBudget.release(bytes: growth) }
        return nil
    }
    if growth < 0 { MemoryBudget.release(bytes: -growth) }
    return grown
}
