import WhittleKernels

extension Tensor {
    /// Matrix product: (m×k)·(k×n) → (m×n); a 1-D right operand is a vector, (m×k)·(k) → (m);
    /// a 1-D left operand is a row vector, (k)·(k×n) → (n).
    public func matmul(_ other: Tensor) throws -> Tensor {
        try requireF32("matmul")
        try other.requireF32("matmul")
        guard (1...2).contains(rank), (1...2).contains(other.rank) else {
            throw TensorError.shapeMismatch("matmul: needs 1-D or 2-D operands, got \(shapeString(shape)) * \(shapeString(other.shape))")
        }
        let m = rank == 2 ? shape[0] : 1, k = shape[rank - 1]
        let k2 = other.shape[0], n = other.rank == 2 ? other.shape[1] : 1
        guard k == k2 else {
            throw TensorError.shapeMismatch("matmul: inner dimensions differ (\(shapeString(shape)) * \(shapeString(other.shape)))")
        }
        var outShape: [Int] = []
        if rank == 2 { outShape.append(m) }
        if other.rank == 2 { outShape.append(n) }
        let out = try Tensor(zeros: outShape)
        if m > 0 && n > 0 && k > 0 {
            GEMM.sgemm(m: m, n: n, k: k, a: floats, lda: k, b: other.floats, ldb: n, c: out.floats, ldc: n)
        }
        return out
    }

    /// Transpose of a 2-D tensor (a copy); a 1-D tensor is returned as a copy unchanged.
    /// For rank > 2 the last two dimensions are swapped.
    public func transposed() throws -> Tensor {
        try requireF32("transpose")
        guard rank >= 2 else { return clone() }
        let r = shape[rank - 2], c = shape[rank - 1], batch = count / max(r * c, 1)
        var outShape = shape
        outShape.swapAt(rank - 2, rank - 1)
        let out = try Tensor(zeros: outShape)
        let src = floats, dst = out.floats
        for b in 0..<(r * c == 0 ? 0 : batch) {
            let s = src + b * r * c, d = dst + b * r * c
            for i in 0..<r { for j in 0..<c { d[j * r + i] = s[i * c + j] } }
        }
        return out
    }
}
