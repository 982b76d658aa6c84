import CLua
import CLuaShim
import Foundation
import WhittleFormats
import WhittleTensor

/// `whittle.gguf` (open with lazy tensors, write) and `whittle.imatrix` (importance matrices).
enum GGUFBindings {
    static let namespaces: [Namespace] = [
        Namespace("gguf", doc: "GGUF files (llama.cpp's format): read metadata and tensors lazily, write any set of tensors.", [
            Binding("open", "whittle.gguf.open(path) -> {path=, version=, alignment=, metadata=, types=, keys=, info=, tensors=, file=}",
                    "Maps and validates a GGUF file. metadata[key] is the value (arrays as Lua arrays), types[key] its GGUF type (\"u32\", \"arr[str]\"), keys the file order, info the tensors in file order ({name=, type=, shape=, offset=, nbytes=}); tensors[name] loads a tensor lazily in its stored type (shape outermost first).") { c in
                let path = try c.string(1, "path")
                let handle = GGUFHandle(try GGUFFile.open(path))
                pushFileTable(c, handle)
                return 1
            },
            Binding("write", "whittle.gguf.write(path, {metadata=, tensors=, types=, base=})",
                    "Writes a GGUF v3 file atomically. tensors: name -> Tensor (block types are kept as they are), or g.tensors to copy every tensor of an open file as stored. types[key] gives a value's GGUF type; otherwise the type in base (an opened file, whose key and tensor order are also kept), else inferred as gguf-py does (integer i32, float f32).") { c in
                let path = try c.string(1, "path")
                try c.host?.checkWritable(path)
                let o = try c.options(2, "spec")
                let base = try o.value("base") { c in try handle(c, -1, param: "base", optional: true) }
                let types = try o.value("types") { c in try stringMap(c, -1, param: "types") }
                let metadata = try o.value("metadata") { c in try readMetadata(c, -1, types: types, base: base?.file) }
                let tensors = try o.value("tensors") { c in try readTensors(c, -1, base: base?.file) }
                try o.finish()
                try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
                return 0
            },
            Binding("_index", "g.tensors[name]", "Loads one tensor of an opened file (nil when absent).") { c in
                let h = try proxyHandle(c)
                let name = try c.string(2, "name")
                guard h.file.info(named: name) != nil else { c.pushNil(); return 1 }
                c.push(try h.file.tensor(named: name))
                lua_pushvalue(c.L, 2)
                lua_pushvalue(c.L, -2)
                lua_rawset(c.L, 1)            // cache: the next access is a plain table read
                return 1
            },
            Binding("_pairs", "pairs(g.tensors)", "Iterates the loadable tensors in file order.") { c in
                _ = try proxyHandle(c)
                pushBinding(c.L, "whittle.gguf._next")
                lua_pushvalue(c.L, 1)
                lua_pushnil(c.L)
                return 3
            },
            Binding("_next", "next tensor", "The tensor after `key` in file order (types Whittle cannot load are skipped).") { c in
                let h = try proxyHandle(c)
                var i = 0
                if !c.isNil(2) { i = (h.position[try c.string(2, "key")] ?? h.file.tensorInfos.count) + 1 }
                while i < h.file.tensorInfos.count, h.file.tensorInfos[i].dtype == nil { i += 1 }
                guard i < h.file.tensorInfos.count else { c.pushNil(); return 1 }
                let name = h.file.tensorInfos[i].name
                c.push(name)
                c.push(try h.file.tensor(named: name))
                return 2
            },
        ]),
        Namespace("imatrix", doc: "Importance matrices (llama-imatrix's files): per-column mean of x² feeding each weight.", [
            Binding("load", "whittle.imatrix.load(path) -> IMatrix",
                    "Reads llama-imatrix's GGUF format, or the legacy .dat format.") { c in
                c.push(object: IMatrixBox(try ImportanceMatrix.load(try c.string(1, "path"))), className: "IMatrix")
                return 1
            },
            Binding("new", "whittle.imatrix.new{chunk_size=512, datasets={}} -> IMatrix",
                    "An empty importance matrix to fill with im:accumulate().") { c in
                let o = try c.options(1)
                let size = try o.integer("chunk_size", default: 0, in: 0...Int(UInt32.max))
                let datasets = try o.value("datasets") { c in try strings(c, -1, param: "datasets") }
                try o.finish()
                c.push(object: IMatrixBox(ImportanceMatrix(datasets: datasets, chunkSize: size)), className: "IMatrix")
                return 1
            },
        ]),
    ]

    static let classes: [LuaClass] = [fileClass, imatrixClass]

    // MARK: GGUF

    static let fileClass = LuaClass("GGUFFile", doc: "An opened GGUF file (the mapping tensors borrow).", methods: [
        Binding("tensor", "f:tensor(name) -> Tensor", "Tensor `name` in its stored type; an error names a type Whittle cannot load.") { c in
            let h = try c.object(1, "self", GGUFHandle.self, className: "GGUFFile")
            c.push(try h.file.tensor(named: try c.string(2, "name")))
            return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(f)", "Path, version, key and tensor counts.") { c in
            let f = try c.object(1, "self", GGUFHandle.self, className: "GGUFFile").file
            c.push("GGUFFile(\(f.path), v\(f.version), \(f.metadata.count) keys, \(f.tensorInfos.count) tensors)")
            return 1
        },
    ])

    private static func pushFileTable(_ c: LuaCall, _ h: GGUFHandle) {
        let L = c.L, f = h.file
        lua_createtable(L, 0, 9)
        c.push(f.path); Lua.setField(L, -2, "path")
        c.push(Int(f.version)); Lua.setField(L, -2, "version")
        c.push(f.alignment); Lua.setField(L, -2, "alignment")
        lua_createtable(L, 0, Int32(f.metadata.count))
        for (k, v) in f.metadata { GGUFValueBridge.push(L, v); Lua.setField(L, -2, k) }
        Lua.setField(L, -2, "metadata")
        lua_createtable(L, 0, Int32(f.metadata.count))
        for (k, v) in f.metadata { c.push(GGUFValueBridge.signature(v)); Lua.setField(L, -2, k) }
        Lua.setField(L, -2, "types")
        LuaValue.array(f.metadata.keys.map { .string($0) }).push(L)
        Lua.setField(L, -2, "keys")
        lua_createtable(L, Int32(f.tensorInfos.count), 0)
        for (i, t) in f.tensorInfos.enumerated() {
            c.push(record: [("name", .string(t.name)), ("type", .string(t.type.description)),
                            ("offset", .integer(t.offset)), ("nbytes", .integer(t.byteCount))])
            c.push(shape: t.shape); Lua.setField(L, -2, "shape")
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        Lua.setField(L, -2, "info")
        // tensors: an empty table whose metatable loads on first access.
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 4)
        c.push(object: h, className: "GGUFFile"); Lua.setField(L, -2, "__gguf")
        pushBinding(L, "whittle.gguf._index"); Lua.setField(L, -2, "__index")
        pushBinding(L, "whittle.gguf._pairs"); Lua.setField(L, -2, "__pairs")
        c.push("whittle.GGUFTensors"); Lua.setField(L, -2, "__name")
        lua_setmetatable(L, -2)
        Lua.setField(L, -2, "tensors")
        c.push(object: h, className: "GGUFFile"); Lua.setField(L, -2, "file")
    }

    /// Pushes a registered binding by its help name ("whittle.gguf._index").
    private static func pushBinding(_ L: LuaPointer, _ qualifiedName: String) {
        guard let id = BindingTable.entries.firstIndex(where: { $0.qualifiedName == qualifiedName }) else { lua_pushnil(L); return }
        whittle_push_binding(L, lua_Integer(id))
    }

    /// The file behind a lazy tensors table (argument 1).
    private static func proxyHandle(_ c: LuaCall) throws -> GGUFHandle {
        guard lua_type(c.L, 1) == LUA_TTABLE, let h = proxyFile(c, 1) else { throw c.error("expects the tensors table of whittle.gguf.open") }
        return h
    }

    private static func proxyFile(_ c: LuaCall, _ idx: Int32) -> GGUFHandle? {
        guard lua_getmetatable(c.L, idx) != 0 else { return nil }
        defer { Lua.pop(c.L) }
        Lua.getField(c.L, -1, "__gguf")
        defer { Lua.pop(c.L) }
        return c.object(-1, GGUFHandle.self, className: "GGUFFile")
    }

    /// An opened file given as the table of whittle.gguf.open or its `file`.
    private static func handle(_ c: LuaCall, _ idx: Int32, param: String, optional: Bool) throws -> GGUFHandle? {
        if optional && c.isNil(idx) { return nil }
        if let h = c.object(idx, GGUFHandle.self, className: "GGUFFile") { return h }
        if lua_type(c.L, idx) == LUA_TTABLE {
            Lua.getField(c.L, idx, "file")
            defer { Lua.pop(c.L) }
            if let h = c.object(-1, GGUFHandle.self, className: "GGUFFile") { return h }
        }
        throw c.error("'\(param)' must be a file from whittle.gguf.open, got \(Lua.typeName(c.L, idx))")
    }

    /// The string keys of a table, each with its value pushed while `body` runs.
    private static func forEachKey(_ c: LuaCall, _ idx: Int32, param: String, _ body: (String) throws -> Void) throws {
        let t = Lua.absolute(c.L, idx)
        try c.requireTable(t, param)
        var keys: [String] = []
        lua_pushnil(c.L)
        while lua_next(c.L, t) != 0 {
            Lua.pop(c.L)
            guard lua_type(c.L, -1) == LUA_TSTRING, let k = Lua.string(c.L, -1) else {
                Lua.pop(c.L)
                throw c.error("'\(param)' keys must be strings")
            }
            keys.append(k)
        }
        for k in keys {
            Lua.getField(c.L, t, k)
            defer { Lua.pop(c.L) }
            try body(k)
        }
    }

    private static func stringMap(_ c: LuaCall, _ idx: Int32, param: String) throws -> [String: String] {
        if c.isNil(idx) { return [:] }
        var out: [String: String] = [:]
        try forEachKey(c, idx, param: param) { k in
            guard lua_type(c.L, -1) == LUA_TSTRING, let v = Lua.string(c.L, -1) else { throw c.error("'\(param).\(k)' must be a string") }
            out[k] = v
        }
        return out
    }

    private static func strings(_ c: LuaCall, _ idx: Int32, param: String) throws -> [String] {
        if c.isNil(idx) { return [] }
        let t = Lua.absolute(c.L, idx)
        try c.requireTable(t, param)
        // No capacity from the length: a sparse table's border can be huge; a nil element ends it with an error.
        let n = Int(lua_rawlen(c.L, t))
        var out: [String] = []
        var i = 1
        while i <= n {
            lua_rawgeti(c.L, t, lua_Integer(i))
            defer { Lua.pop(c.L) }
            guard lua_type(c.L, -1) == LUA_TSTRING, let s = Lua.string(c.L, -1) else { throw c.error("'\(param)'[\(i)] must be a string") }
            out.append(s)
            i += 1
        }
        return out
    }

    /// Bytewise order, then the base file's order for the names it has.
    private static func ordered(_ names: [String], base: [String]) -> [String] {
        let present = Set(names)
        let first = base.filter { present.contains($0) }
        let known = Set(first)
        return first + names.filter { !known.contains($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func readMetadata(_ c: LuaCall, _ idx: Int32, types: [String: String], base: GGUFFile?) throws -> GGUFMetadata {
        if c.isNil(idx) { return GGUFMetadata() }
        var values: [String: GGUFValue] = [:]
        try forEachKey(c, idx, param: "metadata") { k in
            var sig = types[k]
            if sig == nil, let old = base?.metadata[k], kindMatches(c.L, -1, old) { sig = GGUFValueBridge.signature(old) }
            if sig == nil, k == "general.alignment" { sig = "u32" }
            values[k] = try GGUFValueBridge.value(c.L, -1, key: k, signature: sig)
        }
        var m = GGUFMetadata()
        for k in ordered(Array(values.keys), base: base?.metadata.keys ?? []) { m[k] = values[k] }
        return m
    }

    /// True when the Lua value is the same kind (string, boolean, number, table) as a stored value.
    private static func kindMatches(_ L: LuaPointer, _ idx: Int32, _ v: GGUFValue) -> Bool {
        switch (lua_type(L, idx), v.type) {
        case (LUA_TSTRING, .string), (LUA_TBOOLEAN, .bool), (LUA_TTABLE, .array): return true
        case (LUA_TNUMBER, let t): return t != .string && t != .bool && t != .array
        default: return false
        }
    }

    private static func readTensors(_ c: LuaCall, _ idx: Int32, base: GGUFFile?) throws -> [GGUFTensorPayload] {
        if c.isNil(idx) { return [] }
        let t = Lua.absolute(c.L, idx)
        if lua_type(c.L, t) == LUA_TTABLE, let h = proxyFile(c, t) {
            return try h.file.tensorInfos.map { try GGUFTensorPayload(name: $0.name, from: h.file) }
        }
        var tensors: [String: Tensor] = [:]
        try forEachKey(c, t, param: "tensors") { k in
            guard let x = c.object(-1, Tensor.self, className: "Tensor") else {
                throw c.error("tensors['\(k)'] must be a Tensor, got \(Lua.typeName(c.L, -1))")
            }
            tensors[k] = x
        }
        return try ordered(Array(tensors.keys), base: base?.tensorInfos.map(\.name) ?? []).map { name in
            guard let x = tensors[name] else { throw c.error("tensor '\(name)' vanished") }
            return try GGUFTensorPayload(name: name, tensor: x)
        }
    }

    // MARK: IMatrix

    private static func box(_ c: LuaCall) throws -> IMatrixBox { try c.object(1, "self", IMatrixBox.self, className: "IMatrix") }

    static let imatrixClass = LuaClass("IMatrix", doc: "An importance matrix: Σx² and row counts per weight, means = Σx² / count.", methods: [
        Binding("save", "im:save(path, {format=\"gguf\"|\"dat\"})", "Writes atomically in llama-imatrix's GGUF format (default; .dat paths get the legacy format).") { c in
            let im = try box(c)
            let path = try c.string(2, "path")
            try c.host?.checkWritable(path)
            let o = try c.options(3)
            let format = o.has("format") ? ImportanceMatrix.Format(rawValue: try o.string("format", choices: ["gguf", "dat"])) : nil
            try o.finish()
            try im.value.save(path, format: format)
            return 0
        },
        Binding("means", "im:means(name) -> Tensor | nil", "Per-column importance of weight `name` as llama-quantize uses it (experts x columns for expert weights).") { c in
            let im = try box(c)
            let name = try c.string(2, "name")
            guard let e = im.value.entries[name] else { c.pushNil(); return 1 }
            let shape = e.counts.count > 1 ? [e.counts.count, e.columns] : [e.columns]
            c.push(try Tensor(shape: shape, values: e.means))
            return 1
        },
        Binding("names", "im:names() -> {string}", "Weight names, sorted as files store them.") { c in
            LuaValue.array(try box(c).value.names.map { .string($0) }).push(c.L)
            return 1
        },
        Binding("entry", "im:entry(name) -> {sums=Tensor, counts={...}} | nil", "The raw statistics of one weight.") { c in
            let im = try box(c)
            guard let e = im.value.entries[try c.string(2, "name")] else { c.pushNil(); return 1 }
            c.push(record: [("counts", .array(e.counts.map { .integer(Int($0)) })), ("legacy", .bool(e.isLegacy))])
            c.push(try Tensor(shape: [e.sums.count], values: e.sums)); Lua.setField(c.L, -2, "sums")
            return 1
        },
        Binding("accumulate", "im:accumulate(name, x)", "Adds activations x (rows x columns, f32) feeding weight `name`: Σx² per column and the row count.") { c in
            let im = try box(c)
            let name = try c.string(2, "name")
            let x = try c.tensor(3, "x")
            try x.requireF32("imatrix.accumulate")
            guard (1...2).contains(x.rank), let cols = x.shape.last, cols > 0 else {
                throw c.error("'x' must be 1-D or 2-D with columns, got shape \(shapeString(x.shape))")
            }
            try im.value.accumulate(name, activations: UnsafeBufferPointer(start: x.floats, count: x.count), columns: cols)
            return 0
        },
        Binding("set", "im:set{chunk_count=, chunk_size=, datasets=}", "Sets the metadata saved with the matrix.") { c in
            let im = try box(c)
            let o = try c.options(2)
            if o.has("chunk_count") { im.value.chunkCount = try o.integer("chunk_count", in: 0...Int(UInt32.max)) }
            if o.has("chunk_size") { im.value.chunkSize = try o.integer("chunk_size", in: 0...Int(UInt32.max)) }
            if o.has("datasets") { im.value.datasets = try o.value("datasets") { c in try strings(c, -1, param: "datasets") } }
            try o.finish()
            return 0
        },
    ], properties: [
        Binding("datasets", "im.datasets -> {string}", "Calibration files the matrix was computed on.") { c in
            LuaValue.array(try box(c).value.datasets.map { .string($0) }).push(c.L); return 1
        },
        Binding("chunk_count", "im.chunk_count -> integer", "Chunks processed.") { c in c.push(try box(c).value.chunkCount); return 1 },
        Binding("chunk_size", "im.chunk_size -> integer", "Tokens per chunk (0 when unknown).") { c in c.push(try box(c).value.chunkSize); return 1 },
    ], metamethods: [
        Binding("__len", "#im", "Number of weights with statistics.") { c in c.push(try box(c).value.entries.count); return 1 },
        Binding("__tostring", "tostring(im)", "Entry count, chunks and datasets.") { c in
            let m = try box(c).value
            c.push("IMatrix(\(m.entries.count) entries, \(m.chunkCount) chunks of \(m.chunkSize), datasets: \(m.datasets.joined(separator: ", ")))")
            return 1
        },
    ])
}

/// An opened GGUF file held by Lua, with each tensor's position for iteration.
final class GGUFHandle {
    let file: GGUFFile
    let position: [String: Int]

    init(_ file: GGUFFile) {
        self.file = file
        var p: [String: Int] = [:]
        for (i, t) in file.tensorInfos.enumerated() { p[t.name] = i }
        position = p
    }
}

/// An importance matrix held by Lua (a class, so methods can update it in place).
final class IMatrixBox {
    var value: ImportanceMatrix
    init(_ value: ImportanceMatrix) { self.value = value }
}
