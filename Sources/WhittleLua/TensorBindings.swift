import CLua
import CLuaShim
import WhittleTensor

/// `whittle.tensor`, `zeros`, `ones`, `randn`, `rand`, `allclose`, and the Tensor class.
enum TensorBindings {
    static let functions: [Binding] = [
        Binding("tensor", "whittle.tensor(values) -> Tensor", "An f32 tensor from a number or nested tables of numbers: whittle.tensor{{1,2},{3,4}}.") { c in
            c.push(try readNested(c, 1))
            return 1
        },
        Binding("zeros", "whittle.zeros(shape) -> Tensor", "An f32 tensor of zeros: whittle.zeros{2,3}.") { c in
            c.push(try Tensor(zeros: try shapeArgument(c, 1)))
            return 1
        },
        Binding("ones", "whittle.ones(shape) -> Tensor", "An f32 tensor of ones: whittle.ones{2,3}.") { c in
            let t = try Tensor(zeros: try shapeArgument(c, 1))
            for i in 0..<t.count { t.floats[i] = 1 }
            c.push(t)
            return 1
        },
        Binding("full", "whittle.full(shape, value) -> Tensor", "An f32 tensor filled with value.") { c in
            let t = try Tensor(zeros: try shapeArgument(c, 1))
            let v = Float(try c.number(2, "value"))
            for i in 0..<t.count { t.floats[i] = v }
            c.push(t)
            return 1
        },
        Binding("randn", "whittle.randn(shape, {seed=}) -> Tensor", "Standard-normal samples; the same seed gives the same tensor.") { c in
            let shape = try shapeArgument(c, 1)
            try c.push(withGenerator(c, 2) { try Tensor.randn(shape, generator: &$0) })
            return 1
        },
        Binding("rand", "whittle.rand(shape, {seed=, low=0, high=1}) -> Tensor", "Uniform samples in [low, high).") { c in
            let shape = try shapeArgument(c, 1)
            let o = try c.options(2)
            let lo = Float(try o.number("low", default: 0)), hi = Float(try o.number("high", default: 1))
            try c.push(withGenerator(c, 2, options: o) { try Tensor.rand(shape, lo: lo, hi: hi, generator: &$0) })
            return 1
        },
        Binding("arange", "whittle.arange(n) -> Tensor", "The 1-D tensor {0, 1, ..., n-1}.") { c in
            let n = try c.integer(1, "n")
            guard n >= 0 else { throw c.error("'n' must be >= 0, got \(n)") }
            let t = try Tensor(zeros: [n])
            for i in 0..<n { t.floats[i] = Float(i) }
            c.push(t)
            return 1
        },
        Binding("allclose", "whittle.allclose(a, b, {atol=1e-8, rtol=1e-5}) -> boolean", "True when shapes match and |a-b| <= atol + rtol*|b| everywhere.") { c in
            let a = try c.tensor(1, "a"), b = try c.tensor(2, "b")
            let o = try c.options(3)
            let atol = Float(try o.number("atol", default: 1e-8)), rtol = Float(try o.number("rtol", default: 1e-5))
            try o.finish()
            c.push(a.allClose(b, rtol: rtol, atol: atol))
            return 1
        },
    ]

    static let tensorClass = LuaClass("Tensor", doc: "A dense f32 n-dimensional array (1-based indices in Lua).", methods: [
        Binding("numel", "t:numel() -> integer", "Number of elements.") { c in
            c.push(try c.tensor(1, "self").count); return 1
        },
        Binding("dim", "t:dim() -> integer", "Number of dimensions.") { c in
            c.push(try c.tensor(1, "self").rank); return 1
        },
        Binding("size", "t:size([d]) -> table | integer", "The shape, or the extent of dimension d (1-based).") { c in
            let t = try c.tensor(1, "self")
            if c.isNil(2) { c.push(shape: t.shape); return 1 }
            let d = try c.integer(2, "d")
            guard d >= 1 && d <= t.rank else { throw c.error("dimension \(d) out of range for a \(t.rank)-D tensor") }
            c.push(t.shape[d - 1]); return 1
        },
        Binding("get", "t:get(i, j, ...) -> number", "The element at 1-based indices (one per dimension).") { c in
            let t = try c.tensor(1, "self")
            c.push(Double(t.element(at: try flatIndex(c, t, from: 2, count: c.count - 1))))
            return 1
        },
        Binding("set", "t:set(i, j, ..., value)", "Sets the element at 1-based indices (one per dimension) to value.") { c in
            let t = try c.tensor(1, "self")
            try t.requireF32("set")
            guard c.count >= 2 else { throw c.error("missing value") }
            let value = Float(try c.number(c.count, "value"))
            let off = try flatIndex(c, t, from: 2, count: c.count - 2)
            try t.checkedMakeWritable()
            t.floats[off] = value
            return 0
        },
        Binding("totable", "t:totable() -> table", "Nested Lua tables of numbers (a number for a scalar).") { c in
            let t = try c.tensor(1, "self")
            // Lua numbers in nested tables cost about 16 bytes each, plus the f32 copy.
            try MemoryBudget.check(bytes: t.count.multipliedReportingOverflow(by: 20).partialValue, what: "a Lua table of \(t.count) numbers")
            let values = t.toArray()
            if t.rank == 0 { c.push(Double(values[0])); return 1 }
            func build(_ dim: Int, _ offset: Int) -> LuaValue {
                let stride = t.shape[(dim + 1)...].reduce(1, *)
                return .array((0..<t.shape[dim]).map { i in
                    dim == t.rank - 1 ? .number(Double(values[offset + i])) : build(dim + 1, offset + i * stride)
                })
            }
            build(0, 0).push(c.L)
            return 1
        },
        Binding("clone", "t:clone() -> Tensor", "A deep copy.") { c in
            c.push(try c.tensor(1, "self").checkedClone()); return 1
        },
        Binding("float", "t:float() -> Tensor", "An f32 copy (converting from any dtype).") { c in
            c.push(try c.tensor(1, "self").checkedF32()); return 1
        },
        Binding("dequantize", "t:dequantize() -> Tensor", "An f32 copy; for a ggml block dtype (q4_K, iq4_nl...) the values gguf-py's dequantize gives.") { c in
            c.push(try c.tensor(1, "self").toF32()); return 1
        },
        Binding("reshape", "t:reshape(shape) -> Tensor", "A view with a new shape (one extent may be -1), sharing storage.") { c in
            let t = try c.tensor(1, "self")
            c.push(try t.reshaped(try c.integers(2, "shape"))); return 1
        },
        Binding("transpose", "t:transpose() -> Tensor", "The transpose of a 2-D tensor (last two dimensions otherwise), as a copy.") { c in
            c.push(try c.tensor(1, "self").transposed()); return 1
        },
        Binding("matmul", "t:matmul(u) -> Tensor", "Matrix product: (m x k)(k x n) -> (m x n); a 1-D u is a vector.") { c in
            let t = try c.tensor(1, "self")
            c.push(try t.matmul(try c.tensor(2, "u"))); return 1
        },
        Binding("sum", "t:sum() -> number", "Sum of all elements.") { c in
            c.push(try c.tensor(1, "self").sum()); return 1
        },
        Binding("mean", "t:mean() -> number", "Mean of all elements.") { c in
            c.push(try c.tensor(1, "self").mean()); return 1
        },
        Binding("max", "t:max() -> number", "Largest element.") { c in
            c.push(Double(try c.tensor(1, "self").maxValue())); return 1
        },
        Binding("min", "t:min() -> number", "Smallest element.") { c in
            c.push(Double(try c.tensor(1, "self").minValue())); return 1
        },
        Binding("norm", "t:norm() -> number", "Euclidean (Frobenius) norm.") { c in
            c.push(try c.tensor(1, "self").norm()); return 1
        },
        Binding("abs", "t:abs() -> Tensor", "Elementwise absolute value.") { c in
            c.push(try c.tensor(1, "self").map { Swift.abs($0) }); return 1
        },
        Binding("relu", "t:relu() -> Tensor", "Elementwise max(x, 0).") { c in
            c.push(try c.tensor(1, "self").map { Swift.max($0, 0) }); return 1
        },
        Binding("sqrt", "t:sqrt() -> Tensor", "Elementwise square root.") { c in
            c.push(try c.tensor(1, "self").map { $0.squareRoot() }); return 1
        },
        Binding("sparsity", "t:sparsity() -> number", "Fraction of elements that are exactly zero.") { c in
            c.push(try c.tensor(1, "self").sparsity()); return 1
        },
        Binding("fill", "t:fill(value) -> Tensor", "Sets every element to value; returns t.") { c in
            let t = try c.tensor(1, "self")
            try t.requireF32("fill")
            let v = Float(try c.number(2, "value"))
            try t.checkedMakeWritable()
            for i in 0..<t.count { t.floats[i] = v }
            lua_settop(c.L, 1)
            return 1
        },
    ], properties: [
        Binding("shape", "t.shape -> table", "The extent of each dimension, e.g. {2, 3}.") { c in
            c.push(shape: try c.tensor(1, "self").shape); return 1
        },
        Binding("dtype", "t.dtype -> string", "Element type: \"f32\", \"f16\", \"i8\", ...") { c in
            c.push(try c.tensor(1, "self").dtype.description); return 1
        },
    ], metamethods: [
        arithmetic("__add", .add), arithmetic("__sub", .sub), arithmetic("__mul", .mul), arithmetic("__div", .div),
        Binding("__unm", "-t", "Negation.") { c in
            c.push(try c.tensor(1, "t").map { -$0 }); return 1
        },
        Binding("__len", "#t", "Extent of the first dimension.") { c in
            let t = try c.tensor(1, "t")
            c.push(t.rank == 0 ? 1 : t.shape[0]); return 1
        },
        Binding("__tostring", "tostring(t)", "numpy-style text with shape and dtype.") { c in
            c.push(try c.tensor(1, "t").description); return 1
        },
    ])

    /// `a op b` where either side may be a number; tensors broadcast like numpy.
    static func arithmetic(_ name: String, _ op: BinaryOp) -> Binding {
        Binding(name, "t \(op.symbol) u", "Elementwise, broadcasting numbers and compatible shapes.") { c in
            if let a = c.object(1, Tensor.self, className: "Tensor") {
                if let b = c.object(2, Tensor.self, className: "Tensor") { c.push(try a.elementwise(op, b)) } else {
                    c.push(try a.elementwise(op, scalar: Float(try c.number(2, "right operand"))))
                }
            } else {
                let s = Float(try c.number(1, "left operand"))
                c.push(try c.tensor(2, "right operand").elementwise(op, scalar: s, scalarFirst: true))
            }
            return 1
        }
    }

    /// A shape given as a table `{2, 3}` or as integers `2, 3`.
    static func shapeArgument(_ c: LuaCall, _ i: Int32) throws -> [Int] {
        let shape = lua_type(c.L, i) == LUA_TTABLE ? try c.integers(i, "shape") : try (i...max(i, c.count)).map { try c.integer($0, "shape") }
        if let bad = shape.first(where: { $0 < 0 }) { throw c.error("'shape' must not be negative, got \(bad)") }
        return shape
    }

    /// Runs `make` with a generator seeded from option `seed` (or the state's shared generator).
    static func withGenerator(_ c: LuaCall, _ i: Int32, options: LuaOptions? = nil, _ make: (inout SeededGenerator) throws -> Tensor) throws -> Tensor {
        let o = try options ?? c.options(i)
        let seed: Int? = o.has("seed") ? try o.integer("seed") : nil
        try o.finish()
        if let seed {
            var g = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
            return try make(&g)
        }
        guard let host = c.host else { throw c.error("no host") }
        return try make(&host.generator)
    }

    /// The flat offset of 1-based indices passed as arguments `from ..< from+count`.
    static func flatIndex(_ c: LuaCall, _ t: Tensor, from: Int32, count: Int32) throws -> Int {
        guard count == t.rank else {
            throw c.error("expected \(t.rank) ind\(t.rank == 1 ? "ex" : "ices") for a tensor of shape \(shapeString(t.shape)), got \(max(count, 0))")
        }
        var index: [Int] = []
        for k in 0..<Int(count) {
            let i = try c.integer(from + Int32(k), "index \(k + 1)")
            guard i >= 1 && i <= t.shape[k] else {
                throw c.error("index \(i) out of range for dimension \(k + 1) of size \(t.shape[k])")
            }
            index.append(i - 1)
        }
        return try t.offset(of: index)
    }

    /// Builds a tensor from a number or a rectangular nest of tables.
    static func readNested(_ c: LuaCall, _ i: Int32) throws -> Tensor {
        let L = c.L
        if let v = Lua.number(L, i) { return Tensor(scalar: Float(v)) }
        try c.requireTable(i, "values")
        // The shape comes from the first element at each depth; every row is then checked against it.
        var shape: [Int] = []
        var depth = 0
        // One stack slot per nesting level; a table that contains itself would nest forever.
        let maxRank = 32
        guard lua_checkstack(L, Int32(2 * maxRank + 4)) != 0 else { throw c.error("nested table too deep") }
        lua_pushvalue(L, i)
        while lua_type(L, -1) == LUA_TTABLE {
            guard depth < maxRank else {
                lua_settop(L, lua_gettop(L) - Int32(depth) - 1)
                throw c.error("values nest deeper than \(maxRank) levels (a table that contains itself?)")
            }
            shape.append(Int(lua_rawlen(L, -1)))
            if shape.last == 0 { break }
            lua_rawgeti(L, -1, 1)
            depth += 1
        }
        lua_settop(L, lua_gettop(L) - Int32(depth) - 1)
        let total = try Tensor.checkedCount(shape)
        try MemoryBudget.check(bytes: total.multipliedReportingOverflow(by: 8).partialValue, what: "a \(shapeString(shape)) f32 tensor")
        var values: [Float] = []
        values.reserveCapacity(total)
        func walk(_ idx: Int32, _ dim: Int, _ path: String) throws {
            let n = Int(lua_rawlen(L, idx))
            guard n == shape[dim] else {
                throw c.error("ragged nested table: values\(path) has \(n) elements, expected \(shape[dim])")
            }
            for k in 1...max(n, 1) where n > 0 {
                lua_rawgeti(L, idx, lua_Integer(k))
                defer { Lua.pop(L) }
                if dim == shape.count - 1 {
                    guard let v = Lua.number(L, -1) else {
                        throw c.error("values\(path)[\(k)] must be a number, got \(Lua.typeName(L, -1))")
                    }
                    values.append(Float(v))
                } else {
                    guard lua_type(L, -1) == LUA_TTABLE else {
                        throw c.error("values\(path)[\(k)] must be a table, got \(Lua.typeName(L, -1))")
                    }
                    try walk(lua_gettop(L), dim + 1, path + "[\(k)]")
                }
            }
        }
        try walk(Lua.absolute(L, i), 0, "")
        return try Tensor(shape: shape, values: values)
    }
}

