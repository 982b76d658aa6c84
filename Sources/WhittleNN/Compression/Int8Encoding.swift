import WhittleKernels
import WhittleTensor

/// int8 weights with an f32 scale per output channel (or one per tensor), symmetric or affine:
/// x ≈ scale · (q - zero_point). Stored as "q" (i8, rows × cols), "scale" (f32) and, when
/// asymmetric, "zero_point" (i8). Runs on the VNNI int8 GEMM.
public final class Int8Encoding: ExecutableEncoding {
    public let format = "int8"
    public let shape: [Int]
    /// One scale per output channel (else one for the tensor).
    public let perChannel: Bool
    /// False when zero points are stored.
    public let symmetric: Bool
    /// The codes, rows × cols.
    public let values: Tensor
    /// f32 scales (rows, or 1).
    public let scales: Tensor
    /// i8 zero points (rows, or 1), asymmetric only.
    public let zeroPoints: Tensor?
    private var packed: PackedInt8Weights?
    private var columnSums: [Int64] = []

    /// Quantizes `t` over the ranges given per channel (or one for the tensor); nil ranges use each
    /// channel's min/max. Values outside a range are clipped.
    public static func quantize(_ t: Tensor, perChannel: Bool, symmetric: Bool, ranges: [(low: Float, high: Float)]? = nil) throws -> Int8Encoding {
        try t.requireF32("int8")
        guard t.rank >= 1, t.count > 0 else { throw NNError.invalidArgument("int8: cannot quantize an empty tensor") }
        let rows = t.shape[0], cols = t.count / rows
        let groups = perChannel ? rows : 1
        let r = ranges ?? minMax(t.floats, rows: perChannel ? rows : 1, cols: perChannel ? cols : t.count)
        guard r.count == groups else { throw NNError.invalidArgument("int8: expected \(groups) ranges, got \(r.count)") }
        let q = try Tensor(zeros: [rows, cols], dtype: .i8)
        let s = try Tensor(zeros: [groups])
        let z = symmetric ? nil : try Tensor(zeros: [groups], dtype: .i8)
        let qp = q.storage.bytes.assumingMemoryBound(to: Int8.self)
        let per = perChannel ? cols : t.count
        for g in 0..<groups {
            let (scale, zero) = try int8Parameters(low: r[g].low, high: r[g].high, symmetric: symmetric)
            s.floats[g] = scale
            if let z { z.storage.bytes.assumingMemoryBound(to: Int8.self)[g] = Int8(zero) }
            let lo = symmetric ? -127 : -128
            let inv = 1 / scale
            for i in g * per..<(g + 1) * per {
                let v = (t.floats[i] * inv).rounded(.toNearestOrAwayFromZero) + Float(zero)
                qp[i] = Int8(max(Float(lo), min(127, v)))
            }
        }
        return try Int8Encoding(shape: t.shape, perChannel: perChannel, symmetric: symmetric, values: q, scales: s, zeroPoints: z)
    }

    /// Scale and zero point covering [low, high] (widened to hold 0); a zero range gets scale 1.
    public static func int8Parameters(low: Float, high: Float, symmetric: Bool) throws -> (scale: Float, zero: Int) {
        guard low.isFinite, high.isFinite, low <= high else { throw NNError.invalidArgument("int8: range [\(low), \(high)] is not a finite interval") }
        let lo = min(low, 0), hi = max(high, 0)
        if symmetric {
            let a = max(-lo, hi)
            return (a > 0 ? a / 127 : 1, 0)
        }
        let s = (hi - lo) / 255
        let scale: Float = s > 0 ? s : 1
        return (scale, Int(max(-128, min(127, (-128 - lo / scale).rounded()))))
    }

    /// Wraps stored tensors (checked: codes i8 rows × cols, scales and zero points per group).
    public init(shape: [Int], perChannel: Bool, symmetric: Bool, values: Tensor, scales: Tensor, zeroPoints: Tensor?) throws {
        let rows = shape.first ?? 0, count = shape.reduce(1, *)
        let groups = perChannel ? rows : 1
        guard rows > 0, values.dtype == .i8, values.shape == [rows, count / rows] else {
            throw NNError.invalidModel("int8: codes must be i8 \(shapeString([rows, rows == 0 ? 0 : count / rows])), got \(values.dtype) \(shapeString(values.shape))")
        }
        guard scales.dtype == .f32, scales.shape == [groups] else {
            throw NNError.invalidModel("int8: scales must be f32 [\(groups)], got \(scales.dtype) \(shapeString(scales.shape))")
        }
        for i in 0..<groups where !(scales.floats[i].isFinite && scales.floats[i] > 0) {
            throw NNError.invalidModel("int8: scale \(i) is \(scales.floats[i]); scales must be positive and finite")
        }
        if symmetric != (zeroPoints == nil) { throw NNError.invalidModel("int8: zero points are stored exactly when asymmetric") }
        if let z = zeroPoints, z.dtype != .i8 || z.shape != [groups] {
            throw NNError.invalidModel("int8: zero points must be i8 [\(groups)], got \(z.dtype) \(shapeString(z.shape))")
        }
        self.shape = shape; self.perChannel = perChannel; self.symmetric = symmetric
        self.values = values; self.scales = scales; self.zeroPoints = zeroPoints
    }

    static func decode(_ e: EncodedEntry) throws -> Int8Encoding {
        let perChannel = try e.bool("per_channel"), symmetric = try e.bool("symmetric")
        guard let rows = e.shape.first, rows > 0 else { throw e.invalid("int8 needs a non-empty shape") }
        let groups = perChannel ? rows : 1
        let q = try e.tensor("q", .i8, [rows, e.shape.reduce(1, *) / rows])
        let s = try e.tensor("scale", .f32, [groups])
        let z = symmetric ? nil : try e.tensor("zero_point", .i8, [groups])
        do {
            return try Int8Encoding(shape: e.shape, perChannel: perChannel, symmetric: symmetric, values: q, scales: s, zeroPoints: z)
        } catch NNError.invalidModel(let m) { throw e.invalid(m) }
    }

    public func storedTensors() -> [(suffix: String, tensor: Tensor)] {
        var t = [(suffix: "q", tensor: values), (suffix: "scale", tensor: scales)]
        if let z = zeroPoints { t.append((suffix: "zero_point", tensor: z)) }
        return t
    }
    public var fields: [String: Any] { ["per_channel": perChannel, "symmetric": symmetric] }
    public var byteCount: Int { storedByteCount }

    /// Scale of row r.
    @inline(__always) func scale(_ r: Int) -> Float { scales.floats[perChannel ? r : 0] }
    /// Zero point of row r.
    @inline(__always) func zero(_ r: Int) -> Int8 {
        guard let z = zeroPoints else { return 0 }
        return z.storage.bytes.assumingMemoryBound(to: Int8.self)[perChannel ? r : 0]
    }

    public func decode() throws -> Tensor {
        let out = try Tensor(zeros: shape)
        let rows = matrixRows, cols = matrixCols
        let q = values.storage.bytes.assumingMemoryBound(to: Int8.self)
        for r in 0..<rows {
            let s = scale(r), z = Float(zero(r))
            for j in 0..<cols { out.floats[r * cols + j] = s * (Float(q[r * cols + j]) - z) }
        }
        return out
    }

    /// The packed kernel operand, built on first use.
    private func kernelWeights() -> PackedInt8Weights {
        if let p = packed { return p }
        let rows = matrixRows, cols = matrixCols
        let q = UnsafePointer(values.storage.bytes.assumingMemoryBound(to: Int8.self))
        let s = (0..<rows).map(scale), z = (0..<rows).map(zero)
        let p = s.withUnsafeBufferPointer { sb in
            z.withUnsafeBufferPointer { zb in
                PackedInt8Weights(values: q, n: rows, k: cols, scales: sb.baseAddress!, zeros: symmetric ? nil : zb.baseAddress!)
            }
        }
        columnSums = (0..<rows).map { r in (0..<cols).reduce(Int64(0)) { $0 + Int64(q[r * cols + $1]) } }
        packed = p
        return p
    }

    public func linear(_ x: UnsafePointer<Float>, count m: Int, into y: UnsafeMutablePointer<Float>, input: ActivationQuantization?) throws {
        let w = kernelWeights()
        guard let a = input else {
            Int8GEMM.linear(m: m, x: x, weights: w, y: y)
            return
        }
        // Static activations: integer codes with one zero point, corrected after the exact i32 product.
        let k = matrixCols, n = matrixRows
        if m == 0 || n == 0 { return }
        let qx = UnsafeMutablePointer<Int8>.allocate(capacity: m * k), acc = UnsafeMutablePointer<Int32>.allocate(capacity: m * n)
        defer { qx.deallocate(); acc.deallocate() }
        var rowSums = [Int64](repeating: 0, count: m)
        for i in 0..<m {
            var s: Int64 = 0
            for p in 0..<k { let q = a.quantize(x[i * k + p]); qx[i * k + p] = q; s += Int64(q) }
            rowSums[i] = s
        }
        Int8GEMM.matmulI32(m: m, x: qx, ldx: k, weights: w, out: acc)
        // Corrections in 64 bits: k·zx·zw alone can pass 2^31 for long rows.
        let zx = Int64(a.zeroPoint), kk = Int64(k)
        for j in 0..<n {
            let zw = Int64(zero(j)), sc = a.scale * scale(j), cs = columnSums[j]
            for i in 0..<m {
                let exact = Int64(acc[i * n + j]) - zx * cs - zw * rowSums[i] + kk * zx * zw
                y[i * n + j] = Float(exact) * sc
            }
        }
    }
}

/// (min, max) over each of `rows` rows of `cols` values.
func minMax(_ x: UnsafePointer<Float>, rows: Int, cols: Int) -> [(low: Float, high: Float)] {
    (0..<rows).map { r in
        var lo = Float.infinity, hi = -Float.infinity
        for j in 0..<cols { let v = x[r * cols + j]; lo = min(lo, v); hi = max(hi, v) }
        return (cols == 0 ? 0 : lo, cols == 0 ? 0 : hi)
    }
}
