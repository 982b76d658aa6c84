import CLua
import Foundation
import WhittleKernels
import WhittleTensor

/// `whittle.quantize.tensor` and the QTensor class: packed quantized storage and its kernels.
enum QuantizeBindings {
    static let namespaces: [Namespace] = [
        Namespace("quantize", doc: "Quantization: packed tensors and passes.", [
            Binding("tensor", "whittle.quantize.tensor(t, {format=\"int8\"|\"int4\"|\"q8_0\"|\"q4_K\"|any ggml type, per_channel=true, group=32, zero_point=false, imatrix=w, fallback=false, ggml=false}) -> QTensor or Tensor",
                    "Packs a 1-D or 2-D f32 tensor (rows are output channels) into a quantized format. int8, int4, and q8_0/q4_0 without imatrix or ggml=true give a QTensor (its own kernels); every ggml type (f16, bf16, q4_0...q8_0, q2_K...q8_K, iq4_nl, iq4_xs, tq1_0, tq2_0) gives a Tensor of that block dtype, byte-identical to llama.cpp's quantizer. imatrix: importance weights per column (f32 tensor or table, the row length; llama-imatrix's values). fallback=true swaps a type whose block does not divide the rows as llama-quantize does (Q4_K -> Q5_0 ...); otherwise that is an error.") { c in
                let t = try c.tensor(1, "t")
                try t.requireF32("quantize.tensor")
                let o = try c.options(2)
                let format = try o.string("format", default: "int8")
                let imatrix: [Float]? = try o.has("imatrix") ? o.value("imatrix") { try importanceWeights($0) } : nil
                let asGGML = try o.bool("ggml", default: false)
                let legacy = QuantizedMatrix.Format(rawValue: format)
                if legacy == nil || ((legacy == .q8_0 || legacy == .q4_0) && (imatrix != nil || asGGML)) {
                    let fallback = try o.bool("fallback", default: false)
                    try o.finish()
                    return try quantizeGGML(c, t, format: format, imatrix: imatrix, fallback: fallback)
                }
                let perChannel = try o.bool("per_channel", default: true)
                let group = try o.integer("group", default: 32)
                let zeroPoint = try o.bool("zero_point", default: false)
                try o.finish()
                guard (1...2).contains(t.rank) else {
                    throw c.error("'t' must be 1-D or 2-D, got shape \(shapeString(t.shape))")
                }
                let rows = t.rank == 2 ? t.shape[0] : 1, cols = t.shape[t.rank - 1]
                if format == "int4" && ![32, 64, 128].contains(group) {
                    throw c.error("'group' must be 32, 64 or 128, got \(group)")
                }
                if format != "int4" && format != "int8" && o.has("group") && group != 32 {
                    throw c.error("'group' is fixed at 32 for \(format), got \(group)")
                }
                guard let kind = legacy else { throw c.error("unknown format \"\(format)\"") }
                do {
                    let q = try QuantizedMatrix(t.floats, rows: rows, cols: cols, format: kind,
                                                perChannel: perChannel, group: group, zeroPoint: zeroPoint)
                    c.push(object: QTensor(matrix: q, shape: t.shape), className: "QTensor")
                } catch let e as KernelError {
                    throw c.error(e.description)
                }
                return 1
            },
        ]),
    ]

    static let classes: [LuaClass] = [qtensorClass]

    /// The imatrix option: an f32 tensor (any shape, flattened) or an array table of numbers.
    static func importanceWeights(_ c: LuaCall) throws -> [Float] {
        if let w = c.object(-1, Tensor.self, className: "Tensor") { return w.toArray() }
        guard lua_type(c.L, -1) == LUA_TTABLE else { throw c.error("'imatrix' must be a Tensor or a table of numbers") }
        let n = Int(lua_rawlen(c.L, -1))
        var out: [Float] = []
        out.reserveCapacity(n)
        for k in stride(from: 1, through: n, by: 1) {
            lua_rawgeti(c.L, -1, lua_Integer(k))
            defer { Lua.pop(c.L) }
            guard lua_type(c.L, -1) == LUA_TNUMBER else { throw c.error("'imatrix'[\(k)] must be a number") }
            out.append(Float(lua_tonumberx(c.L, -1, nil)))
        }
        return out
    }

    /// Quantizes the rows of `t` (last dimension) into a ggml block type: a Tensor of that dtype.
    static func quantizeGGML(_ c: LuaCall, _ t: Tensor, format: String, imatrix: [Float]?, fallback: Bool) throws -> Int32 {
        guard let requested = GGMLType(name: format), GGMLCodec.canQuantize(requested), DType(ggml: requested) != nil else {
            let names = GGMLType.allCases.filter { GGMLCodec.canQuantize($0) && $0 != .f32 }.map(\.description)
            throw c.error("unknown format \"\(format)\" (int8, int4 or a ggml type: \(names.joined(separator: ", ")))")
        }
        guard t.rank >= 1 else { throw c.error("'t' must have at least one dimension, got a scalar") }
        let cols = t.shape[t.rank - 1]
        let choice = GGMLShapeFallback(requested: requested, rowLength: cols)
        if choice.changed && !fallback {
            throw c.error("\(requested.description) needs rows that are a multiple of \(requested.blockSize), got \(cols) "
                          + "(llama.cpp would use \(choice.effective.upperName); pass fallback=true to do the same)")
        }
        let type = choice.effective
        guard let dtype = DType(ggml: type) else { throw c.error("\(type.upperName) cannot be held in a tensor") }
        if let imatrix, imatrix.count != cols {
            throw c.error("'imatrix' has \(imatrix.count) weights, the rows have \(cols) columns")
        }
        let out = try Tensor(zeros: t.shape, dtype: dtype)
        do {
            if let imatrix {
                try imatrix.withUnsafeBufferPointer {
                    try GGMLCodec.quantize(type, t.floats, out.storage.bytes, count: t.count, rowLength: cols, importance: $0.baseAddress)
                }
            } else {
                try GGMLCodec.quantize(type, t.floats, out.storage.bytes, count: t.count, rowLength: cols)
            }
        } catch let e as KernelError {
            throw c.error(e.description)
        }
        c.push(out)
        return 1
    }

    static func qtensor(_ c: LuaCall, _ i: Int32) throws -> QTensor {
        try c.object(i, "self", QTensor.self, className: "QTensor")
    }

    static let qtensorClass = LuaClass("QTensor", doc: "A quantized tensor (int8, q8_0, q4_0 or int4) that multiplies with its own kernel.", methods: [
        Binding("nbytes", "q:nbytes() -> integer", "Bytes of packed storage (values, scales, zero points).") { c in
            c.push(try qtensor(c, 1).matrix.byteCount); return 1
        },
        Binding("dequantize", "q:dequantize() -> Tensor", "The f32 tensor the packed values stand for.") { c in
            let q = try qtensor(c, 1)
            let out = try Tensor(zeros: q.shape)
            q.matrix.dequantize(into: out.floats)
            c.push(out); return 1
        },
        Binding("matmul", "q:matmul(x) -> Tensor", "(m x k) * (k x n) -> (m x n) with the quantized kernel; a 1-D x (k) gives (m).") { c in
            let q = try qtensor(c, 1)
            let x = try c.tensor(2, "x")
            try x.requireF32("matmul")
            guard q.shape.count == 2 else { throw c.error("the quantized tensor must be 2-D, got shape \(shapeString(q.shape))") }
            let m = q.matrix.rows, k = q.matrix.cols
            guard (1...2).contains(x.rank), x.shape[0] == k else {
                throw c.error("inner dimensions differ: \(shapeString(q.shape)) * \(shapeString(x.shape))")
            }
            if x.rank == 1 {
                let y = try Tensor(zeros: [m])
                try q.matrix.linear(x.floats, count: 1, into: y.floats)
                c.push(y); return 1
            }
            // The kernels compute rows of x-transposed against weight rows: (n x k)·Wᵀ = (n x m).
            let n = x.shape[1]
            let xt = try x.transposed()
            let yt = try Tensor(zeros: [n, m])
            try q.matrix.linear(xt.floats, count: n, into: yt.floats)
            c.push(try yt.transposed()); return 1
        },
    ], properties: [
        Binding("dtype", "q.dtype -> string", "The format: \"int8\", \"q8_0\", \"q4_0\" or \"int4\".") { c in
            c.push(try qtensor(c, 1).matrix.format.rawValue); return 1
        },
        Binding("shape", "q.shape -> table", "The shape of the tensor it was made from.") { c in
            c.push(shape: try qtensor(c, 1).shape); return 1
        },
    ], metamethods: [
        Binding("__tostring", "tostring(q)", "Format, shape, bytes and bits per weight.") { c in
            c.push(try qtensor(c, 1).description); return 1
        },
    ])
}

/// The Lua-side object: a quantized matrix plus the shape the user gave.
final class QTensor: CustomStringConvertible {
    let matrix: QuantizedMatrix
    let shape: [Int]

    init(matrix: QuantizedMatrix, shape: [Int]) {
        self.matrix = matrix
        self.shape = shape
    }

    var description: String {
        let n = matrix.rows * matrix.cols
        let bits = n == 0 ? 0 : Double(matrix.byteCount * 8) / Double(n)
        var detail = ""
        switch matrix.format {
        case .int8: detail = matrix.group == 0 ? ", per-tensor" : ", per-channel" + (matrix.hasZeroPoint ? " affine" : "")
        case .int4: detail = ", group \(matrix.group)"
        default: break
        }
        return "QTensor(\(matrix.format.rawValue)\(detail), shape=\(shapeString(shape)), \(matrix.byteCount) bytes, \(String(format: "%.2f", bits)) bits/weight)"
    }
}
