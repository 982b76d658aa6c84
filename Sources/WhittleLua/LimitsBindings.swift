import CLua
import WhittleTensor

/// `whittle.limits`: the process's memory budget, read and set from a recipe.
enum LimitsBindings {
    static let functions: [Binding] = [
        Binding("limits", "whittle.limits([{memory=\"8G\" | bytes | false}]) -> {memory=, used=, peak=, physical=}",
                "Sets the memory budget for tensors and buffers (false: none; a sandboxed recipe may only lower it) and returns the limits and current use in bytes.") { c in
            let o = try c.options(1)
            if o.has("memory") {
                let requested = try o.value("memory") { c -> Int? in try memoryValue(c) }
                if c.host?.sandboxed == true, let current = MemoryBudget.limit, requested.map({ $0 > current }) ?? true {
                    throw c.error("'memory' cannot be raised under --sandbox (the budget is \(formatBytes(current)))")
                }
                MemoryBudget.limit = requested
            }
            try o.finish()
            var record: [(String, LuaValue)] = [
                ("used", .integer(MemoryBudget.used)), ("peak", .integer(MemoryBudget.peak)),
                ("physical", .integer(MemoryBudget.physicalMemory)),
            ]
            if let limit = MemoryBudget.limit { record.append(("memory", .integer(limit))) }
            c.push(record: record)
            return 1
        },
    ]

    /// The `memory` option at the top of the stack: bytes, a size string, or false for no limit.
    private static func memoryValue(_ c: LuaCall) throws -> Int? {
        let L = c.L
        switch lua_type(L, -1) {
        case LUA_TBOOLEAN where lua_toboolean(L, -1) == 0:
            return nil
        case LUA_TNUMBER:
            let v = Lua.number(L, -1) ?? .nan
            guard v.isFinite, v >= 1, v < 9.0e18 else { throw c.error("'memory' must be a positive size in bytes, got \(formatNumber(v))") }
            return Int(v)
        case LUA_TSTRING:
            let text = Lua.string(L, -1) ?? ""
            guard let bytes = MemoryBudget.parseSize(text), bytes > 0 else {
                throw c.error("'memory' must be a size such as \"512M\" or \"8G\", got \"\(text)\"")
            }
            return bytes
        default:
            throw c.error("'memory' must be a size (\"8G\", bytes) or false, got \(Lua.typeName(L, -1))")
        }
    }
}
