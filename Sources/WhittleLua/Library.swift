import CLua
import CLuaShim

/// The `whittle` library: every namespace and class, registered once per
/// process, installed into each new Lua state.
enum Library {
    /// All namespaces; entries with the same path share one table.
    static let namespaces: [Namespace] = [
        Namespace("", doc: "tensors, timing, threads and help", CoreBindings.functions + TensorBindings.functions + LimitsBindings.functions),
        Namespace("", doc: "compression passes", PassBindings.functions),
    ] + QuantizeBindings.namespaces + DataBindings.namespaces + NNBindings.namespaces + PluginBindings.namespaces + ReportBindings.namespaces + AnalysisBindings.namespaces
        + GGUFBindings.namespaces
        + LMBindings.namespaces + LMCompressionBindings.namespaces + TextDataBindings.namespaces + LMEvaluationBindings.namespaces

    /// All userdata classes.
    static let classes: [LuaClass] = [TensorBindings.tensorClass]
        + QuantizeBindings.classes + DataBindings.classes + NNBindings.classes + PluginBindings.classes
        + GGUFBindings.classes
        + LMBindings.classes + TextDataBindings.classes

    /// Binding ids, assigned on first use (process-wide, the same for every state).
    static let ids: (namespaces: [[Int]], classes: [(methods: [Int], properties: [Int], metamethods: [Int])]) = {
        let ns = namespaces.map { n in
            n.bindings.map { b in
                let dotted = n.path.isEmpty ? b.name : n.path + "." + b.name
                return BindingTable.add(b, errorName: dotted, qualifiedName: "whittle." + dotted)
            }
        }
        let cls = classes.map { c in
            (methods: c.methods.map { BindingTable.add($0, errorName: $0.name, qualifiedName: c.name + ":" + $0.name) },
             properties: c.properties.map { BindingTable.add($0, errorName: $0.name, qualifiedName: c.name + "." + $0.name) },
             metamethods: (c.metamethods + [release]).map { BindingTable.add($0, errorName: $0.name, qualifiedName: c.name + "." + $0.name) })
        }
        return (ns, cls)
    }()

    /// `__gc` for every class: drops the reference the userdata held.
    static let release = Binding("__gc", "collectgarbage()", "Releases the Swift object.") { c in
        // Only our own userdata: __gc can be called by hand on anything (io.stdout, a Lua table).
        guard lua_type(c.L, 1) == LUA_TUSERDATA, let name = Lua.objectTypeName(c.L, 1),
              Library.classes.contains(where: { $0.name == name }), let raw = lua_touserdata(c.L, 1),
              let p = raw.load(as: UnsafeRawPointer?.self) else { return 0 }
        raw.storeBytes(of: nil, as: UnsafeRawPointer?.self)
        Unmanaged<AnyObject>.fromOpaque(p).release()
        return 0
    }

    /// Installs `whittle` (global and `require("whittle")`) into `state`.
    static func install(in state: LuaState) throws {
        let L = state.L
        let ids = Library.ids
        lua_createtable(L, 0, 64)                       // whittle
        let whittle = lua_gettop(L)
        for (n, ns) in namespaces.enumerated() {
            tableAt(L, root: whittle, path: ns.path)
            for (b, binding) in ns.bindings.enumerated() {
                whittle_push_binding(L, lua_Integer(ids.namespaces[n][b]))
                Lua.setField(L, -2, binding.name)
            }
            Lua.pop(L)
        }
        lua_pushcclosure(L, whittle_open_nofollow, 0)   // for the sandbox's io.open (the prelude removes it)
        Lua.setField(L, whittle, "_open_nofollow")
        lua_createtable(L, 0, Int32(classes.count))     // class descriptions for the prelude
        for (k, cls) in classes.enumerated() {
            lua_createtable(L, 0, 3)
            _ = luaL_newmetatable(L, cls.metatableName)
            for (b, binding) in (cls.metamethods + [release]).enumerated() {
                whittle_push_binding(L, lua_Integer(ids.classes[k].metamethods[b]))
                Lua.setField(L, -2, binding.name)
            }
            Lua.setField(L, -2, "mt")
            pushTable(L, cls.methods, ids.classes[k].methods)
            Lua.setField(L, -2, "methods")
            pushTable(L, cls.properties, ids.classes[k].properties)
            Lua.setField(L, -2, "properties")
            Lua.setField(L, -2, cls.name)
        }
        try state.load(Prelude.code, name: "=whittle.prelude")
        lua_rotate(L, -3, 1)                            // prelude, whittle, classes
        Lua.push(L, state.sandboxed ? "sandbox" : "")
        try state.call(nargs: 3, nresults: 0)
    }

    /// Pushes `root.<path>` (creating tables on the way); "" pushes root itself.
    private static func tableAt(_ L: LuaPointer, root: Int32, path: String) {
        lua_pushvalue(L, root)
        for part in path.split(separator: ".") {
            if Lua.getField(L, -1, String(part)) != LUA_TTABLE {
                Lua.pop(L)
                lua_createtable(L, 0, 8)
                lua_pushvalue(L, -1)
                Lua.setField(L, -3, String(part))
            }
            Lua.remove(L, -2)
        }
    }

    private static func pushTable(_ L: LuaPointer, _ bindings: [Binding], _ ids: [Int]) {
        lua_createtable(L, 0, Int32(bindings.count))
        for (b, binding) in bindings.enumerated() {
            whittle_push_binding(L, lua_Integer(ids[b]))
            Lua.setField(L, -2, binding.name)
        }
    }

    /// Every dotted name reachable from `whittle` per the binding tables, for completion.
    static var completionNames: [String] {
        var names: [String] = []
        for ns in namespaces {
            let prefix = "whittle." + (ns.path.isEmpty ? "" : ns.path + ".")
            if !ns.path.isEmpty { names.append("whittle." + ns.path) }
            names += ns.bindings.map { prefix + $0.name }.filter { !$0.contains("._") }
        }
        return Array(Set(names)).sorted()
    }
}

/// Public view of the library's binding tables (for the CLI's completion and docs).
public enum WhittleLibrary {
    /// Every `whittle.*` name declared in the binding tables.
    public static var completionNames: [String] { Library.completionNames }

    /// Every binding's qualified name ("whittle.zeros", "Tensor:matmul") with its signature,
    /// whose `key=` options the binding fuzzer fills with bad values.
    public static var signatures: [(name: String, signature: String)] {
        _ = Library.ids
        return BindingTable.entries.map { ($0.qualifiedName, $0.binding.signature) }
    }

    /// Every class's methods, properties and metamethods, by class name (as in `whittle.<Class>`
    /// metatables): what the binding fuzzer calls on each object it meets.
    public static var classMembers: [String: (methods: [String], properties: [String], metamethods: [String])] {
        var out: [String: (methods: [String], properties: [String], metamethods: [String])] = [:]
        for c in Library.classes {
            out[c.name] = (c.methods.map(\.name), c.properties.map(\.name), (c.metamethods + [Library.release]).map(\.name))
        }
        return out
    }
}
