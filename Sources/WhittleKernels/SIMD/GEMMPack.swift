/// Packing of A and B blocks into the contiguous panels the micro-kernel streams.
/// Panels are zero-padded to full tiles so the micro-kernel never branches on edges.
enum GEMMPack {
    /// Packs rows i0..<i0+mc, columns p0..<p0+kc of op(A) into MR-row strips:
    /// strip s holds, for each p, the MR values op(A)[i0+s*MR+r][p0+p].
    static func packA(_ a: UnsafePointer<Float>, lda: Int, transA: Bool,
                      i0: Int, mc: Int, p0: Int, kc: Int, mr: Int, into dst: UnsafeMutablePointer<Float>) {
        var d = dst
        var i = 0
        while i < mc {
            let rows = min(mr, mc - i)
            if transA {
                // op(A)[row][p] = a[p*lda + row]: each p contributes a contiguous run of rows.
                for p in 0..<kc {
                    let src = a + (p0 + p) * lda + i0 + i
                    for r in 0..<rows { d[r] = src[r] }
                    for r in rows..<mr { d[r] = 0 }
                    d += mr
                }
            } else {
                for r in 0..<mr {
                    if r < rows {
                        let src = a + (i0 + i + r) * lda + p0
                        for p in 0..<kc { d[p * mr + r] = src[p] }
                    } else {
                        for p in 0..<kc { d[p * mr + r] = 0 }
                    }
                }
                d += kc * mr
            }
            i += mr
        }
    }

    /// Packs rows p0..<p0+kc, columns j0..<j0+nc of op(B) into NR-column strips:
    /// strip s holds, for each p, the NR values op(B)[p0+p][j0+s*NR+c].
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                      p0: Int, kc: Int, j0: Int, nc: Int, nr: Int, into dst: UnsafeMutablePointer<Float>) {
        var d = dst
        var j = 0
        while j < nc {
            let cols = min(nr, nc - j)
            if transB {
                // op(B)[p][col] = b[col*ldb + p]: walk each stored row once, scatter with stride NR.
                for c in 0..<nr {
                    if c < cols {
                        let src = b + (j0 + j + c) * ldb + p0
                        for p in 0..<kc { d[p * nr + c] = src[p] }
                    } else {
                        for p in 0..<kc { d[p * nr + c] = 0 }
                    }
                }
            } else if cols == nr {
                for p in 0..<kc {
                    let src = b + (p0 + p) * ldb + j0 + j
                    var c = 0
                    while c < nr { store16(load16(src + c), d + p * nr + c); c += 16 }
                }
            } else {
                for p in 0..<kc {
                    let src = b + (p0 + p) * ldb + j0 + j
                    for c in 0..<cols { d[p * nr + c] = src[c] }
                    for c in cols..<nr { d[p * nr + c] = 0 }
                }
            }
            d += kc * nr
            j += nr
        }
    }
}
