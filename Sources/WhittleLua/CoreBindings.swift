import CLua
import CLuaShim
import Foundation
import WhittleKernels
import WhittlePasses
import WhittleTensor

/// The Whittle version, shown by `whittle --version` and stored in saved files.
public let whittleVersion = "0.1.0"

/// `whittle.threads`, `now`, `seed`, `version`, and `help`.
enum CoreBindings {
    static let functions: [Binding] = [
        Binding("threads", "whittle.threads([n]) -> integer", "Sets the kernels' thread count when n is given; returns the current count.") { c in
            if !c.isNil(1) {
                let n = try c.integer(1, "n")
                guard n >= 1 && n <= 1024 else { throw c.error("'n' must be in [1, 1024], got \(n)") }
                KernelThreads.count = n
            }
            c.push(KernelThreads.count)
            return 1
        },
        Binding("now", "whittle.now() -> number", "Monotonic time in seconds, for timing.") { c in
            c.push(Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
            return 1
        },
        Binding("seed", "whittle.seed(n)", "Reseeds the generator used by random functions called without a seed.") { c in
            let n = try c.integer(1, "n")
            c.host?.generator = SeededGenerator(seed: UInt64(bitPattern: Int64(n)))
            return 0
        },
        Binding("_check_write", "whittle._check_write(path) -> real path", "Sandbox: the real path a write lands on; errors when it is outside the working directory.") { c in
            let path = try c.string(1, "path")
            c.push(try c.host?.checkWritable(path) ?? path)
            return 1
        },
        Binding("_check_entry", "whittle._check_entry(path) -> path", "Sandbox: for remove/rename; errors when the entry's directory is outside the working directory.") { c in
            let path = try c.string(1, "path")
            c.push(try c.host?.checkEntry(path) ?? path)
            return 1
        },
        Binding("help", "help([f | name])", "Shows the signature and doc of a binding, or lists a namespace.") { c in
            c.push(try Help.text(c))
            return 1
        },
    ]
}

/// Builds `help()` text from the binding tables.
enum Help {
    static func text(_ c: LuaCall) throws -> String {
        let L = c.L
        if c.isNil(1) { return overview(c.host) }
        if lua_type(L, 1) == LUA_TFUNCTION {
            let id = whittle_binding_id(L, 1)
            if let entry = BindingTable.entry(Int(id)) { return describe(entry) }
            return "a Lua function (no help: only Whittle's bindings carry docs)"
        }
        if lua_type(L, 1) == LUA_TSTRING, let name = Lua.string(L, 1) {
            let wanted = name.hasPrefix("whittle.") ? name : "whittle." + name
            let matches = BindingTable.entries.filter {
                $0.qualifiedName == wanted || $0.qualifiedName == name || $0.qualifiedName.hasSuffix(":" + name)
            }
            if !matches.isEmpty { return matches.map(describe).joined(separator: "\n\n") }
            if let pass = try? c.host?.passes.pass(named: name) { return describe(pass) }
            if let ns = Library.namespaces.first(where: { "whittle" + ($0.path.isEmpty ? "" : "." + $0.path) == wanted }) {
                return listing(path: ns.path)
            }
            if let cls = Library.classes.first(where: { $0.name == name }) { return listing(cls) }
            throw c.error("no binding or namespace named '\(name)' (try help())")
        }
        if let name = Lua.objectTypeName(L, 1), let cls = Library.classes.first(where: { $0.name == name }) {
            return listing(cls)
        }
        if lua_type(L, 1) == LUA_TTABLE {
            for ns in Library.namespaces {
                if ns.path.isEmpty { continue }
                // Compare the table with whittle.<path> by identity.
                lua_getglobal(L, "whittle")
                for part in ns.path.split(separator: ".") where lua_type(L, -1) == LUA_TTABLE {
                    Lua.getField(L, -1, String(part))
                    Lua.remove(L, -2)
                }
                let same = lua_rawequal(L, -1, 1) != 0
                Lua.pop(L)
                if same { return listing(path: ns.path) }
            }
            lua_getglobal(L, "whittle")
            defer { Lua.pop(L) }
            if lua_rawequal(L, -1, 1) != 0 { return overview(c.host) }
        }
        return "no help for a \(Lua.typeName(L, 1)) value"
    }

    /// A pass's doc and option schema, as `whittle passes NAME` shows them.
    static func describe(_ p: Pass) -> String {
        var lines = ["whittle.\(p.name)(model, [data,] opts)   pass, \(p.source)", "  \(p.doc)"]
        if let lmPass = p as? LanguageModelPass {
            if !lmPass.languageModelOnly { lines += ["  options on layer models:"] + optionLines(p.params) }
            lines += ["  options on language models (whittle.lm.load; data = text:windows(lm.tokenizer, {...})):"] + optionLines(lmPass.languageModelParams)
        } else {
            lines += ["  options:"] + optionLines(p.params)
        }
        return lines.joined(separator: "\n")
    }

    private static func optionLines(_ params: [PassParam]) -> [String] {
        (params + OptionValidator.common.filter({ c in !params.contains { $0.name == c.name } })).map { q in
            var facts = [q.type.rawValue]
            if let d = q.defaultValue { facts.append("default \(d)") } else if q.required { facts.append("required") }
            if let r = q.rangeText { facts.append(r) }
            if let ch = q.choices { facts.append(ch.joined(separator: "|")) }
            return "    \(q.name) (\(facts.joined(separator: ", "))): \(q.doc)"
        }
    }

    static func describe(_ e: RegisteredBinding) -> String {
        "\(e.binding.signature)\n  \(e.binding.doc)"
    }

    /// Every binding of the namespaces at `path` (several Swift files may add to one Lua table).
    static func listing(path: String) -> String {
        let parts = Library.namespaces.filter { $0.path == path }
        let title = "whittle" + (path.isEmpty ? "" : "." + path)
        let bindings = parts.flatMap(\.bindings).filter { !$0.name.hasPrefix("_") }
        return ([title + ": " + (parts.first?.doc ?? "")] + bindings.map { "  \($0.signature)\n      \($0.doc)" }).joined(separator: "\n")
    }

    static func listing(_ cls: LuaClass) -> String {
        var lines = ["\(cls.name): \(cls.doc)"]
        lines += cls.properties.map { "  \($0.signature)\n      \($0.doc)" }
        lines += cls.methods.map { "  \($0.signature)\n      \($0.doc)" }
        lines += cls.metamethods.filter { $0.name != "__gc" && $0.name != "__index" }.map { "  \($0.signature)\n      \($0.doc)" }
        return lines.joined(separator: "\n")
    }

    static func overview(_ host: LuaState? = nil) -> String {
        var lines = ["Whittle \(whittleVersion): neural-network compression from Lua. help(f) or help(\"name\") for one binding.", ""]
        var seen = Set<String>()
        for ns in Library.namespaces where seen.insert(ns.path).inserted {
            let names = Library.namespaces.filter { $0.path == ns.path }.flatMap(\.bindings).map(\.name).filter { !$0.hasPrefix("_") }
            if names.isEmpty { continue }
            lines.append("whittle\(ns.path.isEmpty ? "" : "." + ns.path): \(ns.doc)")
            lines.append("    " + names.joined(separator: " "))
        }
        for cls in Library.classes {
            lines.append("\(cls.name) methods: " + cls.methods.map(\.name).joined(separator: " "))
        }
        if let passes = host?.passes.all, !passes.isEmpty {
            lines.append("passes (whittle.<name>(model, opts); help(\"name\") for options): " + passes.map(\.name).joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
