import CLua
import Foundation
import WhittleKernels
import WhittleTensor

/// `whittle.quantize.tensor` and the QTensor class: packed quantized storage and its kernels.
enum QuantizeBindings {
    static let namespaces: [Namespace] = [
        Namespace("quantize", doc: "Quantization: packed tensors and passes.", [
            Binding("tensor", "whittle.quantize.tensor(t, {format=\"int8\"|\"q8_0\"|\"q4_0\"|\"int4\", per_channel=true, group=32, zero_point=false}) -> QTensor",
                    "Packs a 1-D or 2-D f32 tensor (rows are output channels) into a quantized format.") { c in
                let t = try c.tensor(1, "t")
                try t.requireF32("quantize.tensor")
                let o = try c.options(2)
                let format = try o.string("format", default: "int8", choices: QuantizedMatrix.Format.allCases.map(\.rawValue))
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
                guard let kind = QuantizedMatrix.Format(rawValue: format) else { throw c.error("unknown format \"\(format)\"") }
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
